package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"motcua/sync/wire"
)

// Missing asks which of blobs the hub does not hold completely; each
// answer carries the offset its upload already reached, so an interrupted
// upload resumes without another round trip.
func (c *Client) Missing(ctx context.Context, blobs []wire.BlobSize) ([]wire.MissingBlob, error) {
	var out []wire.MissingBlob
	for start := 0; start < len(blobs); start += wire.MaxMissingQuery {
		part := blobs[start:min(start+wire.MaxMissingQuery, len(blobs))]
		body, err := json.Marshal(wire.MissingRequest{Blobs: part})
		if err != nil {
			return nil, fmt.Errorf("missing blobs: %w", err)
		}
		resp, err := c.do(ctx, call{method: http.MethodPost, path: "/v1/blobs/missing", body: body, signed: true,
			header: map[string]string{"Content-Type": "application/json"}})
		if err != nil {
			return nil, fmt.Errorf("missing blobs: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return nil, failure(resp, "missing blobs")
		}
		var mr wire.MissingResponse
		if err := decodeAnswer(resp, 1<<20, "missing blobs", &mr); err != nil {
			return nil, err
		}
		out = append(out, mr.Missing...)
	}
	return out, nil
}

// ErrUploadStalled is wrapped when the hub keeps answering without the
// upload moving forward.
var ErrUploadStalled = errors.New("blob upload makes no progress")

// Upload sends blob b (its address, size and the offset the hub holds)
// from r in chunks, resuming from the hub's offset whenever the hub says it
// holds something else: a chunk cut by a dropped connection is sent again,
// nothing before it. progress, if not nil, gets the acknowledged length
// after every chunk. It returns nil once the hub has verified the blob's
// SHA-256 and holds it.
func (c *Client) Upload(ctx context.Context, b wire.MissingBlob, r io.ReaderAt, progress func(done int64)) error {
	if !wire.ValidSHA256(b.SHA256) || b.Size <= 0 || b.Offset < 0 || b.Offset > b.Size {
		return fmt.Errorf("upload %s: invalid blob (size %d, offset %d)", b.SHA256, b.Size, b.Offset)
	}
	if progress == nil {
		progress = func(int64) {}
	}
	offset, restarted, stalled := b.Offset, false, 0
	buf := make([]byte, min(c.cfg.ChunkSize, b.Size))
	for {
		n := min(c.cfg.ChunkSize, b.Size-offset)
		chunk := buf[:n]
		if n > 0 {
			if _, err := r.ReadAt(chunk, offset); err != nil && !(errors.Is(err, io.EOF) && int64(len(chunk)) == n) {
				return fmt.Errorf("upload %s: read at %d: %w", b.SHA256, offset, err)
			}
		}
		// An empty chunk at the end asks the hub to verify what it holds.
		resp, err := c.do(ctx, call{method: http.MethodPatch, path: wire.BlobPath(b.SHA256), body: chunk, signed: true,
			header: map[string]string{
				wire.HeaderUploadOffset: strconv.FormatInt(offset, 10),
				wire.HeaderUploadLength: strconv.FormatInt(b.Size, 10),
				"Content-Type":          wire.ChunkContentType,
			}})
		if err != nil {
			return fmt.Errorf("upload %s at %d: %w", b.SHA256, offset, err)
		}
		next, fresh := offset, false
		switch resp.StatusCode {
		case http.StatusOK, http.StatusCreated:
			resp.Body.Close()
			progress(b.Size)
			return nil
		case http.StatusNoContent:
			resp.Body.Close()
			got, err := strconv.ParseInt(resp.Header.Get(wire.HeaderUploadOffset), 10, 64)
			if err != nil || got < 0 || got > b.Size {
				return fmt.Errorf("upload %s: %w: Upload-Offset %q", b.SHA256, ErrProtocol, resp.Header.Get(wire.HeaderUploadOffset))
			}
			next = got
		default:
			err := failure(resp, "upload "+b.SHA256)
			var we *wire.Error
			switch {
			case errors.As(err, &we) && we.Code == wire.CodeOffsetMismatch && we.Offset != nil && *we.Offset >= 0 && *we.Offset <= b.Size:
				// Most often our previous chunk arrived but its answer did
				// not: carry on from where the hub stands.
				next = *we.Offset
			case errors.As(err, &we) && we.Code == wire.CodeHashMismatch && !restarted:
				// The hub assembled bytes that do not hash to the address
				// and dropped them; one fresh start, then give up.
				restarted, next, fresh = true, 0, true
				c.log.Warn("blob hash mismatch on the hub; uploading again from the start", "sha256", b.SHA256)
			default:
				return err
			}
		}
		switch {
		case next > offset:
			stalled = 0
			progress(next)
		case fresh:
			progress(0)
		default:
			// An offset mismatch that points where we already are, or
			// backwards, more than a few times in a row: the hub is not
			// keeping what it acknowledges.
			if stalled++; stalled > 5 {
				return fmt.Errorf("upload %s at %d: %w", b.SHA256, offset, ErrUploadStalled)
			}
		}
		offset = next
	}
}

// ErrBlobDigest is wrapped when a downloaded file is not the one asked for.
var ErrBlobDigest = errors.New("downloaded blob does not match its SHA-256")

// Download writes blob sum (a result paper the hub sent with a change) to
// w, checking its length and SHA-256; w sees the bytes as they arrive, so
// the caller must discard them on error.
func (c *Client) Download(ctx context.Context, sum string, size int64, w io.Writer) error {
	if !wire.ValidSHA256(sum) || size < 0 {
		return fmt.Errorf("download %s: invalid blob", sum)
	}
	return c.getVerified(ctx, "/v1/blobs/"+sum, "download "+sum, sum, size, w)
}

// getVerified GETs a signed path whose answer must be size bytes hashing
// to sum, writing them to w as they arrive.
func (c *Client) getVerified(ctx context.Context, path, op, sum string, size int64, w io.Writer) error {
	resp, err := c.do(ctx, call{method: http.MethodGet, path: path, signed: true})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return failure(resp, op)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(resp.Body, size+1))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n != size || hex.EncodeToString(h.Sum(nil)) != sum {
		return fmt.Errorf("%s: %w (%d bytes, want %d)", op, ErrBlobDigest, n, size)
	}
	return nil
}
