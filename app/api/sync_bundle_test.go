package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"motcua/app/accounts"
	"motcua/app/store"
	"motcua/app/syncing"
	"motcua/sync/wire"
)

// fakeBundles adds the bundle routes' use case to fakeSync.
type fakeBundles struct {
	*fakeSync
	exportErr error // before the first byte
	cutErr    error // after it
	importErr error
	got       []byte // the uploaded file
}

var fakeBundle = []byte(wire.BundleAgeMagic + "a signed bundle, encrypted")

func (f *fakeBundles) ExportBundle(_ context.Context, open func(syncing.BundleInfo) (io.Writer, error)) (syncing.BundleInfo, error) {
	if f.exportErr != nil {
		return syncing.BundleInfo{}, f.exportErr
	}
	info := syncing.BundleInfo{ID: "b-1", FileName: "motcua-000.17.22.H56-20260304-100000.zip.age", Items: 7, Blobs: 2, Held: 1}
	w, err := open(info)
	if err != nil {
		return info, err
	}
	w.Write(fakeBundle)
	if f.cutErr != nil {
		return info, f.cutErr
	}
	w.Write(fakeBundle)
	return info, nil
}

func (f *fakeBundles) ImportResults(_ context.Context, r io.ReaderAt, size int64) (syncing.ResultsImport, error) {
	f.got = make([]byte, size)
	if _, err := r.ReadAt(f.got, 0); err != nil && !errors.Is(err, io.EOF) {
		return syncing.ResultsImport{}, err
	}
	if f.importErr != nil {
		return syncing.ResultsImport{}, f.importErr
	}
	return syncing.ResultsImport{BundleID: "r-1", Changes: 3, Applied: 2, Duplicates: 1, Cursor: "e.9", CursorAdvanced: true}, nil
}

func TestSyncBundleExportIsADownload(t *testing.T) {
	f := &fakeBundles{fakeSync: &fakeSync{}}
	base := newSyncServer(t, f.fakeSync)
	if resp, err := http.Post(base+"/api/sync/bundle", "", nil); err != nil || resp.StatusCode == http.StatusOK {
		t.Fatalf("bundle route without a use case that writes bundles: %v %v", err, resp.StatusCode)
	}
	base = newBundleServer(t, f)
	resp, err := http.Post(base+"/api/sync/bundle", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(body, append(append([]byte{}, fakeBundle...), fakeBundle...)) {
		t.Fatalf("export: %d %v %q", resp.StatusCode, err, body)
	}
	h := resp.Header
	if h.Get("Content-Type") != wire.BundleEncryptedContentType || h.Get("Content-Disposition") != `attachment; filename="motcua-000.17.22.H56-20260304-100000.zip.age"` ||
		h.Get("Motcua-Bundle-Items") != "7" || h.Get("Motcua-Bundle-Files") != "2" || h.Get("Motcua-Bundle-Held") != "1" {
		t.Fatalf("headers %v", h)
	}

	// Not enrolled: a message, not a file.
	f.exportErr = syncing.ErrNotEnrolled
	resp, err = http.Post(base+"/api/sync/bundle", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || errCode(env) != codeNotEnrolled || !strings.Contains(errMessage(env), "chưa đăng ký") ||
		resp.Header.Get("Content-Disposition") != "" {
		t.Fatalf("not enrolled: %d %v %v", resp.StatusCode, env, resp.Header)
	}

	// The hub's age recipient not learned yet: no file (never a plain one).
	f.exportErr = fmt.Errorf("export: %w", syncing.ErrNoHubRecipient)
	resp, err = http.Post(base+"/api/sync/bundle", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	env = nil
	json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || errCode(env) != codeHubAgeUnknown || !strings.Contains(errMessage(env), "mã hóa") ||
		resp.Header.Get("Content-Disposition") != "" {
		t.Fatalf("no recipient: %d %v %v", resp.StatusCode, env, resp.Header)
	}

	// A failure mid-file cuts the download: half a bundle never looks whole.
	f.exportErr, f.cutErr = nil, errors.New("disk read error")
	if resp, err = http.Post(base+"/api/sync/bundle", "", nil); err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("a cut export read as a complete file")
	}
}

// newBundleServer serves the API over a store with f as the sync use case.
func newBundleServer(t *testing.T, f *fakeBundles) string {
	t.Helper()
	st, err := store.Open(store.Options{Dir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(New(Config{Version: "test", Store: st, Sync: f, Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestSyncBundleImportSpeaksVietnamese(t *testing.T) {
	f := &fakeBundles{fakeSync: &fakeSync{}}
	base := newBundleServer(t, f)
	file := bytes.Repeat([]byte("gói kết quả "), 5000)
	post := func() (int, map[string]any) {
		resp, err := http.Post(base+"/api/sync/bundle/import", wire.BundleContentType, bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, body := post()
	imp, _ := body["import"].(map[string]any)
	if code != http.StatusOK || imp["applied"] != 2.0 || imp["cursorAdvanced"] != true || body["status"] == nil || !bytes.Equal(f.got, file) {
		t.Fatalf("import: %d %v (%d bytes reached the use case)", code, body, len(f.got))
	}
	for _, tc := range []struct {
		err    error
		status int
		code   string
		phrase string
	}{
		{fmt.Errorf("import results: %w", syncing.ErrNoHubKey), 409, codeHubKeyUnknown, "kết nối với máy chủ tỉnh ít nhất một lần"},
		{fmt.Errorf("import results: %w: x", syncing.ErrBundleGap), 409, codeBundleGap, "bỏ sót"},
		{fmt.Errorf("import results: %w", syncing.ErrBundleNotOurs), 422, codeBundleNotOurs, "thiết bị hoặc đơn vị khác"},
		{fmt.Errorf("import results: %w: key", wire.ErrBundleSignature), 422, wire.CodeBundleSignature, "Chữ ký của gói không hợp lệ"},
		{fmt.Errorf("import results: %w: blob", wire.ErrBundleTampered), 422, wire.CodeBundleTampered, "không khớp"},
		{fmt.Errorf("import results: %w: zip", wire.ErrBundleInvalid), 422, wire.CodeBundleInvalid, "không phải gói đồng bộ"},
		{fmt.Errorf("import results: %w: zip", wire.ErrBundlePlaintext), 422, wire.CodeBundlePlaintext, "không được mã hóa"},
		{fmt.Errorf("import results: %w: no match", wire.ErrBundleDecrypt), 422, wire.CodeBundleDecrypt, "Không giải mã được"},
		{syncing.ErrNotEnrolled, 409, codeNotEnrolled, "chưa đăng ký"},
		{syncing.ErrNotStarted, 503, codeSyncNotRunning, "khởi động lại"},
		{errors.New("badger: disk"), 500, codeInternal, ""},
	} {
		f.importErr = tc.err
		code, body := post()
		if code != tc.status || errCode(body) != tc.code || !strings.Contains(errMessage(body), tc.phrase) {
			t.Errorf("%v: %d %v, want %d %s", tc.err, code, body, tc.status, tc.code)
		}
	}
}

func TestSyncBundleRoles(t *testing.T) {
	export, imp := routeRoles["POST /api/sync/bundle"], routeRoles["POST /api/sync/bundle/import"]
	if !slices.Contains(export, accounts.RoleClerk) || !slices.Contains(export, accounts.RoleAdmin) || slices.Contains(export, accounts.RoleSpecialist) {
		t.Fatalf("export roles %v: the clerk and the admin carry the USB stick", export)
	}
	if !slices.Equal(imp, []accounts.Role{accounts.RoleAdmin}) {
		t.Fatalf("import roles %v: only the admin", imp)
	}
}
