package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"motcua/sync/wire"
)

const maxMissingBody = 256 << 10

// handleMissing answers which of the listed blobs the hub lacks, with the
// offset each upload already reached: one round trip replaces a HEAD per
// file on a slow line.
func (s *Server) handleMissing(w http.ResponseWriter, r *http.Request, c *deviceCall) {
	raw, ok := s.body(w, r, c, maxMissingBody)
	if !ok {
		return
	}
	var req wire.MissingRequest
	if !decodeDoc(w, r, raw, maxMissingBody, c.version, &req) {
		return
	}
	if len(req.Blobs) > wire.MaxMissingQuery {
		failMsg(w, http.StatusRequestEntityTooLarge, wire.CodeTooLarge, fmt.Sprintf("Tối đa %d tệp mỗi lần hỏi.", wire.MaxMissingQuery))
		return
	}
	sums := make([]string, 0, len(req.Blobs))
	for _, b := range req.Blobs {
		if !wire.ValidSHA256(b.SHA256) || b.Size <= 0 {
			failMsg(w, http.StatusBadRequest, wire.CodeBadRequest, "Mỗi tệp cần mã SHA-256 (64 ký tự hex thường) và kích thước dương.")
			return
		}
		sums = append(sums, b.SHA256)
	}
	sizes, err := s.blobSizes(r.Context(), sums)
	if err != nil {
		s.internal(w, r, "missing blobs", err)
		return
	}
	offsets := map[string]int64{}
	rows, err := s.db.Query(r.Context(), "SELECT sha256, size, offset_bytes FROM blob_uploads WHERE sha256 = ANY($1)", sums)
	if err != nil {
		s.internal(w, r, "missing blobs", err)
		return
	}
	for rows.Next() {
		var (
			sum          string
			size, offset int64
		)
		if err := rows.Scan(&sum, &size, &offset); err != nil {
			rows.Close()
			s.internal(w, r, "missing blobs", err)
			return
		}
		offsets[sum+"/"+strconv.FormatInt(size, 10)] = offset
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		s.internal(w, r, "missing blobs", err)
		return
	}
	resp := wire.MissingResponse{Missing: []wire.MissingBlob{}}
	for _, b := range req.Blobs {
		if size, ok := sizes[b.SHA256]; ok && size == b.Size {
			continue
		}
		resp.Missing = append(resp.Missing, wire.MissingBlob{SHA256: b.SHA256, Size: b.Size,
			Offset: offsets[b.SHA256+"/"+strconv.FormatInt(b.Size, 10)]})
	}
	writeJSON(w, http.StatusOK, resp)
}

// uploadState is where a blob stands on the hub.
type uploadState struct {
	complete bool
	size     int64 // total length; 0 when nothing is known
	offset   int64
}

func (s *Server) uploadState(ctx context.Context, sum string) (uploadState, error) {
	var st uploadState
	err := s.db.QueryRow(ctx, "SELECT size FROM blobs WHERE sha256 = $1", sum).Scan(&st.size)
	if err == nil {
		st.complete, st.offset = true, st.size
		return st, nil
	}
	if !noRows(err) {
		return st, err
	}
	err = s.db.QueryRow(ctx, "SELECT size, offset_bytes FROM blob_uploads WHERE sha256 = $1", sum).Scan(&st.size, &st.offset)
	if err != nil && !noRows(err) {
		return st, err
	}
	return st, nil
}

func setUploadHeaders(w http.ResponseWriter, st uploadState) {
	h := w.Header()
	h.Set(wire.HeaderUploadOffset, strconv.FormatInt(st.offset, 10))
	if st.size > 0 {
		h.Set(wire.HeaderUploadLength, strconv.FormatInt(st.size, 10))
	}
	if st.complete {
		h.Set(wire.HeaderBlobState, wire.BlobComplete)
	} else {
		h.Set(wire.HeaderBlobState, wire.BlobPartial)
	}
	h.Set("Cache-Control", "no-store")
	h.Set(wire.HeaderProtocol, wire.Current.String())
}

func blobSum(w http.ResponseWriter, r *http.Request) (string, bool) {
	sum := r.PathValue("sum")
	if !wire.ValidSHA256(sum) {
		failMsg(w, http.StatusBadRequest, wire.CodeBadRequest, "Địa chỉ tệp phải là mã SHA-256 (64 ký tự hex thường).")
		return "", false
	}
	return sum, true
}

