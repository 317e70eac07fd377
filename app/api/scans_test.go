package api

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"motcua/app/blobs"
	"motcua/app/digitize"
	"motcua/app/office"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/internal/scantest"
	"motcua/scanning"
	"motcua/scanning/fitz"
	"motcua/scanning/tesseract"
)

// newScanServer is the API with reception and digitisation on a real
// store, blob store and OCR engine, its scan queue running.
func newScanServer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(&testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "db"), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	off := office.NewService(st)
	rec, err := reception.New(st, off)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := blobs.Open(filepath.Join(dir, "blobs"), bytes.Repeat([]byte{1}, 32), log)
	if err != nil {
		t.Fatal(err)
	}
	pipe := scanning.New(fitz.New(), func() (scanning.Recognizer, error) { return tesseract.New(tesseract.Options{}) },
		scanning.Options{DPI: 200, Workers: 1, Compact: true, Logger: log})
	dig, err := digitize.New(st, bs, pipe, rec, digitize.Options{TempDir: filepath.Join(dir, "tmp"), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done, watched := make(chan struct{}), make(chan struct{})
	go func() { dig.Run(ctx); close(done) }()
	go func() { dig.Watch(ctx, 50*time.Millisecond, 200*time.Millisecond); close(watched) }()
	srv := httptest.NewServer(New(Config{Version: "t", Office: off, Store: st, Reception: rec, Digitize: dig, Logger: log}))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		<-watched
		pipe.Close()
		st.Close()
	})
	if code, body := do(t, "PUT", srv.URL+"/api/settings", "application/json", []byte(validSettings)); code != 200 {
		t.Fatalf("settings: %d %v", code, body)
	}
	return srv.URL
}

func scanPDF(t *testing.T, pages ...[]string) []byte {
	t.Helper()
	imgs := make([]image.Image, len(pages))
	for i, l := range pages {
		g, err := scantest.RenderGray(l, 200)
		if err != nil {
			t.Fatal(err)
		}
		imgs[i] = g
	}
	var b bytes.Buffer
	if err := scantest.WriteImagePDF(&b, imgs, 200); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func upload(t *testing.T, base, name, query string, data []byte) (int, map[string]any) {
	t.Helper()
	return do(t, "POST", base+"/api/scans?name="+url.QueryEscape(name)+query, "application/pdf", data)
}

func TestScansOverHTTP(t *testing.T) {
	base := newScanServer(t)
	code, body := do(t, "POST", base+"/api/dossiers", "application/json", []byte(receptionBody("req-scan-0001", "001190012345")))
	if code != 201 {
		t.Fatalf("receive: %d %v", code, body)
	}
	dossierID := body["dossier"].(map[string]any)["id"].(string)

	file := scanPDF(t, scantest.Page(0, 6), []string{"GIẤY KHAI SINH", "Họ và tên: Trần Minh Khôi"})
	code, body = upload(t, base, "khai sinh.pdf", "&dossier="+dossierID+"&component="+url.QueryEscape("Giấy khai sinh"), file)
	if code != http.StatusAccepted || body["duplicate"] != false {
		t.Fatalf("upload: %d %v", code, body)
	}
	job := body["job"].(map[string]any)
	id := job["id"].(string)
	if job["state"] != "queued" || job["stateLabel"] != "Đang chờ" || job["dossierId"] != dossierID {
		t.Fatalf("job %v", job)
	}

	deadline := time.Now().Add(2 * time.Minute)
	for {
		code, body = do(t, "GET", base+"/api/scans/"+id, "", nil)
		if code != 200 {
			t.Fatalf("get: %d %v", code, body)
		}
		if s := body["job"].(map[string]any)["state"]; s == "done" || s == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not done: %v", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	job = body["job"].(map[string]any)
	pages := body["pages"].([]any)
	if job["state"] != "done" || job["done"] != 2.0 || job["pages"] != 2.0 || len(pages) != 2 {
		t.Fatalf("finished job %v, %d pages", job, len(pages))
	}
	if p := pages[1].(map[string]any); !strings.Contains(p["text"].(string), "KHAI SINH") || p["words"] != nil {
		t.Errorf("page 2 as served: %v", p)
	}
	// What the screens get, and nothing of the store's bookkeeping.
	checkKeys(t, "job", job, "id name kind size sha256 state stateLabel pages done pdfPages pdfSize blank confidence "+
		"ocrPages textPages dossierId dossierCode component bindings separators duplicatePages createdAt startedAt finishedAt createdBy")
	checkKeys(t, "page", pages[1].(map[string]any), "n pdfPage blank source confidence text dpi mode rotation skew reviewed corrected")
	code, body = do(t, "GET", base+"/api/scans?limit=1", "", nil)
	if items, _ := body["items"].([]any); code != 200 || len(items) != 1 {
		t.Fatalf("list: %d %v", code, body)
	} else {
		checkKeys(t, "listed job", items[0].(map[string]any), strings.Join(slices.Sorted(maps.Keys(job)), " "))
	}

	// The PDF, whole and by range (the viewer asks for ranges).
	resp, err := http.Get(base + "/api/scans/" + id + "/pdf")
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("pdf: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), pdf[:min(len(pdf), 8)])
	}
	if job["pdfSize"] != float64(len(pdf)) {
		t.Errorf("pdfSize %v, the PDF has %d bytes", job["pdfSize"], len(pdf))
	}
	req, _ := http.NewRequest("GET", base+"/api/scans/"+id+"/pdf", nil)
	req.Header.Set("Range", "bytes=100-199")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, pdf[100:200]) {
		t.Errorf("range: %d, %d bytes", resp.StatusCode, len(part))
	}
	if resp, err := http.Get(base + "/api/scans/" + id + "/pages/2/image"); err != nil || resp.StatusCode != 200 ||
		resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("page image: %v %v", resp, err)
	}

	// One box: the applicant's name finds the dossier, the scan's words
	// the page.
	code, body = do(t, "GET", base+"/api/search?q="+url.QueryEscape("nguyen thi huong"), "", nil)
	if code != 200 || len(body["dossiers"].([]any)) != 1 {
		t.Errorf("search by name: %d %v", code, body)
	}
	code, body = do(t, "GET", base+"/api/search?q="+url.QueryEscape("giay khai sinh"), "", nil)
	hits, _ := body["pages"].([]any)
	if code != 200 || len(hits) == 0 || hits[0].(map[string]any)["page"] != 2.0 || hits[0].(map[string]any)["jobId"] != id {
		t.Errorf("search by scan text: %d %v", code, body)
	}

	// The same file again.
	code, body = upload(t, base, "lai.pdf", "", file)
	if code != 200 || body["duplicate"] != true || body["job"].(map[string]any)["id"] != id {
		t.Errorf("duplicate upload: %d %v", code, body)
	}
}

