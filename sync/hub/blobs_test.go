package hub

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"motcua/sync/wire"
)

// cutChunk sends a signed PATCH whose connection dies after cut bytes of
// the body: a 3G link dropping mid-chunk.
func (c *client) cutChunk(sum string, offset, length int64, chunk []byte, cut int) {
	c.e.t.Helper()
	req := c.newRequest(http.MethodPatch, wire.BlobPath(sum), chunk, map[string]string{
		wire.HeaderUploadOffset: strconv.FormatInt(offset, 10),
		wire.HeaderUploadLength: strconv.FormatInt(length, 10),
		"Content-Type":          wire.ChunkContentType,
	})
	conn, err := net.Dial("tcp", c.e.http.Listener.Addr().String())
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer conn.Close()
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "PATCH %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", req.URL.RequestURI(), req.Host, len(chunk))
	req.Header.Write(w)
	w.WriteString("\r\n")
	w.Write(chunk[:cut])
	if err := w.Flush(); err != nil {
		c.e.t.Fatal(err)
	}
	// Give the hub time to read what arrived, then drop the link.
	time.Sleep(50 * time.Millisecond)
}

func (c *client) head(sum string) (status int, offset int64, state string) {
	a := c.do(http.MethodHead, wire.BlobPath(sum), nil, nil)
	off, _ := strconv.ParseInt(a.header.Get(wire.HeaderUploadOffset), 10, 64)
	return a.status, off, a.header.Get(wire.HeaderBlobState)
}

