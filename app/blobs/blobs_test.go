package blobs

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func newStore(t testing.TB) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blobs")
	s, err := Open(dir, testKey(7), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func randBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	r.Read(b)
	return b
}

func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func mustPut(t testing.TB, s *Store, b []byte) Ref {
	t.Helper()
	ref, err := s.Put(context.Background(), bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if ref.SHA256 != digest(b) || ref.Size != int64(len(b)) {
		t.Fatalf("Put returned %+v, want %s/%d", ref, digest(b), len(b))
	}
	return ref
}

// readBlob opens and reads a whole blob: tampering may show at either step.
func readBlob(s *Store, sha string) ([]byte, error) {
	r, err := s.Open(sha)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// files lists every regular file under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func listAll(t *testing.T, s *Store) (map[string]int64, error) {
	t.Helper()
	got := map[string]int64{}
	err := s.Walk(func(sha string, size int64) error {
		if _, dup := got[sha]; dup {
			t.Errorf("Walk listed %s twice", sha)
		}
		got[sha] = size
		return nil
	})
	return got, err
}

func TestRoundTrip(t *testing.T) {
	s, _ := newStore(t)
	for _, n := range []int{0, 1, chunkSize - trailerLen - 1, chunkSize - trailerLen, chunkSize - 1, chunkSize, chunkSize + 1, 2*chunkSize + 17, 5<<20 + 3} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			data := randBytes(uint64(n), n)
			ref := mustPut(t, s, data)
			if ok, err := s.Has(ref.SHA256); !ok || err != nil {
				t.Fatalf("Has = %v, %v", ok, err)
			}
			r, err := s.Open(ref.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Size() != int64(n) {
				t.Fatalf("Size = %d, want %d", r.Size(), n)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes (err %v), want the %d bytes put", len(got), err, n)
			}
			if err := s.Verify(ref.SHA256); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSeek(t *testing.T) {
	s, _ := newStore(t)
	data := randBytes(1, 3<<20+123)
	ref := mustPut(t, s, data)
	r, err := s.Open(ref.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	size := int64(len(data))
	pos := int64(0)
	for i := range 300 {
		var off int64
		whence := i % 3
		switch whence {
		case io.SeekStart:
			off = rng.Int64N(size + 1)
		case io.SeekCurrent:
			off = rng.Int64N(size+1) - pos
		case io.SeekEnd:
			off = -rng.Int64N(size + 1)
		}
		if pos, err = r.Seek(off, whence); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, rng.IntN(3*chunkSize))
		n, err := io.ReadFull(r, buf)
		want := data[pos:min(pos+int64(len(buf)), size)]
		if !bytes.Equal(buf[:n], want) || (n < len(buf) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF)) {
			t.Fatalf("seek(%d, %d) to %d: read %d bytes (err %v) that differ from the plaintext", off, whence, pos, n, err)
		}
		pos += int64(n)
	}
	for range 50 {
		off := rng.Int64N(size + 1)
		buf := make([]byte, rng.IntN(3*chunkSize))
		n, err := r.ReadAt(buf, off)
		want := data[off:min(off+int64(len(buf)), size)]
		if !bytes.Equal(buf[:n], want) || (n < len(buf) && err != io.EOF) {
			t.Fatalf("ReadAt(%d bytes, %d): %d bytes (err %v) that differ from the plaintext", len(buf), off, n, err)
		}
	}
	if _, err := r.Seek(size+10, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("read past the end: %d, %v", n, err)
	}
}

func TestDedupe(t *testing.T) {
	s, dir := newStore(t)
	data := randBytes(2, 100_000)
	ref := mustPut(t, s, data)
	fs1 := files(t, dir)
	before, _ := os.ReadFile(filepath.Join(dir, fs1[0]))
	if ref2 := mustPut(t, s, data); ref2 != ref {
		t.Fatalf("second Put = %+v, want %+v", ref2, ref)
	}
	fs2 := files(t, dir)
	after, _ := os.ReadFile(filepath.Join(dir, fs2[0]))
	// Encryption is randomised: equal bytes mean the file was not rewritten.
	if len(fs1) != 1 || len(fs2) != 1 || !bytes.Equal(before, after) {
		t.Fatalf("files %v then %v; rewritten: %v", fs1, fs2, !bytes.Equal(before, after))
	}
}

func TestConcurrentPut(t *testing.T) {
	s, dir := newStore(t)
	same := randBytes(3, 3*chunkSize+5)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		data := same
		if i%2 == 1 {
			data = randBytes(uint64(100+i), 2*chunkSize+i)
		}
		wg.Go(func() {
			ref, err := s.Put(context.Background(), bytes.NewReader(data))
			if err == nil && ref.SHA256 != digest(data) {
				err = fmt.Errorf("ref %s, want %s", ref.SHA256, digest(data))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := listAll(t, s)
	if err != nil || len(got) != 9 {
		t.Fatalf("Walk found %d blobs (err %v), want 9", len(got), err)
	}
	for sha := range got {
		if err := s.Verify(sha); err != nil {
			t.Error(err)
		}
	}
	if n := len(files(t, dir)); n != 9 {
		t.Fatalf("%d files in the store, want 9 (temporary files left?)", n)
	}
}

// payloadStart is the offset of the first STREAM chunk of an age file: the
// header ends with "---" and its MAC on one line, then a 16-byte nonce.
func payloadStart(t *testing.T, b []byte) int {
	t.Helper()
	i := bytes.Index(b, []byte("\n---"))
	if i < 0 {
		t.Fatal("no age header end")
	}
	j := bytes.IndexByte(b[i+1:], '\n')
	return i + 1 + j + 1 + 16
}

func TestTamper(t *testing.T) {
	const enc = chunkSize + 16 // an encrypted chunk
	// Walk reads only the header and the final chunk (Verify reads all):
	// inner damage shows when the blob is read.
	cases := []struct {
		name   string
		walk   bool // Walk notices
		change func(t *testing.T, b []byte) []byte
	}{
		{"bit in header", true, func(t *testing.T, b []byte) []byte { b[40] ^= 1; return b }},
		{"bit in nonce", true, func(t *testing.T, b []byte) []byte { b[payloadStart(t, b)-1] ^= 1; return b }},
		{"bit in first chunk", false, func(t *testing.T, b []byte) []byte { b[payloadStart(t, b)+100] ^= 0x80; return b }},
		{"bit in middle chunk", false, func(t *testing.T, b []byte) []byte { b[payloadStart(t, b)+enc+5] ^= 4; return b }},
		{"bit in last byte", true, func(t *testing.T, b []byte) []byte { b[len(b)-1] ^= 1; return b }},
		{"truncated by one byte", true, func(t *testing.T, b []byte) []byte { return b[:len(b)-1] }},
		{"last chunk dropped", true, func(t *testing.T, b []byte) []byte { return b[:payloadStart(t, b)+3*enc] }},
		{"byte appended", true, func(t *testing.T, b []byte) []byte { return append(b, 0) }},
		{"chunks swapped", false, func(t *testing.T, b []byte) []byte {
			p := payloadStart(t, b)
			c0 := bytes.Clone(b[p : p+enc])
			copy(b[p:], b[p+enc:p+2*enc])
			copy(b[p+enc:], c0)
			return b
		}},
		{"emptied", true, func(t *testing.T, b []byte) []byte { return nil }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, dir := newStore(t)
			data := randBytes(4, 3*chunkSize+1000) // four chunks with the trailer
			ref := mustPut(t, s, data)
			p := filepath.Join(dir, files(t, dir)[0])
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, c.change(t, b), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := readBlob(s, ref.SHA256)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("read gave %d bytes and %v, want ErrCorrupt", len(got), err)
			}
			if err := s.Verify(ref.SHA256); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Verify: %v, want ErrCorrupt", err)
			}
			if got, err := listAll(t, s); c.walk && (len(got) != 0 || !errors.Is(err, ErrCorrupt)) {
				t.Fatalf("Walk listed %v with %v, want nothing and ErrCorrupt", got, err)
			}
		})
	}
}

func TestSwappedFiles(t *testing.T) {
	s, dir := newStore(t)
	a, b := mustPut(t, s, []byte("page one")), mustPut(t, s, []byte("page two"))
	pa, pb := s.path(a.SHA256), s.path(b.SHA256)
	ca, _ := os.ReadFile(pa)
	cb, _ := os.ReadFile(pb)
	os.WriteFile(pa, cb, 0o600)
	os.WriteFile(pb, ca, 0o600)
	for _, ref := range []Ref{a, b} {
		if got, err := readBlob(s, ref.SHA256); !errors.Is(err, ErrCorrupt) {
			t.Errorf("read %s after the swap: %q, %v; want ErrCorrupt", ref.SHA256, got, err)
		}
	}
	if got, err := listAll(t, s); len(got) != 0 || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Walk listed %v with %v, want nothing and ErrCorrupt", got, err)
	}
	if n := len(files(t, dir)); n != 2 {
		t.Fatalf("%d files, want the 2 swapped ones untouched", n)
	}
}

func TestWrongKey(t *testing.T) {
	s, dir := newStore(t)
	ref := mustPut(t, s, []byte("giấy khai sinh"))
	other, err := Open(dir, testKey(8), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := other.Has(ref.SHA256); ok {
		t.Fatal("another key finds the blob under the same name")
	}
	if _, err := other.Open(ref.SHA256); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open with another key: %v, want ErrNotFound", err)
	}
	// Even under the name the other key expects, the file does not open.
	os.MkdirAll(filepath.Dir(other.path(ref.SHA256)), 0o700)
	if err := os.Rename(s.path(ref.SHA256), other.path(ref.SHA256)); err != nil {
		t.Fatal(err)
	}
	_, err = readBlob(other, ref.SHA256)
	var noMatch *age.NoIdentityMatchError
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &noMatch) {
		t.Fatalf("Open with another key: %v, want ErrCorrupt from age's identity check", err)
	}
}