func TestBadScansOverHTTP(t *testing.T) {
	base := newScanServer(t)
	var png bytes.Buffer
	if err := scantest.EncodePNG(&png, scantest.Gray(100, 100, 255)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, query string
		data        []byte
		status      int
		code, words string
	}{
		{"rong.pdf", "", nil, 400, "corrupt_file", "0 byte"},
		{"anh.pdf", "", png.Bytes(), 400, "extension_mismatch", "không khớp"},
		{"../thu-muc/tep.pdf", "", png.Bytes(), 400, "bad_file_name", "Tên tệp"},
		{"lon.png", "", scantest.PNGHeader(30000, 30000), 413, "file_too_large", "30000 × 30000"},
		{"van-ban.pdf", "", []byte("không phải PDF"), 400, "unsupported_file", "PDF, JPEG, PNG, TIFF"},
		{"tep.pdf", "&dossier=khong-co", scanPDF(t, []string{"Trang một"}), 404, "not_found", "hồ sơ"},
	}
	for _, tt := range tests {
		code, body := upload(t, base, tt.name, tt.query, tt.data)
		msg, _ := body["error"].(map[string]any)["message"].(string)
		if code != tt.status || errCode(body) != tt.code || !strings.Contains(msg, tt.words) {
			t.Errorf("%s: %d %v", tt.name, code, body)
		}
	}
	if code, body := do(t, "GET", base+"/api/scans", "", nil); code != 200 || len(body["items"].([]any)) != 0 {
		t.Errorf("refused files left jobs: %v", body)
	}
	if code, body := do(t, "GET", base+"/api/scans/khong-co/pdf", "", nil); code != 404 {
		t.Errorf("unknown job pdf: %d %v", code, body)
	}

	// Archive batches: validation in Vietnamese, export refused until ready.
	code, body := do(t, "POST", base+"/api/archive/batches", "application/json", []byte(`{"name":"","recordType":"Sổ khai sinh","organName":"UBND xã"}`))
	if code != 400 || !strings.Contains(fmt.Sprint(body), "Tên lô không được để trống.") {
		t.Errorf("bad batch: %d %v", code, body)
	}
	code, body = do(t, "POST", base+"/api/archive/batches", "application/json",
		[]byte(`{"name":"Sổ đăng ký khai sinh 1995","recordType":"Sổ hộ tịch","organName":"UBND xã An Bình","year":1995}`))
	if code != 201 {
		t.Fatalf("batch: %d %v", code, body)
	}
	bid := body["batch"].(map[string]any)["id"].(string)
	code, body = do(t, "GET", base+"/api/archive/batches/"+bid+"/export.zip", "", nil)
	if code != 409 || errCode(body) != "not_ready" {
		t.Errorf("export of an empty batch: %d %v", code, body)
	}
	code, body = upload(t, base, "so-1995-q1.pdf", "&batch="+bid, scanPDF(t, []string{"SỔ ĐĂNG KÝ KHAI SINH", "Năm 1995"}))
	if code != 202 || body["job"].(map[string]any)["batchId"] != bid {
		t.Fatalf("upload into batch: %d %v", code, body)
	}
	jid := body["job"].(map[string]any)["id"].(string)
	code, body = do(t, "PUT", base+"/api/archive/batches/"+bid+"/documents/"+jid, "application/json",
		[]byte(`{"docCode":"H56.06_KS_000001_V1","typeName":"Sổ","codeNumber":"01","codeNotation":"KS","issuedDate":"1995-13-01","organName":"UBND xã An Bình","subject":"Sổ đăng ký khai sinh quý 1 năm 1995"}`))
	if code != 400 || !strings.Contains(fmt.Sprint(body), "Ngày ban hành phải là một ngày hợp lệ.") {
		t.Errorf("bad metadata: %d %v", code, body)
	}
}