// TestResumableUpload: a scan goes up in chunks, the link drops in the
// middle of one, the device asks the hub where it stands and resumes from
// there. Only the interrupted chunk is sent again, and the blob that ends
// up on disk is byte-for-byte the scan.
func TestResumableUpload(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	data := randomBytes(3<<20 + 12345)
	sum := wire.SumHex(data)
	length := int64(len(data))
	const chunk = 256 << 10

	if st, off, _ := c.head(sum); st != http.StatusNotFound || off != 0 {
		t.Fatalf("head before upload: %d offset %d", st, off)
	}
	var off int64
	for i := 0; i < 5; i++ {
		a := c.patch(sum, off, length, data[off:off+chunk])
		if a.status != http.StatusNoContent || a.header.Get(wire.HeaderUploadOffset) != strconv.FormatInt(off+chunk, 10) {
			t.Fatalf("chunk %d: %d %s", i, a.status, a.body)
		}
		off += chunk
	}
	c.cutChunk(sum, off, length, data[off:off+chunk], chunk/2)

	// The hub saw the body end early (and appended none of it).
	deadline := time.Now().Add(5 * time.Second)
	for e.srv.metrics.value("motcua_hub_bodies_cut_total", "") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the hub never saw the cut chunk")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Where does the hub stand? Exactly after the last acknowledged chunk.
	st, hubOff, state := c.head(sum)
	if st != http.StatusOK || hubOff != off || state != wire.BlobPartial {
		t.Fatalf("head after the cut: %d offset %d %s, want 200 offset %d partial", st, hubOff, state, off)
	}
	var missing wire.MissingResponse
	a := c.do(http.MethodPost, "/v1/blobs/missing", mustJSON(wire.MissingRequest{Blobs: []wire.BlobSize{{SHA256: sum, Size: length}}}), jsonHdr())
	if json.Unmarshal(a.body, &missing) != nil || len(missing.Missing) != 1 || missing.Missing[0].Offset != off {
		t.Fatalf("missing after the cut: %s", a.body)
	}
	// A client that lost its state and starts from zero is told the offset.
	if a := c.patch(sum, 0, length, data[:chunk]); a.status != http.StatusConflict || a.err().Code != wire.CodeOffsetMismatch ||
		a.err().Offset == nil || *a.err().Offset != off || a.header.Get(wire.HeaderUploadOffset) != strconv.FormatInt(off, 10) {
		t.Fatalf("wrong offset: %d %s", a.status, a.body)
	}
	for off < length {
		end := min(off+chunk, length)
		a := c.patch(sum, off, length, data[off:end])
		want := http.StatusNoContent
		if end == length {
			want = http.StatusCreated
		}
		if a.status != want {
			t.Fatalf("resume at %d: %d %s", off, a.status, a.body)
		}
		off = end
	}
	if st, off, state := c.head(sum); st != http.StatusOK || off != length || state != wire.BlobComplete {
		t.Fatalf("head after upload: %d %d %s", st, off, state)
	}
	// Bytes appended = the blob's size: the cut chunk's first half was
	// dropped, nothing was appended twice.
	if got := e.srv.metrics.value("motcua_hub_blob_bytes_received_total", ""); got != float64(length) {
		t.Fatalf("hub appended %v bytes for a %d-byte blob", got, length)
	}
	onDisk, err := os.ReadFile(e.store.Path(sum))
	if err != nil || !bytes.Equal(onDisk, data) {
		t.Fatalf("blob on disk differs from the scan (%v)", err)
	}
	var size int64
	if err := e.srv.DB().QueryRow(context.Background(), "SELECT size FROM blobs WHERE sha256 = $1", sum).Scan(&size); err != nil || size != length {
		t.Fatalf("blobs row: %d %v", size, err)
	}
	if n := e.count("blob_uploads"); n != 0 {
		t.Fatalf("%d uploads left in progress", n)
	}
	// Sending it again costs nothing: the hub says it has it without
	// reading the body.
	if a := c.patch(sum, 0, length, data[:chunk]); a.status != http.StatusOK || a.header.Get(wire.HeaderBlobState) != wire.BlobComplete {
		t.Fatalf("re-upload of a present blob: %d", a.status)
	}
	a = c.do(http.MethodPost, "/v1/blobs/missing", mustJSON(wire.MissingRequest{Blobs: []wire.BlobSize{{SHA256: sum, Size: length}}}), jsonHdr())
	if json.Unmarshal(a.body, &missing) != nil || len(missing.Missing) != 0 {
		t.Fatalf("present blob reported missing: %s", a.body)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestUploadSurvivesHubRestart: acknowledged chunks are durable; after a
// restart the hub reports the same offset and the upload completes.
func TestUploadSurvivesHubRestart(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	data := randomBytes(100_000)
	sum := wire.SumHex(data)
	if a := c.patch(sum, 0, int64(len(data)), data[:60_000]); a.status != http.StatusNoContent {
		t.Fatalf("first chunk: %d", a.status)
	}
	e.restart()
	if st, off, _ := c.head(sum); st != http.StatusOK || off != 60_000 {
		t.Fatalf("after restart: %d offset %d", st, off)
	}
	if a := c.patch(sum, 60_000, int64(len(data)), data[60_000:]); a.status != http.StatusCreated {
		t.Fatalf("last chunk: %d %s", a.status, a.body)
	}
}

// TestUploadHashMismatch: bytes that do not hash to the address they were
// sent to never become a blob, and the upload restarts from zero.
func TestUploadHashMismatch(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	data := randomBytes(50_000)
	claimed := wire.SumHex(randomBytes(10))
	if a := c.patch(claimed, 0, int64(len(data)), data[:30_000]); a.status != http.StatusNoContent {
		t.Fatalf("first chunk: %d", a.status)
	}
	a := c.patch(claimed, 30_000, int64(len(data)), data[30_000:])
	if a.status != http.StatusUnprocessableEntity || a.err().Code != wire.CodeHashMismatch || a.err().Message == "" {
		t.Fatalf("mismatched upload: %d %s", a.status, a.body)
	}
	if st, off, _ := c.head(claimed); st != http.StatusNotFound || off != 0 {
		t.Fatalf("after mismatch: %d offset %d", st, off)
	}
	if e.count("blobs") != 0 || e.count("blob_uploads") != 0 {
		t.Fatalf("mismatch left rows: %d blobs, %d uploads", e.count("blobs"), e.count("blob_uploads"))
	}
	if _, err := os.Stat(e.store.Path(claimed)); !os.IsNotExist(err) {
		t.Fatalf("mismatched bytes stored under the claimed address: %v", err)
	}
	if got := e.srv.metrics.value("motcua_hub_blob_hash_mismatches_total", ""); got != 1 {
		t.Fatalf("mismatch metric %v", got)
	}
	// A dossier pointing at it is refused: the hub does not have it.
	resp, _ := c.push(wire.PushRequest{Dossiers: []wire.Dossier{dossier(communeA, wire.BlobRef{SHA256: claimed, Size: 50_000, MediaType: "application/pdf"})}})
	if r := resp.Dossiers[0]; r.Code != wire.CodeBlobMissing {
		t.Fatalf("dossier on a mismatched blob: %+v", r)
	}
}

func TestUploadRefusals(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	data := randomBytes(1000)
	sum := wire.SumHex(data)
	c.patch(sum, 0, 1000, data[:400])
	tests := []struct {
		name   string
		sum    string
		hdr    map[string]string
		body   []byte
		status int
		code   string
	}{
		{"uppercase address", hexUpper(sum), nil, data[400:], 400, wire.CodeBadRequest},
		{"no length", sum, map[string]string{wire.HeaderUploadOffset: "400", "Content-Type": wire.ChunkContentType}, data[400:], 400, wire.CodeBadRequest},
		{"other length", sum, map[string]string{wire.HeaderUploadOffset: "400", wire.HeaderUploadLength: "999", "Content-Type": wire.ChunkContentType}, data[400:], 409, wire.CodeLengthMismatch},
		{"wrong content type", sum, map[string]string{wire.HeaderUploadOffset: "400", wire.HeaderUploadLength: "1000", "Content-Type": "application/pdf"}, data[400:], 415, wire.CodeUnsupportedMedia},
		{"beyond length", sum, map[string]string{wire.HeaderUploadOffset: "400", wire.HeaderUploadLength: "1000", "Content-Type": wire.ChunkContentType}, randomBytes(700), 400, wire.CodeBadRequest},
		{"blob too large", wire.SumHex([]byte("big")), map[string]string{wire.HeaderUploadOffset: "0", wire.HeaderUploadLength: strconv.Itoa(2 << 30), "Content-Type": wire.ChunkContentType}, []byte("big"), 413, wire.CodeTooLarge},
		{"chunk too large", wire.SumHex([]byte("c")), map[string]string{wire.HeaderUploadOffset: "0", wire.HeaderUploadLength: strconv.Itoa(8 << 20), "Content-Type": wire.ChunkContentType}, make([]byte, wire.MaxChunkBytes+1), 413, wire.CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := c.do(http.MethodPatch, "/v1/blobs/"+tt.sum, tt.body, tt.hdr)
			if a.status != tt.status || a.err().Code != tt.code {
				t.Fatalf("got %d %s, want %d %s", a.status, a.body, tt.status, tt.code)
			}
		})
	}
	if st, off, _ := c.head(sum); st != http.StatusOK || off != 400 {
		t.Fatalf("refusals moved the upload: %d offset %d", st, off)
	}
}

func hexUpper(s string) string {
	b, _ := hex.DecodeString(s)
	return fmt.Sprintf("%X", b)
}

// TestResultDownloadResumes: a result paper put by hub staff is
// downloadable by its commune, in ranges, and hashes to its address.
func TestResultDownloadResumes(t *testing.T) {
	e := newEnv(t)
	a, b := e.enrol(communeA), e.enrol(communeB)
	d := dossier(communeA)
	a.push(wire.PushRequest{Dossiers: []wire.Dossier{d}})
	paper := randomBytes(70_000)
	ref, err := e.srv.PutBlob(context.Background(), bytes.NewReader(paper), "application/pdf", "giay-khai-sinh.pdf")
	if err != nil || ref.SHA256 != wire.SumHex(paper) || ref.Size != int64(len(paper)) {
		t.Fatalf("put blob: %+v %v", ref, err)
	}
	if _, err := e.srv.RecordChange(context.Background(), ChangeInput{
		DossierID: d.ID, Kind: wire.ChangeResult, Action: "record_result", To: "result_ready",
		NationalStatus: wire.StatusDone, Actor: "s-01", Results: []wire.ResultPaper{{Name: "Giấy khai sinh", Blob: ref}},
	}); err != nil {
		t.Fatal(err)
	}
	first := a.do(http.MethodGet, wire.BlobPath(ref.SHA256), nil, map[string]string{"Range": "bytes=0-29999"})
	rest := a.do(http.MethodGet, wire.BlobPath(ref.SHA256), nil, map[string]string{"Range": "bytes=30000-"})
	if first.status != http.StatusPartialContent || rest.status != http.StatusPartialContent {
		t.Fatalf("ranges: %d %d", first.status, rest.status)
	}
	got := sha256.Sum256(append(first.body, rest.body...))
	if hex.EncodeToString(got[:]) != ref.SHA256 {
		t.Fatal("resumed download does not hash to the blob's address")
	}
	if ans := b.do(http.MethodGet, wire.BlobPath(ref.SHA256), nil, nil); ans.status != http.StatusNotFound {
		t.Fatalf("other commune downloads the result: %d", ans.status)
	}
	r, _ := http.NewRequest(http.MethodGet, e.http.URL+"/admin/v1/blobs/"+ref.SHA256, nil)
	r.Header.Set("Authorization", "Bearer "+adminToken)
	if ans := send(t, r); ans.status != 200 || !bytes.Equal(ans.body, paper) {
		t.Fatalf("admin download: %d", ans.status)
	}
}