func TestNoPlaintextOnDisk(t *testing.T) {
	s, dir := newStore(t)
	marker := []byte("079203004512")
	big := bytes.Repeat(append([]byte("CCCD: "), marker...), 100_000)
	refs := []Ref{mustPut(t, s, big), mustPut(t, s, marker)}
	for _, rel := range files(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, marker) {
			t.Errorf("%s holds the citizen ID in the clear", rel)
		}
		for _, ref := range refs {
			raw, _ := hex.DecodeString(ref.SHA256)
			if strings.Contains(rel, ref.SHA256) || bytes.Contains(b, []byte(ref.SHA256)) || bytes.Contains(b, raw) {
				t.Errorf("%s reveals the plaintext digest %s", rel, ref.SHA256)
			}
		}
	}
}

func TestOpenRemovesLeftovers(t *testing.T) {
	dir := t.TempDir()
	leftover := filepath.Join(dir, tempPrefix+"123"+tempSuffix)
	other := filepath.Join(dir, "README")
	for _, p := range []string{leftover, other} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(dir, testKey(7), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("leftover of a crashed Put still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("Open removed a file that is not its own: %v", err)
	}
}

func TestOpenRejectsShortKey(t *testing.T) {
	if _, err := Open(t.TempDir(), make([]byte, 16), nil); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
}

func TestWalk(t *testing.T) {
	s, dir := newStore(t)
	want := map[string]int64{}
	for i := range 20 {
		ref := mustPut(t, s, randBytes(uint64(200+i), i*1000))
		want[ref.SHA256] = ref.Size
	}
	// Strays that are not blobs are not listed.
	os.MkdirAll(filepath.Join(dir, "ab"), 0o700)
	os.WriteFile(filepath.Join(dir, "ab", "notes.txt"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(dir, "README"), []byte("x"), 0o600)
	got, err := listAll(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Walk listed %v, want %v", got, want)
	}
	stop := errors.New("stop")
	calls := 0
	if err := s.Walk(func(string, int64) error { calls++; return stop }); err != stop || calls != 1 {
		t.Fatalf("Walk after fn's error: %v, %d calls", err, calls)
	}
}

func TestGC(t *testing.T) {
	s, _ := newStore(t)
	var refs []Ref
	for i := range 6 {
		refs = append(refs, mustPut(t, s, randBytes(uint64(300+i), 5000)))
	}
	live := map[string]bool{refs[0].SHA256: true, refs[3].SHA256: true}
	isLive := func(sha string) (bool, error) { return live[sha], nil }

	// Fresh blobs are within the grace period: their references may not be saved yet.
	if n, err := s.GC(context.Background(), isLive); n != 0 || err != nil {
		t.Fatalf("GC within the grace period removed %d (err %v)", n, err)
	}
	s.gcGrace = 0
	boom := errors.New("badger down")
	if n, err := s.GC(context.Background(), func(string) (bool, error) { return false, boom }); n != 0 || !errors.Is(err, boom) {
		t.Fatalf("GC with a failing liveness check: %d, %v", n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := s.GC(ctx, isLive); n != 0 || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled GC: %d, %v", n, err)
	}
	n, err := s.GC(context.Background(), isLive)
	if n != 4 || err != nil {
		t.Fatalf("GC removed %d (err %v), want 4", n, err)
	}
	for _, ref := range refs {
		if ok, _ := s.Has(ref.SHA256); ok != live[ref.SHA256] {
			t.Errorf("after GC Has(%s) = %v, live %v", ref.SHA256, ok, live[ref.SHA256])
		}
	}
	if got, _ := listAll(t, s); len(got) != 2 {
		t.Fatalf("Walk after GC: %v", got)
	}
}

func TestGCGraceRestartsOnDedupe(t *testing.T) {
	s, _ := newStore(t)
	s.gcGrace = time.Minute
	data := []byte("tờ khai")
	ref := mustPut(t, s, data)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(s.path(ref.SHA256), old, old)
	mustPut(t, s, data) // a new dossier references the same page
	if n, err := s.GC(context.Background(), func(string) (bool, error) { return false, nil }); n != 0 || err != nil {
		t.Fatalf("GC removed %d just-deduplicated blobs (err %v)", n, err)
	}
}

// fullDisk fails every write after the first limit bytes, as a full disk does.
type fullDisk struct {
	w     io.Writer
	limit int
}

func (d *fullDisk) Write(p []byte) (int, error) {
	if len(p) > d.limit {
		n, _ := d.w.Write(p[:d.limit])
		d.limit = 0
		return n, &fs.PathError{Op: "write", Path: "blob", Err: syscall.ENOSPC}
	}
	d.limit -= len(p)
	return d.w.Write(p)
}

func TestDiskFull(t *testing.T) {
	s, dir := newStore(t)
	t.Cleanup(func() { wrapTemp = func(w io.Writer) io.Writer { return w } })
	wrapTemp = func(w io.Writer) io.Writer { return &fullDisk{w: w, limit: 100_000} }
	data := randBytes(5, 1<<20)
	_, err := s.Put(context.Background(), bytes.NewReader(data))
	if !errors.Is(err, ErrDiskFull) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Put on a full disk: %v, want ErrDiskFull wrapping ENOSPC", err)
	}
	if left := files(t, dir); len(left) != 0 {
		t.Fatalf("a failed Put left %v", left)
	}
	wrapTemp = func(w io.Writer) io.Writer { return w }
	mustPut(t, s, data) // space freed: the same Put succeeds
}

func TestPutCancelled(t *testing.T) {
	s, dir := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, bytes.NewReader(randBytes(6, 1000))); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context: %v", err)
	}
	if left := files(t, dir); len(left) != 0 {
		t.Fatalf("a cancelled Put left %v", left)
	}
}

