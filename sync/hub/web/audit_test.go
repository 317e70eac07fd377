package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"motcua/sync/wire"
)

// sendAudit sends entries with the desk's head at head and returns the
// outcome of the last result.
func (d *device) sendAudit(head uint64, entries ...wire.AuditEntry) string {
	d.e.t.Helper()
	body, _ := json.Marshal(wire.AuditRequest{Head: wire.AuditHead{Seq: head, Hash: wire.SumHex([]byte("đầu"))}, Entries: entries})
	var resp wire.AuditResponse
	if status := d.e.decode(d.request(http.MethodPost, wire.PathAudit, body, http.Header{"Content-Type": {"application/json"}}), &resp); status != http.StatusOK {
		d.e.t.Fatalf("audit: %d", status)
	}
	return resp.Results[len(resp.Results)-1].Outcome
}

// linked returns n entries after prev, each hashed and linked.
func linked(prev wire.AuditEntry, n int, at time.Time) []wire.AuditEntry {
	var out []wire.AuditEntry
	for i := 0; i < n; i++ {
		e := wire.AuditEntry{Seq: prev.Seq + 1, At: at.UTC(), Actor: "u-01", Action: "receive", Object: "dossier/x", Prev: prev.Hash}
		if e.Seq == 1 {
			e.Prev = wire.AuditGenesis
		}
		e.Hash = e.ComputeHash()
		out, prev = append(out, e), e
	}
	return out
}

// conflicted sends a two-entry chain, then entry 2 edited and rehashed:
// one conflict at entry 2.
func (d *device) conflicted(at time.Time) {
	d.e.t.Helper()
	chain := linked(wire.AuditEntry{}, 2, at)
	d.sendAudit(2, chain...)
	forged := chain[1]
	forged.Actor = "ke_gian"
	forged.Hash = forged.ComputeHash()
	if got := d.sendAudit(2, forged); got != wire.OutcomeConflict {
		d.e.t.Fatal(got)
	}
}

var auditCellRE = regexp.MustCompile(`(?s)<tr data-commune="([^"]+)"[^>]*>.*?<td data-k="audit">(.*?)</td>`)

func TestCommunesPageShowsAuditChains(t *testing.T) {
	e := newEnv(t, false, Config{})
	a, b := e.device(communeA), e.device(communeB)
	at := time.Date(2026, 3, 2, 8, 30, 0, 0, vn)
	chainA := linked(wire.AuditEntry{}, 3, at)
	if got := a.sendAudit(5, chainA...); got != wire.OutcomeCreated {
		t.Fatal(got)
	}
	b.conflicted(at)

	br := e.browser()
	br.login("canbo")
	p := br.get(pathCommunes)
	cells := map[string]string{}
	for _, m := range auditCellRE.FindAllStringSubmatch(p.body, -1) {
		cells[m[1]] = m[2]
	}
	if c := cells[communeA]; !strings.Contains(c, `data-audit="behind"`) || !strings.Contains(c, "Liên tục đến mục 3") ||
		!strings.Contains(c, "còn 2 mục chưa gửi") || !strings.Contains(c, "02/03/2026 08:30") {
		t.Errorf("commune A: %q", c)
	}
	if c := cells[communeB]; !strings.Contains(c, `data-audit="conflict"`) || !strings.Contains(c, "Sai lệch từ mục 2") ||
		!strings.Contains(c, "khác với bản đã nhận") {
		t.Errorf("commune B: %q", c)
	}
	// A caught-up chain; a device that never sent one.
	a.sendAudit(4, linked(chainA[2], 1, at.Add(time.Hour))...)
	e.device(communeB)
	p = br.get(pathCommunes)
	for _, m := range auditCellRE.FindAllStringSubmatch(p.body, -1) {
		cells[m[1]] = m[2]
	}
	if c := cells[communeA]; !strings.Contains(c, `data-audit="ok"`) || !strings.Contains(c, "Liên tục đến mục 4") ||
		!strings.Contains(c, "đầy đủ, mục cuối lúc 02/03/2026 09:30") {
		t.Errorf("commune A caught up: %q", c)
	}
	if c := cells[communeB]; strings.Count(c, "<div") != 2 || !strings.Contains(c, `data-audit="none"`) || !strings.Contains(c, "Máy một cửa:") {
		t.Errorf("commune B with two devices: %q", c)
	}
}

var ackFormRE = regexp.MustCompile(`(?s)action="/chi-so-xa/xac-nhan-nhat-ky">\s*<input type="hidden" name="csrf" value="([^"]+)"><input type="hidden" name="thiet-bi" value="([^"]+)"><input type="hidden" name="so-sai-lech" value="(\d+)">`)