type testLog struct{ t *testing.T }

func (l *testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestSeparatorSheetOverHTTP(t *testing.T) {
	base := newScanServer(t)
	resp, err := http.Get(base + "/api/scans/separator.pdf")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("separator sheet: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// checkKeys fails unless obj has exactly the space-separated keys.
func checkKeys(t *testing.T, what string, obj map[string]any, keys string) {
	t.Helper()
	got := slices.Sorted(maps.Keys(obj))
	want := strings.Fields(keys)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s has keys %q, want %q", what, got, want)
	}
}

// TestWatchFolderProblemOverHTTP: a watch folder that went away is reported
// in Vietnamese words only (the Go error goes to the log), and the report
// ends when the folder is back.
func TestWatchFolderProblemOverHTTP(t *testing.T) {
	base := newScanServer(t)
	dir := filepath.Join(t.TempDir(), "may-quet")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if code, body := do(t, "PUT", base+"/api/intake", "application/json", []byte(`{"watchFolder":`+strconv.Quote(dir)+`}`)); code != 200 {
		t.Fatalf("set watch folder: %d %v", code, body)
	}
	intake := func(until func(map[string]any) bool) map[string]any {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			code, body := do(t, "GET", base+"/api/intake", "", nil)
			if code != 200 {
				t.Fatalf("intake: %d %v", code, body)
			}
			if until(body) {
				return body
			}
			if time.Now().After(deadline) {
				t.Fatalf("intake stays %v", body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	intake(func(b map[string]any) bool { return b["watching"] == true })
	if err := os.Rename(dir, dir+"-cu"); err != nil {
		t.Fatal(err)
	}
	body := intake(func(b map[string]any) bool { return b["watchError"] != nil })
	if body["watchProblem"] != digitize.WatchMissing || body["watchError"] != watchMessages[digitize.WatchMissing] || body["watching"] != false {
		t.Errorf("missing folder reported as %v", body)
	}
	if msg := body["watchError"].(string); strings.Contains(msg, dir) || strings.Contains(msg, "no such file") {
		t.Errorf("watch error carries the Go error: %q", msg)
	}
	if err := os.Rename(dir+"-cu", dir); err != nil {
		t.Fatal(err)
	}
	body = intake(func(b map[string]any) bool { return b["watching"] == true })
	if _, ok := body["watchError"]; ok {
		t.Errorf("watch error stays after the folder is back: %v", body)
	}
}

// TestWatchMessages: every problem the watcher reports has words.
func TestWatchMessages(t *testing.T) {
	for _, p := range []string{digitize.WatchMissing, digitize.WatchDenied, digitize.WatchNotFolder, digitize.WatchUnreadable} {
		if watchMessages[p] == "" {
			t.Errorf("no message for %q", p)
		}
	}
}
