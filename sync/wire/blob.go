package wire

import (
	"crypto/sha256"
	"encoding/hex"
)

// Resumable upload of one blob, modelled on tus's core protocol but addressed
// by content: the upload's URL is /v1/blobs/{sha256}, so a client that lost
// everything but the file can still resume, and two devices uploading the
// same scan share one upload.
//
//	HEAD  → 200 with HeaderUploadOffset, HeaderUploadLength and HeaderBlobState,
//	        or 404 (nothing received yet; offset 0)
//	PATCH with HeaderUploadOffset (where this chunk starts), HeaderUploadLength
//	      (the blob's total size) and a body of at most MaxChunkBytes →
//	      204 with the new offset while partial, 201 when the last chunk made
//	      the blob complete and its SHA-256 matched, 200 when the hub already
//	      had it (the body is not read). 409 CodeOffsetMismatch carries the
//	      hub's offset; 422 CodeHashMismatch means the assembled bytes did
//	      not hash to the address and the upload starts again from zero.
//
// The hub appends a chunk only after it has read all of it and checked it
// against the request signature's body hash, and it acknowledges only after
// the chunk is on disk, so a connection cut mid-chunk costs that chunk only.
const (
	HeaderUploadOffset = "Upload-Offset"
	HeaderUploadLength = "Upload-Length"
	HeaderBlobState    = "Motcua-Blob-State"

	BlobComplete = "complete"
	BlobPartial  = "partial"

	// ChunkContentType is the Content-Type of PATCH bodies.
	ChunkContentType = "application/offset+octet-stream"

	// MaxChunkBytes is the largest chunk a hub of this version accepts. Small
	// chunks finish inside a 3G window; 1 MiB is a good client default.
	MaxChunkBytes = 4 << 20
)

// BlobPath is the URL path of a blob.
func BlobPath(sum string) string { return "/v1/blobs/" + sum }

// SumHex returns the lowercase hex SHA-256 of b: a blob's address.
func SumHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// ValidSHA256 reports whether s is a blob address: 64 lowercase hex digits.
// Uppercase is refused so that one blob has exactly one address.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
