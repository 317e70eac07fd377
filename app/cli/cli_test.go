package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"motcua/scanning"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

var testAssets = fstest.MapFS{
	"index.html":    {Data: []byte("<!doctype html><title>Một Cửa Xã</title>")},
	"assets/app.js": {Data: []byte("console.log(1)")},
}

// TestMain lets the test binary act as the motcua binary in a child
// process, so crash tests kill a real process without building one.
func TestMain(m *testing.M) {
	// As main does: the child servers run OCR.
	if err := scanning.EnsureEngineEnv(); err != nil {
		panic(err)
	}
	if os.Getenv("MOTCUA_CLI_CHILD") == "1" {
		os.Exit(Run(context.Background(), os.Args[1:], Env{Version: "child", Assets: testAssets}))
	}
	// Machine keys go to a temp dir, never to the developer's config dir,
	// and the OS keyring is left alone.
	machines, err := os.MkdirTemp("", "motcua-machine-")
	if err != nil {
		panic(err)
	}
	os.Setenv("MOTCUA_MACHINE_DIR", machines)
	os.Setenv("MOTCUA_NO_KEYRING", "1")
	code := m.Run()
	os.RemoveAll(machines)
	os.Exit(code)
}

type child struct {
	cmd  *exec.Cmd
	url  string
	errb *bytes.Buffer
}

func startServe(t *testing.T, dataDir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--listen", "127.0.0.1:0", "--data", dataDir)
	cmd.Env = append(os.Environ(), "MOTCUA_CLI_CHILD=1")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "motcua: serving on "); ok {
				lines <- u
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case u := <-lines:
		return &child{cmd: cmd, url: u, errb: &errb}
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not start: %s", errb.String())
	}
	return nil
}

const settingsBody = `{"province":"Quảng Ninh","parentAgency":"UBND phường Hồng Gai",
"unitName":"Trung tâm Phục vụ hành chính công phường Hồng Gai","communeName":"Hồng Gai",
"agencyCode":"000.22.31.H49","address":"Số 1 đường Lê Thánh Tông","phone":"0203 3825 111","email":"",
"formSet":"01/2018","hours":{"morningStart":"07:30","morningEnd":"11:30","afternoonStart":"13:30","afternoonEnd":"17:00"}}`

var (
	clientsMu sync.Mutex
	clients   = map[string]*http.Client{}
)