// TestAuditConflictIsAcknowledgedOnTheCommunesPage: an admin acknowledges
// a device's audit conflict from "Chỉ số theo xã" with a required note; the
// cell then says "Đã xác nhận" with who and when, and still shows the
// conflict. An official without the admin role sees no form and is refused
// if they post one; a post without the CSRF token is refused.
func TestAuditConflictIsAcknowledgedOnTheCommunesPage(t *testing.T) {
	e := newEnv(t, false, Config{})
	b := e.device(communeB)
	at := time.Date(2026, 3, 2, 8, 30, 0, 0, vn)
	b.conflicted(at)
	cell := func(body string) string {
		for _, m := range auditCellRE.FindAllStringSubmatch(body, -1) {
			if m[1] == communeB {
				return m[2]
			}
		}
		t.Fatalf("no audit cell for %s", communeB)
		return ""
	}

	official := e.browser()
	official.login("canbo")
	p := official.get(pathCommunes)
	if strings.Contains(p.body, "xac-nhan-nhat-ky") {
		t.Fatal("an official without the admin role sees the acknowledgement form")
	}
	admin := e.browser()
	admin.login("quantri")
	p = admin.get(pathCommunes)
	m := ackFormRE.FindStringSubmatch(p.body)
	if m == nil || m[3] != "1" {
		t.Fatalf("no acknowledgement form for the admin: %s", cell(p.body))
	}
	form := url.Values{"csrf": {m[1]}, "thiet-bi": {m[2]}, "so-sai-lech": {m[3]}}
	// The official posts the admin's form with their own token: refused.
	staffForm := url.Values{"csrf": {field(csrfRE, official.get(pathCommunes).body)}, "thiet-bi": {m[2]}, "so-sai-lech": {"1"},
		"ghi-chu": {"tự xác nhận"}}
	if a := official.post(pathAuditAck, staffForm); a.status != http.StatusForbidden {
		t.Fatalf("official: %d", a.status)
	}
	noToken := url.Values{"thiet-bi": {m[2]}, "so-sai-lech": {"1"}, "ghi-chu": {"không có mã"}}
	if a := admin.post(pathAuditAck, noToken); a.status != http.StatusForbidden {
		t.Fatalf("no CSRF token: %d", a.status)
	}
	if a := admin.post(pathAuditAck, form); a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, "Hãy ghi nội dung xác nhận") {
		t.Fatalf("empty note: %d", a.status)
	}
	stale := url.Values{"csrf": {m[1]}, "thiet-bi": {m[2]}, "so-sai-lech": {"0"}, "ghi-chu": {"xem rồi"}}
	if a := admin.post(pathAuditAck, stale); a.status != http.StatusConflict {
		t.Fatalf("stale count: %d", a.status)
	}
	if c := cell(admin.get(pathCommunes).body); !strings.Contains(c, `data-audit="conflict"`) {
		t.Fatalf("refused posts acknowledged: %s", c)
	}

	const note = "Xã khôi phục bản sao lưu cũ sau sự cố; đã đối chiếu biên bản."
	form.Set("ghi-chu", note)
	a := admin.post(pathAuditAck, form)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != pathCommunes+"?da=xac-nhan" {
		t.Fatalf("acknowledge: %d %s", a.status, a.header.Get("Location"))
	}
	p = admin.get(a.header.Get("Location"))
	c := cell(p.body)
	if !strings.Contains(p.body, "Đã ghi nhận xác nhận sai lệch") || !strings.Contains(c, `data-audit="acknowledged"`) ||
		!strings.Contains(c, "Sai lệch từ mục 2") || !strings.Contains(c, "Đã xác nhận") || !strings.Contains(c, "Trịnh Minh Đức (quantri)") ||
		!strings.Contains(c, note) || strings.Contains(c, "xac-nhan-nhat-ky") {
		t.Fatalf("after the acknowledgement: %s", c)
	}
	// The official sees it too.
	if c := cell(official.get(pathCommunes).body); !strings.Contains(c, "Đã xác nhận") || !strings.Contains(c, "Sai lệch từ mục 2") {
		t.Fatalf("official's view: %s", c)
	}
	// Posted again (a reload): one acknowledgement.
	if a := admin.post(pathAuditAck, form); a.status != http.StatusSeeOther {
		t.Fatalf("again: %d", a.status)
	}
	var n int
	if err := e.hub.DB().QueryRow(context.Background(), "SELECT count(*) FROM audit_conflict_acks").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d acknowledgements (%v)", n, err)
	}
}
