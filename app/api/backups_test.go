package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"motcua/app/accounts"
	"motcua/app/audit"
	"motcua/app/backup"
	"motcua/app/blobs"
	"motcua/app/digitize"
	"motcua/app/office"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/scanning"
	"motcua/scanning/fitz"
	"motcua/scanning/tesseract"
)

// backupDesk is the API with accounts, reception and a real backup service
// on a store in a temporary data dir.
type backupDesk struct {
	base   string
	dir    string
	folder string
	st     *store.Store
	free   *fakeSpace
	admin  *client
}

type fakeSpace struct{ free uint64 }

func (f *fakeSpace) FreeBytes() (uint64, error) { return f.free, nil }

func newBackupDesk(t *testing.T) *backupDesk {
	t.Helper()
	d := &backupDesk{dir: t.TempDir(), folder: t.TempDir(), free: &fakeSpace{free: 50 << 30}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(store.Options{Dir: filepath.Join(d.dir, "db"), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	d.st = st
	svc, err := backup.New(backup.Config{Store: st, DataDir: d.dir, BlobKey: bytes.Repeat([]byte{7}, 32), Logger: log,
		FreeBytes: func(string) (uint64, error) { return d.free.free, nil }})
	if err != nil {
		t.Fatal(err)
	}
	off := office.NewService(st)
	rec, _ := reception.New(st, off)
	// Scans are imported (the queue does not run here).
	bs, err := blobs.Open(filepath.Join(d.dir, "blobs"), bytes.Repeat([]byte{7}, 32), log)
	if err != nil {
		t.Fatal(err)
	}
	pipe := scanning.New(fitz.New(), func() (scanning.Recognizer, error) { return tesseract.New(tesseract.Options{}) },
		scanning.Options{DPI: 200, Workers: 1, Logger: log})
	dig, err := digitize.New(st, bs, pipe, rec, digitize.Options{TempDir: filepath.Join(d.dir, "tmp", "scans"), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{Version: "t", Office: off, Store: st, Reception: rec, Accounts: accounts.New(st),
		Digitize: dig, Backups: svc, AuditCheck: func() (audit.Report, error) { return audit.Verify(st) },
		DiskSpace: d.free, Logger: log}))
	t.Cleanup(func() {
		srv.Close()
		svc.Close()
		pipe.Close()
		st.Close()
	})
	d.base = srv.URL
	d.admin = newClient(t, d.base)
	if code, body := d.admin.do("POST", "/api/setup", map[string]any{"settings": mustJSON(validSettings),
		"admin": map[string]any{"username": "quantri", "fullName": "Lê Văn Quản", "password": "mật khẩu dài 2026"}}); code != 201 {
		t.Fatalf("setup: %d %v", code, body)
	}
	return d
}

// user adds a user with roles, past the temporary password.
func (d *backupDesk) user(t *testing.T, name string, roles ...string) *client {
	t.Helper()
	if code, body := d.admin.do("POST", "/api/users", map[string]any{"username": name, "fullName": "Người dùng " + name,
		"roles": roles, "password": "tam thoi 2026"}); code != 201 {
		t.Fatalf("create %s: %d %v", name, code, body)
	}
	c := newClient(t, d.base)
	c.do("POST", "/api/session", map[string]any{"username": name, "password": "tam thoi 2026"})
	if code, _ := c.do("PUT", "/api/session/password", map[string]any{"old": "tam thoi 2026", "password": "mật khẩu riêng 1"}); code != 200 {
		t.Fatalf("%s change password: %d", name, code)
	}
	return c
}

func errMsg(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

// waitIdle polls the backup list until nothing runs.
func (d *backupDesk) waitIdle(t *testing.T) map[string]any {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		code, body := d.admin.do("GET", "/api/backups", nil)
		if code != 200 {
			t.Fatalf("list: %d %v", code, body)
		}
		if body["status"].(map[string]any)["running"] == nil {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatal("backup did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBackupsOverHTTP(t *testing.T) {
	d := newBackupDesk(t)
	clerk := d.user(t, "tiepnhan", "clerk")
	for _, r := range [][2]string{{"GET", "/api/backups"}, {"POST", "/api/backups"}, {"GET", "/api/backups/settings"}, {"DELETE", "/api/backups/restore"}} {
		if code, body := clerk.do(r[0], r[1], nil); code != 403 || errCode(body) != codeForbidden {
			t.Fatalf("clerk %s %s: %d %v", r[0], r[1], code, body)
		}
	}

	code, body := d.admin.do("GET", "/api/backups/settings", nil)
	set := body["settings"].(map[string]any)
	if code != 200 || set["schedule"] != "daily" || set["keep"].(float64) != 7 || set["enabled"] != false {
		t.Fatalf("defaults: %d %v", code, body)
	}
	if code, body := d.admin.do("POST", "/api/backups", nil); code != 409 || errCode(body) != codeBackupNotConfigured {
		t.Fatalf("backup before a folder is chosen: %d %v", code, body)
	}
	bad := map[string]any{"enabled": true, "folder": filepath.Join(d.folder, "usb-chưa-cắm"), "schedule": "daily", "at": "7h", "everyHours": 24, "keep": 0}
	code, body = d.admin.do("PUT", "/api/backups/settings", bad)
	fields, _ := body["error"].(map[string]any)["fields"].(map[string]any)
	if code != 422 || !strings.Contains(fields["folder"].(string), "cắm ổ") || fields["at"] == nil || fields["keep"] == nil {
		t.Fatalf("bad settings: %d %v", code, body)
	}
	good := map[string]any{"enabled": true, "folder": d.folder, "schedule": "interval", "at": "12:00", "everyHours": 6, "keep": 2}
	if code, body := d.admin.do("PUT", "/api/backups/settings", good); code != 200 || body["settings"].(map[string]any)["everyHours"].(float64) != 6 {
		t.Fatalf("save settings: %d %v", code, body)
	}

	code, body = d.admin.do("POST", "/api/backups", nil)
	if code != 202 {
		t.Fatalf("back up now: %d %v", code, body)
	}
	body = d.waitIdle(t)
	list := body["backups"].([]any)
	if len(list) != 1 {
		t.Fatalf("backups: %v", body)
	}
	b := list[0].(map[string]any)
	last := body["status"].(map[string]any)["last"].(map[string]any)
	if b["verified"] != true || b["restorable"] != true || last["verified"] != true || last["name"] != b["name"] || last["message"] != nil {
		t.Fatalf("backup: %v / last %v", b, last)
	}
	name := b["name"].(string)

	// The drive is unplugged: a Vietnamese status, not a crash.
	hidden := d.folder + ".rut-ra"
	os.Rename(d.folder, hidden)
	if code, body := d.admin.do("POST", "/api/backups", nil); code != 202 {
		t.Fatalf("back up while unplugged: %d %v", code, body)
	}
	body = d.waitIdle(t)
	fp, _ := body["folderProblem"].(map[string]any)
	last = body["status"].(map[string]any)["last"].(map[string]any)
	if fp["code"] != backup.ProblemFolderMissing || !strings.Contains(fp["message"].(string), "USB") ||
		last["problem"] != backup.ProblemFolderMissing || !strings.Contains(last["message"].(string), "cắm ổ") {
		t.Fatalf("unplugged: %v", body)
	}
	if body["status"].(map[string]any)["lastSuccess"].(map[string]any)["name"] != name {
		t.Fatal("the last good backup was forgotten")
	}
	os.Rename(hidden, d.folder)

	// Restore: prepared beside the data, applied at the next start.
	if code, body := d.admin.do("POST", "/api/backups/restore", map[string]any{"name": "motcua-19990101-000000"}); code != 404 {
		t.Fatalf("unknown backup: %d %v", code, body)
	}
	code, body = d.admin.do("POST", "/api/backups/restore", map[string]any{"name": name})
	if code != 200 || body["pending"].(map[string]any)["name"] != name || !strings.Contains(body["message"].(string), "mở lại") {
		t.Fatalf("prepare restore: %d %v", code, body)
	}
	if body["status"].(map[string]any)["pendingRestore"] == nil {
		t.Fatalf("status without the pending restore: %v", body)
	}
	if code, body := d.admin.do("POST", "/api/backups/restore", map[string]any{"name": name}); code != 409 || errCode(body) != codeRestorePending {
		t.Fatalf("second restore: %d %v", code, body)
	}
	if code, body := d.admin.do("DELETE", "/api/backups/restore", nil); code != 200 || body["status"].(map[string]any)["pendingRestore"] != nil {
		t.Fatalf("cancel restore: %d %v", code, body)
	}

	// A damaged backup is refused, and says so.
	f := filepath.Join(d.folder, name, "store.mcbak")
	data, _ := os.ReadFile(f)
	data[len(data)/2] ^= 1
	os.WriteFile(f, data, 0o600)
	if code, body := d.admin.do("POST", "/api/backups/restore", map[string]any{"name": name}); code != 422 || errCode(body) != codeBackupVerify || !strings.Contains(errMsg(body), "bị hỏng") {
		t.Fatalf("damaged backup: %d %v", code, body)
	}
}

func TestAuditVerifyReportsTheFirstTamperedEntry(t *testing.T) {
	d := newBackupDesk(t)
	leader := d.user(t, "lanhdao", "leader")
	clerk := d.user(t, "tiepnhan", "clerk")
	for range 3 {
		if code, _ := d.admin.do("PUT", "/api/settings", mustJSON(validSettings)); code != 200 {
			t.Fatal("save settings")
		}
	}
	if code, _ := clerk.do("GET", "/api/audit/verify", nil); code != 403 {
		t.Fatal("a clerk checked the audit log")
	}
	code, body := leader.do("GET", "/api/audit/verify", nil)
	entries := body["entries"].(float64)
	if code != 200 || body["ok"] != true || entries < 5 || !strings.Contains(body["message"].(string), "toàn vẹn") {
		t.Fatalf("intact chain: %d %v", code, body)
	}

	// Someone with the key edits who saved the settings in entry 4.
	err := d.st.Update(func(x *store.Txn) error {
		var e audit.Entry
		if err := x.GetJSON(store.KeyAudit(4), &e); err != nil {
			return err
		}
		e.Actor = "người-khác"
		return x.SetJSON(store.KeyAudit(4), e)
	})
	if err != nil {
		t.Fatal(err)
	}
	code, body = d.admin.do("GET", "/api/audit/verify", nil)
	if code != 200 || body["ok"] != false || body["brokenAt"].(float64) != 4 || body["entries"].(float64) != 3 ||
		body["reason"] != "nội dung mục này đã bị sửa sau khi ghi" || !strings.Contains(body["message"].(string), "mục số 4") {
		t.Fatalf("tampered chain: %d %v", code, body)
	}

	// An entry removed from the middle is named too.
	d.st.Update(func(x *store.Txn) error { return x.Delete(store.KeyAudit(2)) })
	_, body = d.admin.do("GET", "/api/audit/verify", nil)
	if body["brokenAt"].(float64) != 2 || !strings.Contains(body["reason"].(string), "bị xóa") {
		t.Fatalf("removed entry: %v", body)
	}
}

func TestAuditReasonsAreAllTranslated(t *testing.T) {
	for _, r := range []string{"entry is not readable", "entry 3 missing (found 4)", "link to the previous entry does not match",
		"entry content does not match its hash", "chain head is missing",
		"chain head does not match the last entry (entries removed at the end?)"} {
		if got := auditReason(r); got == auditReason("something new") || strings.Contains(got, "entry") {
			t.Errorf("%q → %q", r, got)
		}
	}
}

func TestBackupStatusJSONCarriesTheMessage(t *testing.T) {
	v := viewBackupStatus(backup.Status{Running: "backup", Phase: "verify",
		Last: &backup.Result{Problem: backup.ProblemTargetFull}}, "/media/usb/MotCua")
	b, _ := json.Marshal(v)
	s := string(b)
	if !strings.Contains(s, `"phaseLabel":"Đang khôi phục thử để kiểm tra"`) || !strings.Contains(s, "/media/usb/MotCua không còn đủ chỗ trống") ||
		!strings.Contains(s, `"problem":"target_full"`) {
		t.Fatal(s)
	}
}

// TestRestoreFromAPathOverHTTP: the restore of a backup chosen by path is
// an admin's; a missing path, a newer backup and a damaged one each get
// their code and a Vietnamese message; this desk's own backup given by
// path needs no key.
func TestRestoreFromAPathOverHTTP(t *testing.T) {
	d := newBackupDesk(t)
	clerk := d.user(t, "tiepnhan2", "clerk")
	if code, body := clerk.do("POST", "/api/backups/restore-from", map[string]any{"path": d.folder}); code != 403 || errCode(body) != codeForbidden {
		t.Fatalf("clerk: %d %v", code, body)
	}
	d.admin.do("PUT", "/api/backups/settings", map[string]any{"folder": d.folder, "schedule": "daily", "at": "12:00", "everyHours": 24, "keep": 3})
	if code, body := d.admin.do("POST", "/api/backups", nil); code != 202 {
		t.Fatalf("back up: %d %v", code, body)
	}
	name := d.waitIdle(t)["backups"].([]any)[0].(map[string]any)["name"].(string)

	code, body := d.admin.do("POST", "/api/backups/restore-from", map[string]any{"path": filepath.Join(d.folder, "khong-co")})
	if code != 404 || errCode(body) != codeBackupNotFound || !strings.Contains(errMsg(body), "Không tìm thấy bản sao lưu") {
		t.Fatalf("missing path: %d %v", code, body)
	}
	m := filepath.Join(d.folder, name, "manifest.json")
	orig, _ := os.ReadFile(m)
	os.WriteFile(m, bytes.Replace(orig, []byte(`"format": 1`), []byte(`"format": 2`), 1), 0o600)
	if code, body := d.admin.do("POST", "/api/backups/restore-from", map[string]any{"path": d.folder}); code != 409 || errCode(body) != codeNewerSchema || !strings.Contains(errMsg(body), "phiên bản mới hơn") {
		t.Fatalf("newer backup: %d %v", code, body)
	}
	os.WriteFile(m, []byte(`{"app":"motcua","format":1,`), 0o600)
	if code, body := d.admin.do("POST", "/api/backups/restore-from", map[string]any{"path": d.folder}); code != 422 || errCode(body) != codeBackupVerify || !strings.Contains(errMsg(body), "bị hỏng") {
		t.Fatalf("damaged manifest: %d %v", code, body)
	}
	os.WriteFile(m, orig, 0o600)
	code, body = d.admin.do("POST", "/api/backups/restore-from", map[string]any{"path": d.folder})
	if code != 200 || body["pending"].(map[string]any)["name"] != name || !strings.Contains(body["message"].(string), "mở lại") {
		t.Fatalf("own backup by path: %d %v", code, body)
	}
}
