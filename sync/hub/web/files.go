package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"motcua/sync/hub"
)

// inlineTypes are the types a browser may show inside the dossier page;
// anything else is downloaded.
var inlineTypes = map[string]bool{
	"application/pdf": true, "image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
}

// sniff names a blob's type from its first bytes. The type a commune
// declared is not trusted: the browser renders by what is served.
func sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "application/pdf"
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "image/tiff"
	}
	t := http.DetectContentType(head)
	if inlineTypes[t] {
		return t
	}
	return "application/octet-stream"
}

// file serves a dossier's scan or result paper to staff, inline when the
// browser can show it (the PDF viewer of the dossier page). Only a
// logged-in official reaches it; a device reads blobs through the signed
// API.
func (u *UI) file(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) {
	sum := r.PathValue("sum")
	f, _, err := u.hub.OpenDossierBlob(r.Context(), sess.Staff, sum)
	if errors.Is(err, hub.ErrNotFound) {
		u.errorPage(w, r, sess, http.StatusNotFound, "Không tìm thấy tệp", "Tệp này không thuộc hồ sơ nào bạn được xem trên máy chủ tỉnh.")
		return
	}
	if err != nil {
		u.internal(w, r, sess, "staff file", err)
		return
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		u.internal(w, r, sess, "staff file", err)
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		u.internal(w, r, sess, "staff file", err)
		return
	}
	ctype := sniff(head[:n])
	disposition := "attachment"
	if inlineTypes[ctype] {
		disposition = "inline"
	}
	name := fileName(r.URL.Query().Get("ten"))
	if name == "" {
		name = sum[:12]
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Security-Policy", "frame-ancestors 'self'")
	// Content-addressed, so a revalidation is a cheap 304, and it passes
	// through the session check: no copy outlives the login.
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", `"`+sum+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
}
