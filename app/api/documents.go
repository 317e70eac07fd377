package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Desktop printing: a browser opens a form PDF in its own viewer, but the
// Wails window cannot. There the frontend asks the backend to hand the
// document to the operating system's PDF viewer, which prints it.

// DocumentOpener opens a file with the OS's default application.
type DocumentOpener func(path string) error

type openRequest struct {
	URL string `json:"url"`
}

// documentPrefixes are the only API paths that may be opened this way.
var documentPrefixes = []string{"/api/dossiers/", "/api/register.xlsx", "/api/register.pdf", "/api/scans/", "/api/archive/batches/"}

// openable reports whether url is a document the desktop may hand to the
// OS: a dossier form, the register, a scan's PDF or original, a batch
// export.
func openable(url string) bool {
	ok := false
	for _, p := range documentPrefixes {
		ok = ok || strings.HasPrefix(url, p)
	}
	switch {
	case !ok || strings.Contains(url, ".."):
		return false
	case strings.HasPrefix(url, "/api/dossiers/"):
		return strings.Contains(url, "/forms/") || strings.Contains(url, "/results/")
	case strings.HasPrefix(url, "/api/scans/"):
		return strings.HasSuffix(url, "/pdf") || strings.HasSuffix(url, "/original") || url == "/api/scans/separator.pdf"
	case strings.HasPrefix(url, "/api/archive/batches/"):
		return strings.HasSuffix(url, "/export.zip")
	}
	return true
}

func (s *server) openDocument(self http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.OpenDocument == nil {
			writeErrorMsg(w, http.StatusNotImplemented, codeNotFound, "Chức năng in trực tiếp chỉ có trên ứng dụng máy bàn.")
			return
		}
		var in openRequest
		if !decodeJSON(w, r, 4096, &in) {
			return
		}
		// The viewer's "#page=N" is not part of the document.
		in.URL, _, _ = strings.Cut(in.URL, "#")
		if !openable(in.URL) {
			writeErrorMsg(w, http.StatusBadRequest, codeValidation, "Tài liệu không hợp lệ.")
			return
		}
		// Fetch the document through the API itself, as this user.
		req := httptest.NewRequestWithContext(r.Context(), http.MethodGet, in.URL, nil)
		for _, h := range []string{"Cookie", "Authorization"} {
			if v := r.Header.Get(h); v != "" {
				req.Header.Set(h, v)
			}
		}
		rec := httptest.NewRecorder()
		self.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		ext := ".pdf"
		switch ct := rec.Header().Get("Content-Type"); {
		case strings.Contains(ct, "spreadsheet"):
			ext = ".xlsx"
		case strings.Contains(ct, "zip"):
			ext = ".zip"
		case strings.HasPrefix(ct, "image/"):
			ext = "." + strings.TrimPrefix(ct, "image/")
		}
		path := filepath.Join(s.cfg.PrintDir, fmt.Sprintf("tai-lieu-%d%s", time.Now().UnixNano(), ext))
		if err := os.MkdirAll(s.cfg.PrintDir, 0o700); err != nil {
			s.internal(w, r, "print dir", err)
			return
		}
		if err := os.WriteFile(path, rec.Body.Bytes(), 0o600); err != nil {
			s.internal(w, r, "write document", err)
			return
		}
		if err := s.cfg.OpenDocument(path); err != nil {
			s.log.Error("open document", "err", err, "path", path)
			writeErrorMsg(w, http.StatusServiceUnavailable, codeInternal,
				"Không mở được tài liệu bằng phần mềm xem PDF của máy. Hãy kiểm tra máy đã cài phần mềm đọc PDF.")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"opened": true})
	}
}
