package blobs

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"testing"
)

const benchSize = 4 << 20 // a few scanned pages

// BenchmarkPut stores distinct 4 MiB blobs (no dedupe), fsync included.
func BenchmarkPut(b *testing.B) {
	s, _ := newStore(b)
	data := randBytes(11, benchSize)
	b.SetBytes(benchSize)
	for i := 0; b.Loop(); i++ {
		binary.BigEndian.PutUint64(data, uint64(i))
		if _, err := s.Put(context.Background(), bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead opens a 4 MiB blob and reads it all, as a download does.
func BenchmarkRead(b *testing.B) {
	s, _ := newStore(b)
	ref := mustPut(b, s, randBytes(12, benchSize))
	b.SetBytes(benchSize)
	for b.Loop() {
		r, err := s.Open(ref.SHA256)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
