package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"motcua/sync/hub/pgtest"
	"motcua/sync/wire"
)

var cluster *pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb, nil)
	return code, out.String(), errb.String()
}

func TestCommands(t *testing.T) {
	db, err := cluster.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	blobs := filepath.Join(t.TempDir(), "blobs")
	common := []string{"--db", db, "--blobs", blobs}
	with := func(args ...string) []string { return append(args, common...) }

	tests := []struct {
		name     string
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{"no command", nil, 2, "", "usage"},
		{"unknown command", []string{"frobnicate"}, 2, "", "unknown command"},
		{"version", []string{"version"}, 0, "protocol " + wire.Current.String(), ""},
		{"migrate without db", []string{"migrate", "--blobs", blobs}, 1, "", "no database"},
		{"migrate", with("migrate"), 0, "schema up to date", ""},
		{"migrate again", with("migrate"), 0, "schema up to date", ""},
		{"province", with("agency", "--code", "H56", "--name", "Tỉnh Thanh Hóa", "--kind", "province", "--level", "1"), 0, "saved", ""},
		{"commune", with("agency", "--code", "000.17.22.H56", "--name", "Xã Quảng Hưng", "--parent", "H56"), 0, "saved", ""},
		{"commune of unknown parent", with("agency", "--code", "X", "--name", "X", "--parent", "nope"), 1, "", "not found"},
		{"enrol code without commune", with("enrol-code"), 2, "", "--commune is required"},
		{"enrol code for unknown commune", with("enrol-code", "--commune", "nope"), 1, "", "not found"},
		{"enrol code", with("enrol-code", "--commune", "000.17.22.H56", "--ttl", "1h"), 0, "-", "one-time code"},
		{"revoke unknown device", with("revoke", "--device", "dev-x"), 1, "", "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.inStdout) || !strings.Contains(errOut, tt.inStderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
		})
	}
	_, out, _ := runCmd(t, with("enrol-code", "--commune", "000.17.22.H56")...)
	if code := strings.TrimSpace(out); len(code) != 14 || strings.Count(code, "-") != 2 {
		t.Fatalf("enrolment code %q is not XXXX-XXXX-XXXX", code)
	}
}

// TestServe starts the real server on a loopback port, checks the health
// answer a commune would accept, and stops it like systemd would.
func TestServe(t *testing.T) {
	db, err := cluster.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--db", db, "--blobs", t.TempDir(), "--admin-token", "t"},
			strings.NewReader(""), &bytes.Buffer{}, &errb, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	resp, err := http.Get("http://" + addr + "/v1/health?challenge=xyz")
	if err != nil {
		t.Fatal(err)
	}
	var h wire.HealthResponse
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if h.Marker != wire.HealthMarker || h.Challenge != "xyz" {
		t.Fatalf("health: %+v", h)
	}
	// The same listener serves the staff UI, behind its login.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get("http://" + addr + "/ho-so")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/dang-nhap") {
		t.Fatalf("staff inbox without login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(errb.String(), "hub stopped") {
		t.Fatalf("no clean stop in the log: %s", errb.String())
	}
}

// TestStaffCommand creates a staff account with the password on stdin,
// refuses a weak or missing one, and resets it.
func TestStaffCommand(t *testing.T) {
	db, err := cluster.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	common := []string{"--db", db, "--blobs", filepath.Join(t.TempDir(), "blobs")}
	staff := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append(append([]string{"staff"}, args...), common...), strings.NewReader(stdin), &out, &errb, nil)
		return code, out.String(), errb.String()
	}
	if code, _, errOut := staff("", "--username", "canbo"); code != 2 || !strings.Contains(errOut, "--name are required") {
		t.Fatalf("no name: %d %s", code, errOut)
	}
	if code, _, errOut := staff("", "--username", "canbo", "--name", "Lê Thu Hà"); code != 1 || !strings.Contains(errOut, "no password on stdin") {
		t.Fatalf("no password: %d %s", code, errOut)
	}
	if code, _, errOut := staff("ngắn\n", "--username", "canbo", "--name", "Lê Thu Hà"); code != 1 || !strings.Contains(errOut, "at least 8") {
		t.Fatalf("short password: %d %s", code, errOut)
	}
	code, out, errOut := staff("Mật khẩu cán bộ tỉnh\r\n", "--username", "canbo", "--name", "Lê Thu Hà", "--role", "admin")
	if code != 0 || !strings.Contains(out, "staff account canbo (admin) created") {
		t.Fatalf("create: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := staff("Mật khẩu khác nữa\n", "--username", "canbo", "--name", "X"); code != 1 || !strings.Contains(errOut, "taken") {
		t.Fatalf("taken: %d %s", code, errOut)
	}
	if code, out, errOut := staff("Mật khẩu mới của tôi\n", "--username", "canbo", "--reset"); code != 0 || !strings.Contains(out, "unlocked") {
		t.Fatalf("reset: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := staff("Mật khẩu mới của tôi\n", "--username", "khongco", "--reset"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Fatalf("reset unknown: %d %s", code, errOut)
	}
	// An official without an agency is warned about, then given one.
	if code, _, errOut := staff("Mật khẩu cán bộ xã\n", "--username", "canbo.xa", "--name", "Đỗ Văn Nam"); code != 0 ||
		!strings.Contains(errOut, "has no agency") {
		t.Fatalf("create without agency: %d %s", code, errOut)
	}
	var agOut, agErr bytes.Buffer
	if code := run(context.Background(), append([]string{"agency", "--code", "H56", "--name", "UBND tỉnh", "--level", "1"}, common...),
		strings.NewReader(""), &agOut, &agErr, nil); code != 0 {
		t.Fatalf("agency: %d %s", code, agErr.String())
	}
	if code, out, errOut := staff("", "--username", "canbo.xa", "--set-agency", "H56"); code != 0 || !strings.Contains(out, "sees the communes") {
		t.Fatalf("set agency: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := staff("", "--username", "canbo.xa", "--set-agency", "KHONGCO"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Fatalf("set unknown agency: %d %s", code, errOut)
	}
}
