package wire_test

import (
	"bytes"
	"crypto/ed25519"
	"io"
	"testing"

	"motcua/sync/wire"
)

// FuzzOpenBundle: a bundle comes on a USB stick from anywhere. Reading one
// must never panic or read past the limits, and whatever it lets through
// must be what the signed manifest says.
func FuzzOpenBundle(f *testing.F) {
	pub, key, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{9}, 64)))
	good, _, _ := writeBundle(&testing.T{}, key)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := wire.OpenBundle(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		if err := b.Verify(pub); err != nil {
			return
		}
		if err := b.CheckContent(); err != nil {
			return
		}
		// Verified and checked: every item and blob reads back whole.
		for i := range b.Manifest.Items {
			if _, err := b.Item(i); err != nil {
				t.Fatalf("item %d of a checked bundle: %v", i, err)
			}
		}
		for _, bl := range b.Manifest.Blobs {
			r, err := b.OpenBlob(bl.SHA256)
			if err != nil {
				t.Fatalf("blob %s of a checked bundle: %v", bl.SHA256, err)
			}
			n, err := io.Copy(io.Discard, r)
			r.Close()
			if err != nil || n != bl.Size {
				t.Fatalf("blob %s: %d bytes, %v", bl.SHA256, n, err)
			}
		}
	})
}
