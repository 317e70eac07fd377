package backup

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows"
)

// FreeBytes returns the bytes free for the user on the volume holding dir.
func FreeBytes(dir string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, err
	}
	var free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &free, nil, nil); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return free, nil
}

func isDiskFull(err error) bool {
	return errors.Is(err, windows.ERROR_DISK_FULL) || errors.Is(err, windows.ERROR_HANDLE_DISK_FULL)
}

func isReadOnly(err error) bool { return errors.Is(err, windows.ERROR_WRITE_PROTECT) }

// lockDir is not needed on Windows: renaming a directory that holds open
// files fails there, so a store in use is never moved.
func lockDir(string) (func(), error) { return func() {}, nil }
