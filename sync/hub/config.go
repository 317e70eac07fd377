package hub

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"motcua/sync/wire"
)

// BlobStore keeps blob bytes by SHA-256. The hub owns this interface; the
// disk store (package blobdisk) implements it, and an S3-compatible store can
// later. Sums are lowercase hex; a missing blob is an error wrapping
// fs.ErrNotExist.
type BlobStore interface {
	// Append writes p at offset of sum's staged upload, discarding anything
	// staged beyond offset first (bytes of a chunk that was never
	// acknowledged), and returns once the bytes are durable.
	Append(ctx context.Context, sum string, offset int64, p []byte) error
	// Commit hashes the staged upload of sum. If the bytes hash to sum they
	// become the blob (durably) and got == sum; otherwise the staged bytes
	// are dropped and got is what they hashed to. Committing an upload that
	// was already committed returns sum again.
	Commit(ctx context.Context, sum string) (got string, size int64, err error)
	// Discard drops sum's staged upload, if any.
	Discard(ctx context.Context, sum string) error
	// Put stores a whole blob read from r and returns its address.
	Put(ctx context.Context, r io.Reader) (sum string, size int64, err error)
	// Open returns the blob's bytes.
	Open(ctx context.Context, sum string) (io.ReadSeekCloser, error)
}

// Config configures a Server.
type Config struct {
	// DatabaseURL is a PostgreSQL connection URL; the schema is migrated at
	// start.
	DatabaseURL string
	// Blobs stores files. Required.
	Blobs BlobStore
	// AdminToken protects /admin/ endpoints (Authorization: Bearer TOKEN).
	// Empty disables them.
	AdminToken string
	// PublicURL is the hub's external base URL, used for file links in the
	// national export (e.g. https://hub.tinh.gov.vn). Optional.
	PublicURL string
	// ReferenceDir holds the documents published to every commune
	// (catalog.json, calendar-YYYY.json; see reference.go). Optional.
	ReferenceDir string
	Logger       *slog.Logger
	// Now is the clock; tests may replace it.
	Now func() time.Time

	MaxClockSkew   time.Duration // default wire.MaxClockSkew
	MaxBlobBytes   int64         // largest blob accepted; default 1 GiB
	MaxChunkBytes  int64         // largest PATCH body; default wire.MaxChunkBytes
	EnrolCodeTTL   time.Duration // default lifetime of an enrolment code; default 7 days
	UploadLockWait time.Duration // how long a PATCH waits for another on the same blob; default 5 s
	MaxDBConns     int32         // default 20
}

func (c *Config) defaults() error {
	if c.DatabaseURL == "" {
		return errors.New("hub: no database URL")
	}
	if c.Blobs == nil {
		return errors.New("hub: no blob store")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MaxClockSkew <= 0 {
		c.MaxClockSkew = wire.MaxClockSkew
	}
	if c.MaxBlobBytes <= 0 {
		c.MaxBlobBytes = 1 << 30
	}
	if c.MaxChunkBytes <= 0 || c.MaxChunkBytes > wire.MaxChunkBytes {
		c.MaxChunkBytes = wire.MaxChunkBytes
	}
	if c.EnrolCodeTTL <= 0 {
		c.EnrolCodeTTL = 7 * 24 * time.Hour
	}
	if c.UploadLockWait <= 0 {
		c.UploadLockWait = 5 * time.Second
	}
	if c.MaxDBConns <= 0 {
		c.MaxDBConns = 20
	}
	return nil
}
