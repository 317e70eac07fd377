package web

import (
	"encoding/json"
	"net/http"
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

var auditCellRE = regexp.MustCompile(`(?s)<tr data-commune="([^"]+)"[^>]*>.*?<td data-k="audit">(.*?)</td>`)

func TestCommunesPageShowsAuditChains(t *testing.T) {
	e := newEnv(t, false, Config{})
	a, b := e.device(communeA), e.device(communeB)
	at := time.Date(2026, 3, 2, 8, 30, 0, 0, vn)
	chainA := linked(wire.AuditEntry{}, 3, at)
	if got := a.sendAudit(5, chainA...); got != wire.OutcomeCreated {
		t.Fatal(got)
	}
	chainB := linked(wire.AuditEntry{}, 2, at)
	b.sendAudit(2, chainB...)
	forged := chainB[1]
	forged.Actor = "ke_gian"
	forged.Hash = forged.ComputeHash()
	if got := b.sendAudit(2, forged); got != wire.OutcomeConflict {
		t.Fatal(got)
	}

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