// authed returns a client logged in to the server at base as a desk user
// with every role, running the first-run setup if the store is new.
func authed(t *testing.T, base string) *http.Client {
	t.Helper()
	clientsMu.Lock()
	defer clientsMu.Unlock()
	if c, ok := clients[base]; ok {
		return c
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	post := func(path, body string) int {
		resp, err := c.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	resp, err := c.Get(base + "/api/setup")
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Needed bool }
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.Needed {
		if code := post("/api/setup", `{"settings":`+settingsBody+`,"admin":{"username":"quantri","fullName":"Quản trị","password":"mật khẩu quản trị"}}`); code != 201 {
			t.Fatalf("setup: %d", code)
		}
		if code := post("/api/users", `{"username":"canbo","fullName":"Trần Văn Bình","roles":["clerk","specialist","leader","admin"],"password":"tạm thời 2026"}`); code != 201 {
			t.Fatalf("create desk user: %d", code)
		}
		// The admin's temporary password must be replaced first.
		if code := post("/api/session", `{"username":"canbo","password":"tạm thời 2026"}`); code != 200 {
			t.Fatalf("first login: %d", code)
		}
		req, _ := http.NewRequest("PUT", base+"/api/session/password", strings.NewReader(`{"old":"tạm thời 2026","password":"mật khẩu cán bộ"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("change password: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	if code := post("/api/session", `{"username":"canbo","password":"mật khẩu cán bộ"}`); code != 200 {
		t.Fatalf("login: %d", code)
	}
	clients[base] = c
	return c
}

func putSettings(t *testing.T, base, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("PUT", base+"/api/settings", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := authed(t, base).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 200 {
		t.Fatalf("PUT settings: %d %v", resp.StatusCode, out)
	}
	return out["settings"].(map[string]any)
}

func getSettings(t *testing.T, base string) (bool, map[string]any) {
	t.Helper()
	resp, err := authed(t, base).Get(base + "/api/settings")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out["configured"].(bool), out["settings"].(map[string]any)
}

// TestSIGKILLAfterSaveLosesNothing kills the server the moment it answered
// a save, many times in a row, and checks each save survived.
func TestSIGKILLAfterSaveLosesNothing(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 5; i++ {
		c := startServe(t, dir)
		body := strings.Replace(settingsBody, "Số 1 đường", fmt.Sprintf("Số %d đường", i+1), 1)
		saved := putSettings(t, c.url, body)
		c.cmd.Process.Signal(syscall.SIGKILL)
		c.cmd.Wait()

		c2 := startServe(t, dir)
		ok, got := getSettings(t, c2.url)
		if !ok || got["address"] != saved["address"] || got["updatedAt"] != saved["updatedAt"] {
			t.Fatalf("round %d: after SIGKILL got %v, want %v", i, got, saved)
		}
		c2.cmd.Process.Signal(syscall.SIGKILL)
		c2.cmd.Wait()
	}
}

func TestSecondProcessGetsClearMessage(t *testing.T) {
	dir := t.TempDir()
	first := startServe(t, dir)
	putSettings(t, first.url, settingsBody)

	cmd := exec.Command(os.Args[0], "serve", "--listen", "127.0.0.1:0", "--data", dir)
	cmd.Env = append(os.Environ(), "MOTCUA_CLI_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("second process: %v", err)
	}
	if !strings.Contains(stderr.String(), "dữ liệu đang được mở bởi một phiên khác") {
		t.Fatalf("stderr: %s", stderr.String())
	}
	// The first process is unharmed.
	if ok, got := getSettings(t, first.url); !ok || got["communeName"] != "Hồng Gai" {
		t.Fatalf("first process after second open: %v", got)
	}
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Env{Version: "t", Assets: testAssets, Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestBackupRestoreReproducesSettings(t *testing.T) {
	src := t.TempDir()
	c := startServe(t, src)
	saved := putSettings(t, c.url, settingsBody)
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()

	file := t.TempDir() // the backup folder: the newest backup in it is restored
	if code, _, errs := run(t, "backup", "--data", src, "--to", file); code != 0 {
		t.Fatalf("backup: %d %s", code, errs)
	}
	dst := filepath.Join(t.TempDir(), "moi")
	if code, out, errs := run(t, "restore", "--data", dst, "--from", file); code != 0 || !strings.Contains(out, "Đã khôi phục") {
		t.Fatalf("restore: %d %s %s", code, out, errs)
	}
	c2 := startServe(t, dst)
	ok, got := getSettings(t, c2.url)
	if !ok {
		t.Fatal("restored store not configured")
	}
	a, _ := json.Marshal(saved)
	b, _ := json.Marshal(got)
	if !bytes.Equal(a, b) {
		t.Fatalf("restored settings differ:\n%s\n%s", a, b)
	}

	// Restoring over existing data is refused and leaves it alone.
	code, _, errs := run(t, "restore", "--data", src, "--from", file)
	if code != 1 || !strings.Contains(errs, "không trống") {
		t.Fatalf("restore over data: %d %s", code, errs)
	}
}

func TestRestoreDamagedFileMessage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hong.motcua")
	os.WriteFile(file, []byte("not a backup\n"), 0o600)
	code, _, errs := run(t, "restore", "--data", filepath.Join(t.TempDir(), "d"), "--from", file)
	if code != 1 || !strings.Contains(errs, "bản sao lưu bị hỏng") {
		t.Fatalf("%d %s", code, errs)
	}
}

func TestUsageErrors(t *testing.T) {
	if code, _, errs := run(t, "frobnicate"); code != 2 || !strings.Contains(errs, "Lệnh không hợp lệ") {
		t.Fatalf("%d %s", code, errs)
	}
	if code, _, errs := run(t, "backup", "--data", t.TempDir()); code != 2 || !strings.Contains(errs, "thiếu --to") {
		t.Fatalf("%d %s", code, errs)
	}
	if code, _, errs := run(t, "--data", t.TempDir()); code != 1 || !strings.Contains(errs, "motcua serve") {
		t.Fatalf("desktop without shell: %d %s", code, errs)
	}
	if code, out, _ := run(t, "version"); code != 0 || !strings.HasPrefix(out, "motcua t") {
		t.Fatalf("%d %s", code, out)
	}
}

func TestHandlerServesAssetsAndAPI(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api:"+r.URL.Path) })
	h := Handler(api, testAssets)
	cases := map[string]string{
		"/api/settings":  "api:/api/settings",
		"/":              "Một Cửa Xã",
		"/cai-dat":       "Một Cửa Xã", // client route falls back to index.html
		"/assets/app.js": "console.log(1)",
	}
	for path, want := range cases {
		rec := &recorder{header: http.Header{}}
		req, _ := http.NewRequest("GET", path, nil)
		h.ServeHTTP(rec, req)
		if !strings.Contains(rec.body.String(), want) {
			t.Errorf("%s: got %q, want %q", path, rec.body.String(), want)
		}
	}
}

type recorder struct {
	header http.Header
	body   bytes.Buffer
	code   int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(c int)           { r.code = c }

func TestDefaultDataDir(t *testing.T) {
	env := map[string]string{"XDG_DATA_HOME": "/x/share"}
	if got := DefaultDataDir(func(k string) string { return env[k] }); got != "/x/share/motcua" {
		t.Fatalf("got %s", got)
	}
	env["MOTCUA_DATA"] = "/custom"
	if got := DefaultDataDir(func(k string) string { return env[k] }); got != "/custom" {
		t.Fatalf("got %s", got)
	}
}

func TestAuditVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	c := startServe(t, dir)
	putSettings(t, c.url, settingsBody)
	body := `{"requestId":"req-000000001","procedureCode":"2.000815",
	"applicant":{"kind":"person","name":"Nguyễn Văn An","idNumber":"001190012345","address":"","phone":"","email":""},
	"channel":"in_person","components":[],"sets":1,"outcome":"complete","resultDelivery":"in_person"}`
	resp, err := authed(t, c.url).Post(c.url+"/api/dossiers", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("receive: %v %v", err, resp)
	}
	resp.Body.Close()
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()
	code, out, errs := run(t, "audit", "verify", "--data", dir)
	// setup: settings + admin; a desk user and its password change; a settings save; one reception.
	if code != 0 || !strings.Contains(out, "toàn vẹn: 6 mục") {
		t.Fatalf("%d %s %s", code, out, errs)
	}
}

// scanFiles reports every file under dir whose bytes contain needle.
func scanFiles(t *testing.T, dir string, needle []byte) []string {
	t.Helper()
	var hits []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, needle) {
			hits = append(hits, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

func TestPersonalDataIsEncryptedAtRest(t *testing.T) {
	dir := t.TempDir()
	c := startServe(t, dir)
	putSettings(t, c.url, settingsBody)
	const idNumber = "079190012345"
	body := `{"requestId":"req-000000001","procedureCode":"2.000815",
	"applicant":{"kind":"person","name":"Nguyễn Văn An","idNumber":"` + idNumber + `","address":"Số 5 đường Hùng Vương","phone":"0905123456","email":""},
	"channel":"in_person","components":[],"sets":1,"outcome":"complete","resultDelivery":"in_person"}`
	resp, err := authed(t, c.url).Post(c.url+"/api/dossiers", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("receive: %v %v", err, resp)
	}
	resp.Body.Close()
	// Look the applicant up by ID, so the number also passes through
	// the search path and its index.
	resp, _ = authed(t, c.url).Get(c.url + "/api/applicants?q=" + idNumber)
	resp.Body.Close()
	// Scan while the store is open (what a thief of a running PC's disk
	// gets) and again after a clean stop.
	for _, stage := range []string{"running", "stopped"} {
		if stage == "stopped" {
			c.cmd.Process.Signal(syscall.SIGTERM)
			c.cmd.Wait()
		}
		for _, secret := range []string{idNumber, "Hùng Vương", "0905123456"} {
			if hits := scanFiles(t, dir, []byte(secret)); len(hits) > 0 {
				t.Errorf("%s: %q in plain text in %v", stage, secret, hits)
			}
		}
	}
	backup := t.TempDir()
	if code, _, errs := run(t, "backup", "--data", dir, "--to", backup); code != 0 {
		t.Fatalf("backup: %s", errs)
	}
	if hits := scanFiles(t, backup, []byte(idNumber)); len(hits) > 0 {
		t.Errorf("ID number in plain text in the backup")
	}
}

func TestEncryptedBackupRestoresOnAnotherPCWithRecoveryKey(t *testing.T) {
	src := t.TempDir()
	c := startServe(t, src)
	saved := putSettings(t, c.url, settingsBody)
	resp, err := authed(t, c.url).Get(c.url + "/api/security/recovery-key")
	if err != nil {
		t.Fatal(err)
	}
	var rk struct {
		Pending     bool   `json:"pending"`
		RecoveryKey string `json:"recoveryKey"`
	}
	json.NewDecoder(resp.Body).Decode(&rk)
	resp.Body.Close()
	if !rk.Pending || len(rk.RecoveryKey) < 30 {
		t.Fatalf("recovery key not offered at first run: %+v", rk)
	}
	resp, _ = authed(t, c.url).Post(c.url+"/api/security/recovery-key/ack", "application/json", nil)
	resp.Body.Close()
	resp, _ = authed(t, c.url).Get(c.url + "/api/security/recovery-key")
	key := rk.RecoveryKey
	rk.RecoveryKey = ""
	json.NewDecoder(resp.Body).Decode(&rk)
	resp.Body.Close()
	if rk.Pending || rk.RecoveryKey != "" {
		t.Fatalf("recovery key still shown after acknowledgement: %+v", rk)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()
	file := t.TempDir()
	if code, _, errs := run(t, "backup", "--data", src, "--to", file); code != 0 {
		t.Fatalf("backup: %s", errs)
	}

	// Another PC: its machine key cannot open the backup.
	t.Setenv("MOTCUA_MACHINE_DIR", t.TempDir())
	dst := filepath.Join(t.TempDir(), "moi")
	code, _, errs := run(t, "restore", "--data", dst, "--from", file)
	if code != 1 || !strings.Contains(errs, "khóa khôi phục") {
		t.Fatalf("restore without key: %d %s", code, errs)
	}
	t.Setenv("MOTCUA_RECOVERY_KEY", "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
	if code, _, errs := run(t, "restore", "--data", dst, "--from", file); code != 1 || !strings.Contains(errs, "không đúng") {
		t.Fatalf("restore with a wrong key: %d %s", code, errs)
	}
	t.Setenv("MOTCUA_RECOVERY_KEY", key)
	if code, _, errs := run(t, "restore", "--data", dst, "--from", file); code != 0 {
		t.Fatalf("restore with the recovery key: %d %s", code, errs)
	}
	// From now on this PC opens the restored store by itself.
	t.Setenv("MOTCUA_RECOVERY_KEY", "")
	c2 := startServe(t, dst)
	ok, got := getSettings(t, c2.url)
	a, _ := json.Marshal(saved)
	b, _ := json.Marshal(got)
	if !ok || !bytes.Equal(a, b) {
		t.Fatalf("restored settings differ:\n%s\n%s", a, b)
	}
}

func TestCopiedDataDirDoesNotOpenElsewhere(t *testing.T) {
	dir := t.TempDir()
	c := startServe(t, dir)
	putSettings(t, c.url, settingsBody)
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()
	t.Setenv("MOTCUA_MACHINE_DIR", t.TempDir())
	cmd := exec.Command(os.Args[0], "serve", "--listen", "127.0.0.1:0", "--data", dir)
	cmd.Env = append(os.Environ(), "MOTCUA_CLI_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "không mở khóa được") {
		t.Fatalf("copied data dir opened on another PC: %v %s", err, stderr.String())
	}
}
