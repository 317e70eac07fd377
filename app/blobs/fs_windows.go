package blobs

import (
	"errors"
	"syscall"
)

// ERROR_HANDLE_DISK_FULL and ERROR_DISK_FULL: Windows does not report ENOSPC.
func isDiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.Errno(39)) || errors.Is(err, syscall.Errno(112))
}

// syncDir does nothing: Windows cannot open a directory for fsync, and
// NTFS journals renames itself.
func syncDir(string) error { return nil }
