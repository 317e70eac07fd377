package syncing

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"motcua/app/audit"
	"motcua/app/dossier"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/sync/hub"
	"motcua/sync/wire"
)

// auditSynced waits until the hub holds the desk's whole chain and returns
// its length.
func (d *desk) auditSynced(e *hubEnv) uint64 {
	d.t.Helper()
	var head uint64
	waitFor(d.t, 20*time.Second, "the audit chain to reach the hub", func() bool {
		head, _, _ = audit.Head(d.st)
		st := d.status()
		return head > 0 && st.AuditPending == 0 && st.AuditProblem == "" &&
			e.count("SELECT count(*) FROM audit_entries WHERE device_id = $1", st.DeviceID) == int(head)
	})
	return head
}

// hubHashes is the hub's copy of the device's chain, "seq:hash" joined.
func (e *hubEnv) hubHashes(device string) string {
	e.t.Helper()
	var s string
	if err := e.srv.DB().QueryRow(context.Background(), `SELECT coalesce(string_agg(seq || ':' || hash, ' ' ORDER BY seq), '')
		FROM audit_entries WHERE device_id = $1`, device).Scan(&s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (d *desk) localHashes() string {
	d.t.Helper()
	entries, err := audit.Since(d.st, 0, 10000)
	if err != nil {
		d.t.Fatal(err)
	}
	var parts []string
	for _, en := range entries {
		parts = append(parts, strconv.FormatUint(en.Seq, 10)+":"+en.Hash)
	}
	return strings.Join(parts, " ")
}

// auditMetric reads the hub's count of audit entries with outcome.
func (e *hubEnv) auditMetric(outcome string) int {
	e.t.Helper()
	resp, err := http.Get(e.http.URL + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`motcua_hub_push_items_total\{kind="audit",outcome="` + outcome + `"\} (\d+)`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func (e *hubEnv) auditChain(device string) hub.AuditChain {
	e.t.Helper()
	all, err := e.srv.AuditChains(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range all {
		if c.DeviceID == device {
			return c
		}
	}
	e.t.Fatalf("device %s has no audit chain on the hub", device)
	return hub.AuditChain{}
}

// setAuditCursor moves the desk's audit cursor through the store, as an
// older backup restored or a hand-edited store would.
func (d *desk) setAuditCursor(sent uint64) {
	d.t.Helper()
	err := d.st.Update(func(x *store.Txn) error {
		var c auditCursor
		if err := x.GetJSON(store.KeySyncAudit(), &c); err != nil {
			return err
		}
		c.Sent = sent
		return x.SetJSON(store.KeySyncAudit(), c)
	})
	if err != nil {
		d.t.Fatal(err)
	}
}

func TestAuditEntriesReachTheHubOnceAndHoldNoPersonalData(t *testing.T) {
	e := newHubEnv(t)
	d := newDesk(t, commune)
	// Entries written before enrolment are pending too.
	first := d.receive()
	if st := d.status(); st.AuditPending < 2 {
		t.Fatalf("before enrolment: %d audit entries pending", st.AuditPending)
	}
	d.enrol(e)
	d.sync.Start(d.rec)
	for i := 0; i < 3; i++ {
		d.receive()
	}
	if _, err := d.act(first.ID, reception.ActionInput{Action: dossier.ActionStartProcessing}); err != nil {
		t.Fatal(err)
	}
	head := d.auditSynced(e)
	dev := d.status().DeviceID
	if got, want := e.hubHashes(dev), d.localHashes(); got != want {
		t.Fatalf("hub's chain differs from the desk's:\n hub: %s\ndesk: %s", got, want)
	}
	if n := e.count("SELECT count(DISTINCT seq) FROM audit_entries WHERE device_id = $1", dev); n != int(head) {
		t.Fatalf("%d distinct entries for a chain of %d", n, head)
	}
	if st := d.status(); st.AuditSentAt == nil {
		t.Fatalf("status %+v", st.AuditStatus)
	}
	// Digests and dossier codes only: nothing of the applicant.
	for _, secret := range []string{"Nguyễn Thị Hương", "001190012345", "0912 345 678", "Thôn Đông"} {
		if n := e.count("SELECT count(*) FROM audit_entries WHERE strpos(record::text, $1) > 0", secret); n != 0 {
			t.Errorf("%d audit entries on the hub contain %q", n, secret)
		}
	}
	if n := e.count("SELECT count(*) FROM audit_entries WHERE strpos(record::text, $1) > 0", first.Code); n == 0 {
		t.Error("no audit entry names the dossier code: the check above would pass on empty records")
	}
	created := e.auditMetric("created")
	if created != int(head) {
		t.Fatalf("hub created %d entries, chain has %d", created, head)
	}

	// The cursor goes back (a store restored from an older backup): the
	// desk sends everything again and the hub answers duplicates.
	d.setAuditCursor(0)
	d.sync.SyncNow()
	waitFor(t, 20*time.Second, "the replay", func() bool { return e.auditMetric("duplicate") == int(head) })
	d.auditSynced(e)
	if n := e.count("SELECT count(*) FROM audit_entries WHERE device_id = $1", dev); n != int(head) || e.auditMetric("created") != created {
		t.Fatalf("after the replay: %d rows, %d created", n, e.auditMetric("created"))
	}
	if ch := e.auditChain(dev); !ch.Continuous() || ch.LastSeq != head || ch.Behind() != 0 {
		t.Fatalf("hub's view: %+v", ch)
	}
}

// rewriteAuditFrom changes entry seq and rehashes the chain after it, as
// someone with the store's key could: the local check passes.
func (d *desk) rewriteAuditFrom(seq uint64) (before string) {
	d.t.Helper()
	err := d.st.Update(func(x *store.Txn) error {
		entries, prev := []audit.Entry{}, ""
		for s := uint64(1); ; s++ {
			var en audit.Entry
			if err := x.GetJSON(store.KeyAudit(s), &en); err != nil {
				break
			}
			entries = append(entries, en)
		}
		for i := range entries {
			en := &entries[i]
			if en.Seq < seq {
				prev = en.Hash
				continue
			}
			if en.Seq == seq {
				before = en.Hash
				en.Actor = "ke_gian"
			}
			en.Prev = prev
			en.Hash = en.ComputeHash()
			prev = en.Hash
			if err := x.SetJSON(store.KeyAudit(en.Seq), en); err != nil {
				return err
			}
		}
		return x.SetJSON(store.KeyAuditHead(), map[string]any{"seq": entries[len(entries)-1].Seq, "hash": prev})
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return before
}

// syncedDesk is an enrolled, running desk with n receptions whose audit
// chain the hub holds; it returns the chain's length and the device.
func syncedDesk(t *testing.T, n int) (*hubEnv, *desk, uint64, string) {
	t.Helper()
	e := newHubEnv(t)
	d := newDesk(t, commune)
	d.enrol(e)
	d.sync.Start(d.rec)
	for i := 0; i < n; i++ {
		d.receive()
	}
	head := d.auditSynced(e)
	return e, d, head, d.status().DeviceID
}

func TestTamperedAuditLogIsAConflictTheHubReports(t *testing.T) {
	e, d, head, dev := syncedDesk(t, 2)
	original := e.hubHashes(dev)

	old := d.rewriteAuditFrom(2)
	if r, err := audit.Verify(d.st); err != nil || !r.OK() {
		t.Fatalf("the rewritten chain should verify locally: %+v %v", r, err)
	}
	// The next action links to the rewritten chain: the hub's copy says
	// otherwise.
	d.receive()
	waitFor(t, 20*time.Second, "the desk to learn of the conflict", func() bool {
		return d.status().AuditProblem == wire.CodeAuditConflict
	})
	st := d.status()
	if st.AuditConflictSeq != head+1 || st.AuditPending == 0 || !strings.Contains(st.AuditMessage, "viết lại") {
		t.Fatalf("desk status %+v", st.AuditStatus)
	}
	ch := e.auditChain(dev)
	if ch.Continuous() || ch.ConflictSeq != head+1 || ch.ConflictCause != "broken_link" || ch.LastSeq != head {
		t.Fatalf("hub's view: %+v", ch)
	}
	if got := e.hubHashes(dev); got != original {
		t.Fatalf("the hub's copy changed:\n%s\n%s", got, original)
	}

	// Sent again from the start (the cursor rewound): the edited entry
	// itself meets the hub's copy of seq 2.
	d.setAuditCursor(0)
	d.sync.SyncNow()
	waitFor(t, 20*time.Second, "the conflict at seq 2", func() bool { return d.status().AuditConflictSeq == 2 })
	ch = e.auditChain(dev)
	if ch.ConflictSeq != 2 || ch.ConflictCause != "different_hash" || ch.Conflicts != 2 {
		t.Fatalf("hub's view: %+v", ch)
	}
	var stored string
	e.srv.DB().QueryRow(context.Background(), "SELECT stored_hash FROM audit_conflicts WHERE device_id = $1 AND seq = 2", dev).Scan(&stored)
	if stored != old || !strings.Contains(e.hubHashes(dev), "2:"+old) {
		t.Fatalf("the hub should keep and name the original entry 2 (%s), has %s", old, stored)
	}
}

func TestAuditGapAtTheHubIsRefusedThenRefilled(t *testing.T) {
	e, d, _, dev := syncedDesk(t, 2)
	// The hub's database came back from a backup that held only entry 1.
	if _, err := e.srv.DB().Exec(context.Background(), "DELETE FROM audit_entries WHERE device_id = $1 AND seq > 1", dev); err != nil {
		t.Fatal(err)
	}
	d.receive()
	head := d.auditSynced(e)
	if e.auditMetric("rejected") == 0 {
		t.Fatal("the desk's first batch after the hub's loss was not refused as a gap")
	}
	if got, want := e.hubHashes(dev), d.localHashes(); got != want {
		t.Fatalf("after refilling:\n hub: %s\ndesk: %s", got, want)
	}
	if ch := e.auditChain(dev); !ch.Continuous() || ch.LastSeq != head {
		t.Fatalf("hub's view: %+v", ch)
	}
}

func TestAuditEntriesWaitForTheHubAndBackOff(t *testing.T) {
	e, d, head, _ := syncedDesk(t, 0)
	// The hub answers but cannot store: its audit table is gone for a while.
	if _, err := e.srv.DB().Exec(context.Background(), "ALTER TABLE audit_entries RENAME TO audit_entries_away"); err != nil {
		t.Fatal(err)
	}
	d.receive()
	waitFor(t, 20*time.Second, "the failure to show", func() bool {
		st := d.status()
		return st.AuditProblem == wire.CodeInternal && st.AuditPending > 0
	})
	if st := d.status(); st.Outbox.Unsynced() != 0 {
		t.Fatalf("a failing audit push held back the outbox: %+v", st.Outbox)
	}
	d.sync.mu.Lock()
	run := d.sync.audit
	d.sync.mu.Unlock()
	if run.attempts == 0 || !run.nextAt.After(time.Now().Add(-time.Second)) {
		t.Fatalf("no back-off: %+v", run)
	}
	if _, err := e.srv.DB().Exec(context.Background(), "ALTER TABLE audit_entries_away RENAME TO audit_entries"); err != nil {
		t.Fatal(err)
	}
	if got := d.auditSynced(e); got <= head {
		t.Fatalf("head %d after a reception, was %d", got, head)
	}
	if st := d.status(); st.AuditProblem != "" || st.AuditMessage != "" {
		t.Fatalf("problem stays after success: %+v", st.AuditStatus)
	}
}
