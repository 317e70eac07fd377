package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func callJSON(t *testing.T, c *http.Client, method, url string, body any) (int, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestRestoreChosenInTheAppIsAppliedAtNextStart drives the whole path
// through a real serve process: a scheduled-backup folder, "back up now",
// a change after the backup, a restore prepared from the API, and the
// swap at the next start, which brings the backup's data back and keeps
// the replaced data aside.
func TestRestoreChosenInTheAppIsAppliedAtNextStart(t *testing.T) {
	dir, folder := t.TempDir(), t.TempDir()
	c := startServe(t, dir)
	saved := putSettings(t, c.url, settingsBody)
	cl := authed(t, c.url)
	if code, body := callJSON(t, cl, "PUT", c.url+"/api/backups/settings", map[string]any{"folder": folder, "schedule": "daily",
		"at": "12:00", "everyHours": 24, "keep": 3}); code != 200 {
		t.Fatalf("backup settings: %d %v", code, body)
	}
	if code, body := callJSON(t, cl, "POST", c.url+"/api/backups", nil); code != 202 {
		t.Fatalf("back up now: %d %v", code, body)
	}
	var name string
	for deadline := time.Now().Add(time.Minute); name == ""; time.Sleep(50 * time.Millisecond) {
		_, body := callJSON(t, cl, "GET", c.url+"/api/backups", nil)
		if body["status"].(map[string]any)["running"] == nil {
			list := body["backups"].([]any)
			if len(list) != 1 || list[0].(map[string]any)["verified"] != true {
				t.Fatalf("after backing up: %v", body)
			}
			name = list[0].(map[string]any)["name"].(string)
		}
		if time.Now().After(deadline) {
			t.Fatal("backup did not finish")
		}
	}
	putSettings(t, c.url, strings.Replace(settingsBody, "Số 1 đường", "Số 99 đường", 1))
	if code, body := callJSON(t, cl, "POST", c.url+"/api/backups/restore", map[string]any{"name": name}); code != 200 {
		t.Fatalf("prepare restore: %d %v", code, body)
	}
	// Until the restart the desk works on its current data.
	if _, got := getSettings(t, c.url); !strings.HasPrefix(got["address"].(string), "Số 99") {
		t.Fatalf("the running data changed: %v", got["address"])
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()

	c2 := startServe(t, dir)
	if _, got := getSettings(t, c2.url); got["address"] != saved["address"] {
		t.Fatalf("after the restart the address is %v, want the backup's %v", got["address"], saved["address"])
	}
	_, body := callJSON(t, authed(t, c2.url), "GET", c2.url+"/api/backups/settings", nil)
	if body["status"].(map[string]any)["pendingRestore"] != nil {
		t.Fatalf("restore still pending after it was applied: %v", body)
	}
	kept, _ := filepath.Glob(filepath.Join(dir, "before-restore-*", "db"))
	if len(kept) != 1 {
		t.Fatalf("replaced data not kept: %v", kept)
	}
	c2.cmd.Process.Signal(syscall.SIGTERM)
	c2.cmd.Wait()
	if code, out, errs := run(t, "audit", "verify", "--data", dir); code != 0 || !strings.Contains(out, "toàn vẹn") {
		t.Fatalf("audit after restore: %d %s %s", code, out, errs)
	}
}
