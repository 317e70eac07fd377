package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"motcua/sync/wire"
)

var auditT0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// auditChain builds n linked entries starting at seq from after prev.
func auditChain(from uint64, prev string, n int) []wire.AuditEntry {
	out := make([]wire.AuditEntry, n)
	for i := range out {
		seq := from + uint64(i)
		e := wire.AuditEntry{Seq: seq, At: auditT0.Add(time.Duration(seq) * time.Minute), Actor: "u1", Role: "clerk",
			Action: "receive", Object: fmt.Sprintf("dossier/%d", seq), After: wire.SumHex([]byte{byte(seq)}),
			Summary: fmt.Sprintf("000.17.22.H56-260302-%04d", seq), Prev: prev}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		out[i] = e
	}
	return out
}

// rehash recomputes hashes from index i on, keeping the chain linked: a
// full rewrite of the log from there, as someone holding the key could do.
func rehash(chain []wire.AuditEntry, i int) {
	for ; i < len(chain); i++ {
		if i > 0 {
			chain[i].Prev = chain[i-1].Hash
		}
		chain[i].Hash = chain[i].ComputeHash()
	}
}

func (c *client) audit(entries []wire.AuditEntry, head uint64) (wire.AuditResponse, answer) {
	c.e.t.Helper()
	req := wire.AuditRequest{Entries: entries, Head: wire.AuditHead{Seq: head}}
	if head > 0 {
		req.Head.Hash = wire.SumHex([]byte("head"))
	}
	b, _ := json.Marshal(req)
	a := c.do(http.MethodPost, wire.PathAudit, b, jsonHdr())
	var resp wire.AuditResponse
	if a.status == http.StatusOK {
		if err := wire.DecodeStrict(bytes.NewReader(a.body), wire.MaxAuditBytes, &resp); err != nil {
			c.e.t.Fatal(err)
		}
	}
	return resp, a
}

func auditOutcomes(resp wire.AuditResponse) string {
	var s string
	for _, r := range resp.Results {
		s += fmt.Sprintf("%d:%s%s ", r.Seq, r.Outcome, map[bool]string{true: "/" + r.Code}[r.Code != ""])
	}
	return s
}

