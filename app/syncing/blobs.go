package syncing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"motcua/app/blobs"
)

// DeskBlobs is the desk's encrypted blob store (app/blobs) as the sender's
// BlobSource and the puller's ResultStore: scans go up from it, result
// papers come down into it.
type DeskBlobs struct{ Store *blobs.Store }

// OpenBlob opens a blob to upload; an unknown one wraps fs.ErrNotExist.
func (b DeskBlobs) OpenBlob(ctx context.Context, sha string) (BlobReader, error) {
	r, err := b.Store.Open(sha)
	if errors.Is(err, blobs.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	}
	return r, err
}

// Has reports whether a result paper is stored already.
func (b DeskBlobs) Has(sha string) (bool, error) { return b.Store.Has(sha) }

// Put stores a downloaded result paper.
func (b DeskBlobs) Put(ctx context.Context, r io.Reader) (string, int64, error) {
	ref, err := b.Store.Put(ctx, r)
	return ref.SHA256, ref.Size, err
}
