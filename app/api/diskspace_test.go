package api

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"motcua/app/store"
)

// TestLowDiskRefusesNewWorkAndKeepsWhatIsStored fills the (fake) disk:
// receptions, scan imports, backups and restores are refused with the
// Vietnamese message before anything is written; reading and the stored
// data are unchanged, and work resumes once there is room.
func TestLowDiskRefusesNewWorkAndKeepsWhatIsStored(t *testing.T) {
	d := newBackupDesk(t)
	clerk := d.user(t, "tiepnhan", "clerk")
	if code, body := clerk.do("POST", "/api/dossiers", mustJSON(receptionBody("req-disk-00001", "001190012345"))); code != 201 {
		t.Fatalf("reception: %d %v", code, body)
	}
	d.admin.do("PUT", "/api/backups/settings", map[string]any{"folder": d.folder, "schedule": "daily", "at": "12:00", "everyHours": 24, "keep": 3})
	_, before := clerk.do("GET", "/api/dossiers?list=all", nil)
	digest := storeDigest(t, d.st)

	d.free.free = 150 << 20
	refused := []struct {
		c         *client
		method, p string
		body      any
	}{
		{clerk, "POST", "/api/dossiers", mustJSON(receptionBody("req-disk-00002", "001190054321"))},
		{clerk, "POST", "/api/scans?name=" + url.QueryEscape("hồ sơ.pdf"), nil},
		{d.admin, "POST", "/api/backups", nil},
		{d.admin, "POST", "/api/backups/restore", map[string]any{"name": "motcua-20260101-120000"}},
	}
	for _, r := range refused {
		code, body := r.c.do(r.method, r.p, r.body)
		if code != 507 || errCode(body) != codeDiskFull || !strings.Contains(errMsg(body), "150 MB") || !strings.Contains(errMsg(body), "vẫn an toàn") {
			t.Fatalf("%s %s on a full disk: %d %v", r.method, r.p, code, body)
		}
	}
	// Reading and the work on stored dossiers go on.
	code, after := clerk.do("GET", "/api/dossiers?list=all", nil)
	if code != 200 || mustString(after["items"]) != mustString(before["items"]) {
		t.Fatalf("dossiers changed: %d", code)
	}
	if got := storeDigest(t, d.st); !bytes.Equal(got, digest) {
		t.Fatal("the store changed while the disk was full")
	}
	if entries, _ := os.ReadDir(d.folder); len(entries) != 0 {
		t.Fatalf("a backup was written on a full disk: %v", entries)
	}

	d.free.free = 5 << 30
	if code, body := clerk.do("POST", "/api/dossiers", mustJSON(receptionBody("req-disk-00002", "001190054321"))); code != 201 {
		t.Fatalf("reception after room was made: %d %v", code, body)
	}
	pdf := scanPDF(t, []string{"Giấy khai sinh", "Nguyễn Thị Hương"})
	req, _ := http.NewRequest("POST", d.base+"/api/scans?name=giay-khai-sinh.pdf", bytes.NewReader(pdf))
	req.Header.Set("Content-Type", "application/pdf")
	resp, err := clerk.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("scan import after room was made: %d", resp.StatusCode)
	}
}

// storeDigest is every key and value of the store, in order.
func storeDigest(t *testing.T, st *store.Store) []byte {
	t.Helper()
	var b bytes.Buffer
	err := st.View(func(x *store.Txn) error {
		return x.Scan(nil, nil, false, false, func(k, v []byte) (bool, error) {
			b.Write(k)
			b.WriteByte(0)
			b.Write(v)
			b.WriteByte(0)
			return true, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