func (e *env) chain(deviceID string) AuditChain {
	e.t.Helper()
	all, err := e.srv.AuditChains(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range all {
		if c.DeviceID == deviceID {
			return c
		}
	}
	e.t.Fatalf("device %s not in AuditChains", deviceID)
	return AuditChain{}
}

func TestAuditEntriesArriveOnceInOrderAndReplaysAreDuplicates(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	chain := auditChain(1, wire.AuditGenesis, 8)

	resp, a := c.audit(chain[:5], 8)
	if a.status != http.StatusOK || auditOutcomes(resp) != "1:created 2:created 3:created 4:created 5:created " {
		t.Fatalf("%d %s %s", a.status, auditOutcomes(resp), a.body)
	}
	if resp.Stored.Seq != 5 || resp.Stored.Hash != chain[4].Hash {
		t.Fatalf("stored %+v", resp.Stored)
	}
	// The answer was lost: the same batch again changes nothing.
	resp, _ = c.audit(chain[:5], 8)
	if auditOutcomes(resp) != "1:duplicate 2:duplicate 3:duplicate 4:duplicate 5:duplicate " || e.count("audit_entries") != 5 {
		t.Fatalf("replay: %s, %d rows", auditOutcomes(resp), e.count("audit_entries"))
	}
	// An overlapping batch stores only what is new.
	resp, _ = c.audit(chain[3:], 8)
	if auditOutcomes(resp) != "4:duplicate 5:duplicate 6:created 7:created 8:created " || resp.Stored.Seq != 8 {
		t.Fatalf("overlap: %s %+v", auditOutcomes(resp), resp.Stored)
	}
	var n, distinct int
	var stored string
	e.srv.DB().QueryRow(context.Background(), `SELECT count(*), count(DISTINCT seq), string_agg(hash, ',' ORDER BY seq)
		FROM audit_entries WHERE device_id = $1`, c.id).Scan(&n, &distinct, &stored)
	want := ""
	for i, en := range chain {
		if i > 0 {
			want += ","
		}
		want += en.Hash
	}
	if n != 8 || distinct != 8 || stored != want {
		t.Fatalf("stored %d rows (%d seqs): %s", n, distinct, stored)
	}
	// The stored record is the entry as sent: it still verifies.
	var back wire.AuditEntry
	var raw []byte
	e.srv.DB().QueryRow(context.Background(), "SELECT record FROM audit_entries WHERE device_id = $1 AND seq = 3", c.id).Scan(&raw)
	if err := json.Unmarshal(raw, &back); err != nil || back.ComputeHash() != chain[2].Hash || back.Summary != chain[2].Summary {
		t.Fatalf("record of seq 3: %s %v", raw, err)
	}
	ch := e.chain(c.id)
	if !ch.Continuous() || ch.LastSeq != 8 || ch.Behind() != 0 || ch.LastAt == nil || !ch.LastAt.Equal(chain[7].At) ||
		ch.CommuneCode != communeA || ch.ReportedAt == nil {
		t.Fatalf("chain %+v", ch)
	}
}

func TestAuditGapsAreRefused(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	chain := auditChain(1, wire.AuditGenesis, 6)
	// A chain cannot start in the middle.
	resp, a := c.audit(chain[1:3], 6)
	if a.status != http.StatusOK || auditOutcomes(resp) != "2:rejected/audit_gap " || resp.Stored.Seq != 0 || resp.Stored.Hash != "" {
		t.Fatalf("%s %+v %s", auditOutcomes(resp), resp.Stored, a.body)
	}
	c.audit(chain[:3], 6)
	resp, _ = c.audit(chain[4:], 6)
	if auditOutcomes(resp) != "5:rejected/audit_gap " || resp.Stored.Seq != 3 || resp.Stored.Hash != chain[2].Hash {
		t.Fatalf("gap after 3: %s %+v", auditOutcomes(resp), resp.Stored)
	}
	if resp.Results[0].Reason == "" || e.count("audit_entries") != 3 || e.count("audit_conflicts") != 0 {
		t.Fatalf("gap stored something: %d rows, %d conflicts, %q", e.count("audit_entries"), e.count("audit_conflicts"), resp.Results[0].Reason)
	}
	// The desk resends from where the hub stands.
	if resp, _ = c.audit(chain[3:], 6); auditOutcomes(resp) != "4:created 5:created 6:created " {
		t.Fatalf("resend: %s", auditOutcomes(resp))
	}
	ch := e.chain(c.id)
	if !ch.Continuous() || ch.LastSeq != 6 {
		t.Fatalf("%+v", ch)
	}
	// A batch with a hole inside is refused as a whole.
	more := auditChain(7, chain[5].Hash, 3)
	_, a = c.audit([]wire.AuditEntry{more[0], more[2]}, 9)
	if a.status != http.StatusBadRequest || a.err().Code != wire.CodeBadRequest || e.count("audit_entries") != 6 {
		t.Fatalf("hole in batch: %d %s", a.status, a.body)
	}
}

func TestAuditConflictsAreRecordedAndReported(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	chain := auditChain(1, wire.AuditGenesis, 4)
	c.audit(chain, 4)

	// The desk's entry 3 was edited after it was sent and the log rewritten
	// from there: the same seq comes with another hash.
	rewritten := append([]wire.AuditEntry(nil), chain...)
	rewritten[2].Actor = "ke_gian"
	rehash(rewritten, 2)
	resp, _ := c.audit(rewritten[1:], 4)
	if auditOutcomes(resp) != "2:duplicate 3:conflict/audit_conflict " || resp.Stored.Seq != 4 || resp.Stored.Hash != chain[3].Hash {
		t.Fatalf("rewritten: %s %+v", auditOutcomes(resp), resp.Stored)
	}
	// Sent again: still one conflict row, seen twice.
	c.audit(rewritten[2:], 4)
	var times int
	var reason, storedHash string
	e.srv.DB().QueryRow(context.Background(), "SELECT times, reason, stored_hash FROM audit_conflicts WHERE device_id = $1 AND seq = 3",
		c.id).Scan(&times, &reason, &storedHash)
	if e.count("audit_conflicts") != 1 || times != 2 || reason != auditDifferentHash || storedHash != chain[2].Hash {
		t.Fatalf("conflict rows %d, times %d, %s %s", e.count("audit_conflicts"), times, reason, storedHash)
	}

	// Edited in place without a new hash.
	edited := chain[1]
	edited.Summary = "sửa"
	if resp, _ = c.audit([]wire.AuditEntry{edited}, 4); auditOutcomes(resp) != "2:conflict/audit_conflict " {
		t.Fatalf("edited: %s", auditOutcomes(resp))
	}
	// A new entry that follows the rewritten chain, not the hub's.
	next := auditChain(5, rewritten[3].Hash, 1)
	if resp, _ = c.audit(next, 5); auditOutcomes(resp) != "5:conflict/audit_conflict " || resp.Stored.Seq != 4 {
		t.Fatalf("broken link: %s", auditOutcomes(resp))
	}
	// A new entry that does not match its own hash.
	bad := auditChain(5, chain[3].Hash, 1)
	bad[0].Summary = "khác"
	if resp, _ = c.audit(bad, 5); auditOutcomes(resp) != "5:conflict/audit_conflict " {
		t.Fatalf("altered new entry: %s", auditOutcomes(resp))
	}
	if e.count("audit_entries") != 4 || e.count("audit_conflicts") != 4 {
		t.Fatalf("%d entries, %d conflicts", e.count("audit_entries"), e.count("audit_conflicts"))
	}
	rows, _ := e.srv.DB().Query(context.Background(), "SELECT seq, reason FROM audit_conflicts ORDER BY seq, reason")
	var got string
	for rows.Next() {
		var seq int
		var r string
		rows.Scan(&seq, &r)
		got += fmt.Sprintf("%d:%s ", seq, r)
	}
	if got != "2:altered 3:different_hash 5:altered 5:broken_link " {
		t.Fatalf("conflicts: %s", got)
	}
	ch := e.chain(c.id)
	if ch.Continuous() || ch.Conflicts != 4 || ch.ConflictSeq != 2 || ch.ConflictCause != auditAltered || ch.ConflictAt == nil ||
		ch.LastSeq != 4 || ch.Behind() != 1 {
		t.Fatalf("chain %+v", ch)
	}
	// The right continuation is still accepted: the hub's copy stays whole.
	if resp, _ = c.audit(auditChain(5, chain[3].Hash, 1), 5); auditOutcomes(resp) != "5:created " {
		t.Fatalf("continuation: %s", auditOutcomes(resp))
	}
}

func TestAuditChainsArePerDevice(t *testing.T) {
	e := newEnv(t)
	a, b := e.enrol(communeA), e.enrol(communeB)
	a.audit(auditChain(1, wire.AuditGenesis, 3), 3)
	// Device B's chain is its own: its seq 1 is not a's.
	if resp, _ := b.audit(auditChain(1, wire.AuditGenesis, 2)[:1], 2); auditOutcomes(resp) != "1:created " {
		t.Fatalf("b: %s", auditOutcomes(resp))
	}
	if ca, cb := e.chain(a.id), e.chain(b.id); ca.LastSeq != 3 || cb.LastSeq != 1 || cb.CommuneCode != communeB ||
		cb.Behind() != 1 || !ca.Continuous() || !cb.Continuous() {
		t.Fatalf("a %+v b %+v", ca, cb)
	}
	// A device that never sent audit entries is listed with none.
	idle := e.enrol(communeB)
	if ch := e.chain(idle.id); ch.LastSeq != 0 || ch.LastAt != nil || ch.ReportedAt != nil {
		t.Fatalf("idle %+v", ch)
	}
	// An invalid entry is refused and stops the batch.
	bad := auditChain(4, e.lastHash(a.id), 2)
	bad[0].At = time.Time{}
	bad[0].Hash = bad[0].ComputeHash()
	if resp, _ := a.audit(bad, 5); auditOutcomes(resp) != "4:rejected/invalid_record " {
		t.Fatalf("invalid: %s", auditOutcomes(resp))
	}
	// Unsigned requests never reach the chain.
	req, _ := http.NewRequest(http.MethodPost, e.http.URL+wire.PathAudit, bytes.NewReader([]byte(`{"head":{"seq":0},"entries":[]}`)))
	req.Header.Set(wire.HeaderProtocol, wire.Current.String())
	if ans := send(t, req); ans.status != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d", ans.status)
	}
}

func (e *env) lastHash(device string) string {
	e.t.Helper()
	var h string
	if err := e.srv.DB().QueryRow(context.Background(),
		"SELECT hash FROM audit_entries WHERE device_id = $1 ORDER BY seq DESC LIMIT 1", device).Scan(&h); err != nil {
		e.t.Fatal(err)
	}
	return h
}