func TestPutFile(t *testing.T) {
	s, _ := newStore(t)
	data := randBytes(7, 200_000)
	p := filepath.Join(t.TempDir(), "scan.tif")
	os.WriteFile(p, data, 0o600)
	ref, err := s.PutFile(context.Background(), p)
	if err != nil || ref.SHA256 != digest(data) || ref.Size != int64(len(data)) {
		t.Fatalf("PutFile = %+v, %v", ref, err)
	}
	if _, err := s.PutFile(context.Background(), p+".missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("PutFile of a missing file: %v", err)
	}
}

func TestDelete(t *testing.T) {
	s, _ := newStore(t)
	ref := mustPut(t, s, []byte("x"))
	if err := s.Delete(ref.SHA256); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Has(ref.SHA256); ok {
		t.Fatal("deleted blob still there")
	}
	if _, err := s.Open(ref.SHA256); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open after Delete: %v", err)
	}
	if err := s.Delete(ref.SHA256); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
}

func TestRejectsBadDigests(t *testing.T) {
	s, _ := newStore(t)
	good := digest(nil)
	for _, sha := range []string{"", "abc", "../../../../etc/passwd", strings.ToUpper(good), good + "0", good[:62] + "/.", good[:63] + "g"} {
		_, herr := s.Has(sha)
		_, oerr := s.Open(sha)
		for op, err := range map[string]error{"Has": herr, "Open": oerr, "Delete": s.Delete(sha), "Verify": s.Verify(sha)} {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s(%q) = %v, want ErrInvalid", op, sha, err)
			}
		}
	}
}

