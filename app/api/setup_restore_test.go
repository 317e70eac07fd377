package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"motcua/app/accounts"
	"motcua/app/backup"
	"motcua/app/office"
	"motcua/app/store"
	"motcua/app/vault"
)

// vaultPC is a desk PC as app/cli composes it, in a temporary data dir: its
// own vault (machine key in its own dir), the encrypted store, the real
// backup service, and the API with accounts over them.
type vaultPC struct {
	t       *testing.T
	dir     string
	machine string
	v       *vault.Vault
	key     string // the recovery key printed at its first run
	st      *store.Store
	svc     *backup.Service
	h       http.Handler
	srv     *httptest.Server
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func newVaultPC(t *testing.T, rl *RateLimits) *vaultPC {
	t.Helper()
	pc := &vaultPC{t: t, dir: t.TempDir(), machine: t.TempDir()}
	v, key, err := vault.Create(pc.dir, vault.Options{MachineDir: pc.machine})
	if err != nil {
		t.Fatal(err)
	}
	pc.v, pc.key = v, key
	pc.open(rl)
	return pc
}

// open opens the data dir as the app does at start: a prepared restore is
// swapped in first, then the vault is unlocked with this PC's machine key.
func (pc *vaultPC) open(rl *RateLimits) {
	t := pc.t
	t.Helper()
	if _, err := backup.ApplyPending(pc.dir, quietLog); err != nil {
		t.Fatal(err)
	}
	v, err := vault.Unlock(pc.dir, vault.Options{MachineDir: pc.machine})
	if err != nil {
		t.Fatal(err)
	}
	pc.v = v
	st, err := store.Open(store.Options{Dir: filepath.Join(pc.dir, "db"), EncryptionKey: v.DataKey(), Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := backup.EncryptOptions(v)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := backup.New(backup.Config{Store: st, DataDir: pc.dir, Encrypt: enc, Decrypt: backup.Decrypter(v),
		DataKey: v.DataKey(), BlobKey: v.BlobKey(), VaultID: v.ID(), VaultOptions: vault.Options{MachineDir: pc.machine},
		Version: "t", Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	pc.st, pc.svc = st, svc
	pc.h = New(Config{Version: "t", Office: office.NewService(st), Store: st, Accounts: accounts.New(st), Backups: svc,
		RateLimit: rl, Logger: quietLog})
	pc.srv = httptest.NewServer(pc.h)
	t.Cleanup(pc.close)
}

func (pc *vaultPC) close() {
	if pc.srv != nil {
		pc.srv.Close()
		pc.svc.Close()
		pc.st.Close()
		pc.srv = nil
	}
}

// oldPCBackup is the old PC: set up with its administrator, backed up to
// a USB folder, then gone. It returns the folder, the backup's name and
// the old PC's recovery key.
func oldPCBackup(t *testing.T) (usb, name, key string) {
	t.Helper()
	old := newVaultPC(t, nil)
	c := newClient(t, old.srv.URL)
	settings := mustJSON(validSettings)
	settings["communeName"] = "Cam Phước Tây"
	if code, body := c.do("POST", "/api/setup", map[string]any{"settings": settings,
		"admin": map[string]any{"username": "quantri.cu", "fullName": "Nguyễn Thị Cũ", "password": "mật khẩu máy cũ"}}); code != 201 {
		t.Fatalf("old PC setup: %d %v", code, body)
	}
	usb = t.TempDir()
	res, err := old.svc.BackupTo(context.Background(), usb, 0)
	if err != nil || !res.Verified {
		t.Fatalf("old PC backup: %+v %v", res, err)
	}
	old.close()
	return usb, res.Name, old.key
}

func (pc *vaultPC) restoreAtSetup(c *client, path, key string) (int, map[string]any) {
	pc.t.Helper()
	return c.do("POST", "/api/setup/restore", map[string]any{"path": path, "recoveryKey": key})
}

func (pc *vaultPC) nothingPrepared() {
	pc.t.Helper()
	if _, err := os.Stat(filepath.Join(pc.dir, "restore-pending")); !os.IsNotExist(err) {
		pc.t.Fatalf("a refused restore left restore-pending (%v)", err)
	}
}

// TestFirstRunRestoresAnotherPCsBackupWithItsKey: the old PC died; on the
// new PC's first-run screen its backup is restored with the printed key,
// without any account on the new PC; after the restart the old PC's
// account logs in.
func TestFirstRunRestoresAnotherPCsBackupWithItsKey(t *testing.T) {
	usb, name, key := oldPCBackup(t)
	pc := newVaultPC(t, nil)
	c := newClient(t, pc.srv.URL)

	code, body := c.do("GET", "/api/setup", nil)
	if code != 200 || body["needed"] != true || body["restoreAvailable"] != true || body["restorePending"] != nil {
		t.Fatalf("fresh install: %d %v", code, body)
	}

	// Refused, each with the admin flow's code and message, preparing nothing.
	newer := filepath.Join(t.TempDir(), name)
	copyDir(t, filepath.Join(usb, name), newer)
	m := filepath.Join(newer, "manifest.json")
	orig, _ := os.ReadFile(m)
	var mf map[string]any
	json.Unmarshal(orig, &mf)
	mf["schema"] = float64(store.SchemaVersion() + 1)
	b, _ := json.Marshal(mf)
	os.WriteFile(m, b, 0o600)
	damaged := filepath.Join(t.TempDir(), name)
	copyDir(t, filepath.Join(usb, name), damaged)
	sf := filepath.Join(damaged, "store.mcbak")
	sb, _ := os.ReadFile(sf)
	sb[len(sb)-20] ^= 0xff
	os.WriteFile(sf, sb, 0o600)
	for _, tc := range []struct {
		what, path, key string
		code            int
		errCode, says   string
	}{
		{"no key", usb, "", 422, codeRecoveryKeyRequired, "hãy nhập khóa khôi phục"},
		{"blank key", usb, "   ", 422, codeRecoveryKeyRequired, "hãy nhập khóa khôi phục"},
		{"wrong key", usb, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH", 422, codeRecoveryKeyWrong, "Khóa khôi phục không đúng"},
		{"this PC's own key", usb, pc.key, 422, codeRecoveryKeyWrong, "Khóa khôi phục không đúng"},
		{"no such path", filepath.Join(usb, "khong-co"), key, 404, codeBackupNotFound, "Không tìm thấy bản sao lưu"},
		{"newer version", newer, key, 409, codeNewerSchema, "phiên bản mới hơn"},
		{"damaged", damaged, key, 422, codeBackupVerify, "bị hỏng"},
	} {
		code, body := pc.restoreAtSetup(c, tc.path, tc.key)
		if code != tc.code || errCode(body) != tc.errCode || !strings.Contains(errMsg(body), tc.says) {
			t.Errorf("%s: %d %v", tc.what, code, body)
		}
		pc.nothingPrepared()
	}

	// The right key, as copied from paper: lower case, spaces around.
	code, body = pc.restoreAtSetup(c, usb, " "+strings.ToLower(key)+" ")
	if code != 200 {
		t.Fatalf("right key: %d %v", code, body)
	}
	p := body["pending"].(map[string]any)
	if p["name"] != name || p["otherPc"] != true || p["by"] != backup.FirstRunActor || !strings.Contains(body["message"].(string), "tài khoản của máy cũ") {
		t.Fatalf("prepared: %v", body)
	}
	// Until the restart: the screen says so, and neither the set-up nor a
	// second restore may run.
	code, body = c.do("GET", "/api/setup", nil)
	if body["restoreAvailable"] != false || body["restorePending"].(map[string]any)["name"] != name {
		t.Fatalf("setup while pending: %d %v", code, body)
	}
	if code, body := c.do("POST", "/api/setup", map[string]any{"settings": mustJSON(validSettings),
		"admin": map[string]any{"username": "tamthoi", "fullName": "Tạm Thời", "password": "mật khẩu tạm thời"}}); code != 409 || errCode(body) != codeRestorePending {
		t.Fatalf("set-up while a restore is prepared: %d %v", code, body)
	}
	if code, body := pc.restoreAtSetup(c, usb, key); code != 409 || errCode(body) != codeRestorePending {
		t.Fatalf("second restore: %d %v", code, body)
	}

	// The next start: the old PC's data, vault and accounts.
	pc.close()
	pc.open(nil)
	c = newClient(t, pc.srv.URL)
	if code, body := c.do("GET", "/api/setup", nil); code != 200 || body["needed"] != false {
		t.Fatalf("after the restart: %d %v", code, body)
	}
	if code, body := c.do("POST", "/api/session", map[string]any{"username": "quantri.cu", "password": "mật khẩu máy cũ"}); code != 200 {
		t.Fatalf("the old PC's admin logs in: %d %v", code, body)
	}
	if _, body := c.do("GET", "/api/settings", nil); body["settings"].(map[string]any)["communeName"] != "Cam Phước Tây" {
		t.Fatalf("settings after the restore: %v", body)
	}
	if code, body := pc.restoreAtSetup(c, usb, key); code != 409 || errCode(body) != codeSetupDone {
		t.Fatalf("first-run restore after the restore: %d %v", code, body)
	}
}

// TestFirstRunRestoreOnlyOnAFreshStore: once an account exists, or
// anything was received, scanned or enrolled, the first-run restore is
// refused and not offered — even with the right key.
func TestFirstRunRestoreOnlyOnAFreshStore(t *testing.T) {
	usb, _, key := oldPCBackup(t)

	pc := newVaultPC(t, nil)
	admin := newClient(t, pc.srv.URL)
	if code, body := admin.do("POST", "/api/setup", map[string]any{"settings": mustJSON(validSettings),
		"admin": map[string]any{"username": "quantri", "fullName": "Lê Văn Quản", "password": "mật khẩu dài 2026"}}); code != 201 {
		t.Fatalf("setup: %d %v", code, body)
	}
	c := newClient(t, pc.srv.URL)
	if code, body := pc.restoreAtSetup(c, usb, key); code != 409 || errCode(body) != codeSetupDone {
		t.Fatalf("after the set-up: %d %v", code, body)
	}
	// A logged-in admin cannot use it either: that is the Sao lưu screen's.
	if code, body := pc.restoreAtSetup(admin, usb, key); code != 409 || errCode(body) != codeSetupDone {
		t.Fatalf("admin after the set-up: %d %v", code, body)
	}
	pc.nothingPrepared()

	// No account, but something in the store.
	for _, tc := range []struct {
		what string
		key  []byte
	}{
		{"a received dossier", store.KeyDossier("01JZ0000000000000000000000")},
		{"an outbox item", store.KeyOutbox("01JZ0000000000000000000000", 1)},
		{"a scan job", store.KeyScanTime(time.Now().UnixNano(), "job1")},
		{"an archive batch", store.KeyArchiveBatch("lo1")},
		{"a stored file", store.KeyBlobRef(strings.Repeat("ab", 32), "scan/job1/original")},
		{"a change from the hub", store.KeySyncConflict("c1")},
		{"a hub enrolment", store.KeySyncDevice()},
	} {
		pc := newVaultPC(t, nil)
		if err := pc.st.Update(func(x *store.Txn) error { return x.Set(tc.key, []byte(`{}`)) }); err != nil {
			t.Fatal(err)
		}
		c := newClient(t, pc.srv.URL)
		if code, body := c.do("GET", "/api/setup", nil); body["needed"] != true || body["restoreAvailable"] != false {
			t.Errorf("%s: offered: %d %v", tc.what, code, body)
		}
		if code, body := pc.restoreAtSetup(c, usb, key); code != 409 || errCode(body) != codeStoreNotFresh || !strings.Contains(errMsg(body), "đã có dữ liệu") {
			t.Errorf("%s: %d %v", tc.what, code, body)
		}
		pc.nothingPrepared()
		pc.close()
	}
}

// TestFirstRunRestoreIsRateLimitedLikeLogin: in LAN mode the key attempts
// of one PC take from its login bucket; the desk PC itself is not limited.
func TestFirstRunRestoreIsRateLimitedLikeLogin(t *testing.T) {
	usb, _, _ := oldPCBackup(t)
	pc := newVaultPC(t, &RateLimits{Login: rate.Every(time.Hour), LoginBurst: 2, API: 1000, APIBurst: 1000})
	guess := `{"path":` + mustString(usb) + `,"recoveryKey":"AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH"}`
	for i := range 2 {
		if w := serveFrom(pc.h, "192.0.2.20:40000", "POST", "/api/setup/restore", guess); w.Code != 422 {
			t.Fatalf("guess %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	w := serveFrom(pc.h, "192.0.2.20:40001", "POST", "/api/setup/restore", guess)
	var body map[string]any
	json.Unmarshal(w.Body.Bytes(), &body)
	if w.Code != 429 || errCode(body) != codeRateLimited || w.Header().Get("Retry-After") == "" || !strings.Contains(errMsg(body), "khóa khôi phục") {
		t.Fatalf("third guess from the same PC: %d %v", w.Code, body)
	}
	// One bucket: that PC's logins wait too; another PC and the desk go on.
	if w := serveFrom(pc.h, "192.0.2.20:40002", "POST", "/api/session", `{"username":"a","password":"b"}`); w.Code != 429 {
		t.Fatalf("login after the guesses: %d", w.Code)
	}
	if w := serveFrom(pc.h, "192.0.2.21:40000", "POST", "/api/setup/restore", guess); w.Code != 422 {
		t.Fatalf("another PC: %d %s", w.Code, w.Body)
	}
	if w := serveFrom(pc.h, "127.0.0.1:50000", "POST", "/api/setup/restore", guess); w.Code != 422 {
		t.Fatalf("loopback: %d %s", w.Code, w.Body)
	}
	pc.nothingPrepared()
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFirstRunRestoreCanBeCancelled: a restore prepared on the first-run
// screen (the wrong backup, say) is dropped there before a restart would
// apply it; the screen offers the choice again, and the same PC then
// starts fresh. Once an account exists the route refuses.
func TestFirstRunRestoreCanBeCancelled(t *testing.T) {
	usb, _, key := oldPCBackup(t)
	pc := newVaultPC(t, nil)
	c := newClient(t, pc.srv.URL)
	if code, body := c.do("DELETE", "/api/setup/restore", nil); code != 404 || errCode(body) != codeNotFound {
		t.Fatalf("nothing to cancel: %d %v", code, body)
	}
	if code, body := pc.restoreAtSetup(c, usb, key); code != 200 {
		t.Fatalf("prepare: %d %v", code, body)
	}
	code, body := c.do("DELETE", "/api/setup/restore", nil)
	if code != 200 || body["needed"] != true || body["restoreAvailable"] != true || body["restorePending"] != nil {
		t.Fatalf("cancel: %d %v", code, body)
	}
	pc.nothingPrepared()
	// The restart applies nothing: still a fresh install, which can be set up.
	pc.close()
	pc.open(nil)
	c = newClient(t, pc.srv.URL)
	if code, body := c.do("GET", "/api/setup", nil); code != 200 || body["needed"] != true || body["restoreAvailable"] != true {
		t.Fatalf("after the restart: %d %v", code, body)
	}
	if code, body := c.do("POST", "/api/setup", map[string]any{"settings": mustJSON(validSettings),
		"admin": map[string]any{"username": "quantri", "fullName": "Lê Văn Quản", "password": "mật khẩu dài 2026"}}); code != 201 {
		t.Fatalf("set-up after the cancel: %d %v", code, body)
	}
	if code, body := newClient(t, pc.srv.URL).do("DELETE", "/api/setup/restore", nil); code != 409 || errCode(body) != codeSetupDone {
		t.Fatalf("cancel once set up: %d %v", code, body)
	}
}
