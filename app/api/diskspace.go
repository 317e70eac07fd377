package api

import (
	"fmt"
	"net/http"
)

// DiskSpace reports the free bytes on the data dir's disk.
type DiskSpace interface {
	FreeBytes() (uint64, error)
}

// DefaultMinFreeBytes is the reserve below which new work is refused.
const DefaultMinFreeBytes = 200 << 20

// newWork are the routes that start something that needs room: a
// reception, a scan import, a backup or a restore. Work on what is
// already stored (actions, corrections, reading) goes on.
var newWork = map[string]bool{
	"POST /api/dossiers":             true,
	"POST /api/scans":                true,
	"POST /api/intake/scan":          true,
	"POST /api/backups":              true,
	"POST /api/backups/restore":      true,
	"POST /api/backups/restore-from": true,
	"POST /api/setup/restore":        true,
}

// checkDiskSpace refuses new work early, before its body is read, when
// the data disk is almost full, so a write never runs out of room half-way
// and what is stored stays safe.
func (s *server) checkDiskSpace(mux *http.ServeMux, next http.Handler) http.Handler {
	if s.cfg.DiskSpace == nil {
		return next
	}
	min := s.cfg.MinFreeBytes
	if min == 0 {
		min = DefaultMinFreeBytes
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); !newWork[pattern] {
			next.ServeHTTP(w, r)
			return
		}
		free, err := s.cfg.DiskSpace.FreeBytes()
		if err != nil {
			// Not knowing is no reason to stop the desk; a real full disk
			// still answers disk_full from the write itself.
			s.log.Warn("free disk space unknown", "err", err)
			next.ServeHTTP(w, r)
			return
		}
		if free < min {
			s.log.Warn("refusing new work: disk almost full", "free", free, "min", min, "path", r.URL.Path)
			writeErrorMsg(w, http.StatusInsufficientStorage, codeDiskFull, fmt.Sprintf(
				"Ổ đĩa của máy chỉ còn %d MB trống (cần tối thiểu %d MB) nên phần mềm tạm ngừng nhận việc mới. Dữ liệu đã lưu vẫn an toàn. Hãy giải phóng dung lượng ổ đĩa rồi thử lại.",
				free>>20, min>>20))
			return
		}
		next.ServeHTTP(w, r)
	})
}