// heapProbe records the largest heap in use while a stream passes through.
type heapProbe struct {
	base, peak uint64
	every, n   int
}

func (p *heapProbe) sample(n int) {
	if p.n += n; p.n < p.every {
		return
	}
	p.n = 0
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	p.peak = max(p.peak, m.HeapInuse-min(m.HeapInuse, p.base))
}

type probedReader struct {
	r io.Reader
	p *heapProbe
}

func (r probedReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.sample(n)
	return n, err
}

type probedWriter struct {
	w io.Writer
	p *heapProbe
}

func (w probedWriter) Write(b []byte) (int, error) { w.p.sample(len(b)); return w.w.Write(b) }

func TestLargeStreamBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MB")
	}
	const size = 64 << 20
	const bound = 24 << 20 // generous; holding the stream would need 64 MB
	s, _ := newStore(t)
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	probe := &heapProbe{base: m.HeapInuse, every: 4 << 20}

	want := sha256.New()
	src := io.TeeReader(io.LimitReader(rand.NewChaCha8([32]byte{9}), size), want)
	ref, err := s.Put(context.Background(), probedReader{src, probe})
	if err != nil || ref.Size != size || ref.SHA256 != hex.EncodeToString(want.Sum(nil)) {
		t.Fatalf("Put = %+v, %v", ref, err)
	}
	r, err := s.Open(ref.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := sha256.New()
	if _, err := io.Copy(probedWriter{got, probe}, r); err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got.Sum(nil)) != ref.SHA256 {
		t.Fatal("64 MB read back differ")
	}
	t.Logf("peak heap growth over 64 MB in and out: %.1f MB", float64(probe.peak)/(1<<20))
	if probe.peak > bound {
		t.Fatalf("heap grew by %d MB while streaming 64 MB", probe.peak>>20)
	}
}

func TestBech32(t *testing.T) {
	// BIP 173 test vector.
	if got := bech32("a", nil); got != "a12uel5l" {
		t.Fatalf("bech32(a) = %s", got)
	}
	// age accepts the identity, and it is the X25519 key of the seed.
	seed := randBytes(10, 32)
	id, err := age.ParseX25519Identity(strings.ToUpper(bech32("age-secret-key-", seed)))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ecdh.X25519().NewPrivateKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	if want := bech32("age", priv.PublicKey().Bytes()); id.Recipient().String() != want {
		t.Fatalf("recipient %s, want %s", id.Recipient(), want)
	}
}