func (s *Server) handleBlobHead(w http.ResponseWriter, r *http.Request, c *deviceCall) {
	if _, ok := s.body(w, r, c, 0); !ok {
		return
	}
	sum, ok := blobSum(w, r)
	if !ok {
		return
	}
	st, err := s.uploadState(r.Context(), sum)
	if err != nil {
		s.internal(w, r, "blob head", err)
		return
	}
	setUploadHeaders(w, st)
	if !st.complete && st.size == 0 {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handleBlobPatch appends one chunk. See wire's upload protocol: the chunk
// is read whole and checked against the signed body hash before a byte of
// it is appended; its new offset is recorded after the store's fsync; the
// last chunk triggers the SHA-256 check of the whole blob.
func (s *Server) handleBlobPatch(w http.ResponseWriter, r *http.Request, c *deviceCall) {
	sum, ok := blobSum(w, r)
	if !ok {
		return
	}
	offset, ok1 := parseInt64(r.Header.Get(wire.HeaderUploadOffset))
	length, ok2 := parseInt64(r.Header.Get(wire.HeaderUploadLength))
	if !ok1 || !ok2 || length == 0 {
		failMsg(w, http.StatusBadRequest, wire.CodeBadRequest, "Cần Upload-Offset và Upload-Length (số nguyên, độ dài > 0).")
		return
	}
	if length > s.cfg.MaxBlobBytes {
		failMsg(w, http.StatusRequestEntityTooLarge, wire.CodeTooLarge,
			fmt.Sprintf("Tệp quá lớn (tối đa %d MB).", s.cfg.MaxBlobBytes>>20))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != wire.ChunkContentType {
		failMsg(w, http.StatusUnsupportedMediaType, wire.CodeUnsupportedMedia, "Content-Type phải là "+wire.ChunkContentType+".")
		return
	}
	// One writer per blob. A client that lost its connection may come back
	// before this hub has noticed the old request died; it waits a little
	// for the old one to let go rather than failing at once.
	lockCtx, cancel := context.WithTimeout(r.Context(), s.cfg.UploadLockWait)
	unlock, err := s.uploads.lock(lockCtx, sum)
	cancel()
	if err != nil {
		w.Header().Set("Retry-After", "2")
		fail(w, http.StatusConflict, wire.CodeUploadBusy)
		return
	}
	defer unlock()

	st, err := s.uploadState(r.Context(), sum)
	if err != nil {
		s.internal(w, r, "blob patch", err)
		return
	}
	if st.size != 0 && st.size != length {
		setUploadHeaders(w, st)
		failMsg(w, http.StatusConflict, wire.CodeLengthMismatch,
			fmt.Sprintf("Máy chủ tỉnh biết tệp này dài %d byte, không phải %d.", st.size, length))
		return
	}
	if st.complete {
		// Already here (another device sent the same scan): nothing to read.
		setUploadHeaders(w, st)
		w.WriteHeader(http.StatusOK)
		return
	}
	if offset != st.offset {
		setUploadHeaders(w, st)
		off := st.offset
		writeErr(w, &wire.Error{Status: http.StatusConflict, Code: wire.CodeOffsetMismatch, Offset: &off,
			Message: fmt.Sprintf("Máy chủ tỉnh đã nhận %d byte của tệp; hãy gửi tiếp từ vị trí đó.", off)})
		return
	}
	// A slow 2G chunk must not hold the connection forever; one chunk gets
	// a generous but bounded time.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(5 * time.Minute))
	chunk, ok := s.body(w, r, c, s.cfg.MaxChunkBytes)
	if !ok {
		if r.Context().Err() == nil {
			s.metrics.inc("motcua_hub_chunks_refused_total", "")
		}
		return
	}
	if offset+int64(len(chunk)) > length {
		failMsg(w, http.StatusBadRequest, wire.CodeBadRequest, "Đoạn dữ liệu vượt quá độ dài tệp đã khai báo.")
		return
	}
	if len(chunk) > 0 {
		if err := s.blobs.Append(r.Context(), sum, offset, chunk); errors.Is(err, fs.ErrNotExist) {
			// The staged bytes the database counts on are gone: start over.
			s.log.Warn("staged upload lost; restarting it", "sum", sum, "err", err)
			if _, err := s.db.Exec(r.Context(), "DELETE FROM blob_uploads WHERE sha256 = $1", sum); err != nil {
				s.internal(w, r, "blob reset", err)
				return
			}
			_ = s.blobs.Discard(r.Context(), sum)
			zero := int64(0)
			setUploadHeaders(w, uploadState{size: length})
			writeErr(w, &wire.Error{Status: http.StatusConflict, Code: wire.CodeOffsetMismatch, Offset: &zero,
				Message: "Máy chủ tỉnh mất phần tệp đã nhận; hãy gửi lại từ đầu."})
			return
		} else if err != nil {
			s.internal(w, r, "blob append", err)
			return
		}
		st = uploadState{size: length, offset: offset + int64(len(chunk))}
		if _, err := s.db.Exec(r.Context(), `
			INSERT INTO blob_uploads (sha256, size, offset_bytes, device_id) VALUES ($1, $2, $3, $4)
			ON CONFLICT (sha256) DO UPDATE SET offset_bytes = $3, device_id = $4, updated_at = now()`,
			sum, length, st.offset, c.dev.ID); err != nil {
			s.internal(w, r, "blob offset", err)
			return
		}
		s.metrics.add("motcua_hub_blob_bytes_received_total", "", float64(len(chunk)))
	}
	if st.offset < length {
		setUploadHeaders(w, st)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.commitBlob(w, r, sum, length)
}

// commitBlob verifies a fully received blob and makes it present. The
// store moves the bytes into place before the row says the blob exists, so
// the database never claims a blob the disk does not have.
func (s *Server) commitBlob(w http.ResponseWriter, r *http.Request, sum string, length int64) {
	ctx := context.WithoutCancel(r.Context()) // the bytes are all here: finish even if the client left
	got, size, err := s.blobs.Commit(ctx, sum)
	if err != nil {
		s.internal(w, r, "blob commit", err)
		return
	}
	if got != sum || size != length {
		s.metrics.inc("motcua_hub_blob_hash_mismatches_total", "")
		s.log.Warn("blob hash mismatch", "sum", sum, "got", got, "size", size, "length", length)
		if _, err := s.db.Exec(ctx, "DELETE FROM blob_uploads WHERE sha256 = $1", sum); err != nil {
			s.internal(w, r, "blob reset", err)
			return
		}
		setUploadHeaders(w, uploadState{})
		fail(w, http.StatusUnprocessableEntity, wire.CodeHashMismatch)
		return
	}
	if _, err := s.db.Exec(ctx, `
		WITH done AS (DELETE FROM blob_uploads WHERE sha256 = $1)
		INSERT INTO blobs (sha256, size) VALUES ($1, $2) ON CONFLICT DO NOTHING`, sum, size); err != nil {
		s.internal(w, r, "blob present", err)
		return
	}
	s.metrics.inc("motcua_hub_blobs_committed_total", "")
	setUploadHeaders(w, uploadState{complete: true, size: size, offset: size})
	w.WriteHeader(http.StatusCreated)
}

// handleBlobGet serves a blob to a device of a commune whose dossiers
// reference it (a result paper, or its own scan). Anything else is a 404:
// whether the hub holds some other commune's file is not the device's
// business. Range requests let a download resume.
func (s *Server) handleBlobGet(w http.ResponseWriter, r *http.Request, c *deviceCall) {
	if _, ok := s.body(w, r, c, 0); !ok {
		return
	}
	sum, ok := blobSum(w, r)
	if !ok {
		return
	}
	var allowed bool
	if err := s.db.QueryRow(r.Context(), `
		SELECT EXISTS (SELECT 1 FROM blob_refs br JOIN dossiers d ON d.id = br.dossier_id
		WHERE br.sha256 = $1 AND d.agency_id = $2)`, sum, c.dev.AgencyID).Scan(&allowed); err != nil {
		s.internal(w, r, "blob get", err)
		return
	}
	if !allowed {
		fail(w, http.StatusNotFound, wire.CodeNotFound)
		return
	}
	f, err := s.blobs.Open(r.Context(), sum)
	if errors.Is(err, fs.ErrNotExist) {
		s.internal(w, r, "blob get", fmt.Errorf("blob %s referenced but not in the store: %w", sum, err))
		return
	}
	if err != nil {
		s.internal(w, r, "blob get", err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"`+sum+`"`)
	w.Header().Set(wire.HeaderProtocol, wire.Current.String())
	http.ServeContent(w, r, "", time.Time{}, f)
}

// PutBlob stores a whole file the hub itself produces (a result paper
// uploaded by staff) and returns its reference.
func (s *Server) PutBlob(ctx context.Context, r io.Reader, mediaType, name string) (wire.BlobRef, error) {
	sum, size, err := s.blobs.Put(ctx, io.LimitReader(r, s.cfg.MaxBlobBytes+1))
	if err != nil {
		return wire.BlobRef{}, fmt.Errorf("put blob: %w", err)
	}
	if size > s.cfg.MaxBlobBytes || size == 0 {
		return wire.BlobRef{}, fmt.Errorf("put blob: %w: size %d outside 1..%d", ErrInvalid, size, s.cfg.MaxBlobBytes)
	}
	if _, err := s.db.Exec(ctx, "INSERT INTO blobs (sha256, size) VALUES ($1, $2) ON CONFLICT DO NOTHING", sum, size); err != nil {
		return wire.BlobRef{}, fmt.Errorf("put blob: %w", err)
	}
	return wire.BlobRef{SHA256: sum, Size: size, MediaType: mediaType, Name: name}, nil
}
