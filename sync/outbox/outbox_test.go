package outbox

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"motcua/app/store"
	"motcua/sync/wire"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	st  *store.Store
	ob  *Outbox
	clk *clock
}

func newFixture(t *testing.T, p Policy) *fixture {
	t.Helper()
	st, err := store.Open(store.Options{Dir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	return &fixture{st: st, clk: clk, ob: New(st, WithPolicy(p), WithClock(clk.now), WithRand(func() float64 { return 0.5 }))}
}

// enqueue adds one item for dossier d in its own transaction.
func (f *fixture) enqueue(t *testing.T, d string, kind Kind, blobs ...wire.BlobRef) Item {
	t.Helper()
	var it Item
	err := f.st.Update(func(x *store.Txn) error {
		var err error
		it, err = Enqueue(x, Item{DossierID: d, Kind: kind, RecordID: d + "-rec", Payload: json.RawMessage(`{"id":"` + d + `"}`), Blobs: blobs})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func ids(items []Item) string {
	var s []string
	for _, it := range items {
		s = append(s, it.ID())
	}
	return strings.Join(s, " ")
}

func (f *fixture) ready(t *testing.T) ([]Item, time.Time) {
	t.Helper()
	items, next, err := f.ob.Ready(Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return items, next
}

func (f *fixture) apply(t *testing.T, outs ...Outcome) []Item {
	t.Helper()
	saved, err := f.ob.Apply(outs)
	if err != nil {
		t.Fatal(err)
	}
	return saved
}

func TestEnqueueCommitsOrFailsWithTheDomainTransaction(t *testing.T) {
	f := newFixture(t, DefaultPolicy())
	boom := errors.New("the dossier write failed")
	err := f.st.Update(func(x *store.Txn) error {
		if _, err := Enqueue(x, Item{DossierID: "d1", Kind: KindDossier, RecordID: "d1", Payload: json.RawMessage(`{}`)}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("update: %v", err)
	}
	if c, _ := f.ob.Counts(); c.Unsynced() != 0 {
		t.Fatalf("a rolled back change left %d outbox items", c.Unsynced())
	}
	it := f.enqueue(t, "d1", KindDossier)
	if it.Seq != 1 || it.State != StatePending || it.Bytes != int64(len(`{"id":"d1"}`)) {
		t.Fatalf("enqueued %+v", it)
	}
	if c, _ := f.ob.Counts(); c.Pending != 1 || c.BytesLeft != it.Bytes {
		t.Fatalf("counts %+v", c)
	}
}

func TestEnqueueRefusesIncompleteItems(t *testing.T) {
	for _, tc := range []struct {
		name string
		it   Item
	}{
		{"no dossier", Item{Kind: KindDossier, RecordID: "r", Payload: json.RawMessage(`{}`)}},
		{"NUL in dossier id", Item{DossierID: "a\x00b", Kind: KindDossier, RecordID: "r", Payload: json.RawMessage(`{}`)}},
		{"unknown kind", Item{DossierID: "d", Kind: "blob", RecordID: "r", Payload: json.RawMessage(`{}`)}},
		{"no payload", Item{DossierID: "d", Kind: KindEvent, RecordID: "r"}},
		{"synced already", Item{DossierID: "d", Kind: KindEvent, RecordID: "r", Payload: json.RawMessage(`{}`), State: StateSynced}},
		{"bad blob", Item{DossierID: "d", Kind: KindEvent, RecordID: "r", Payload: json.RawMessage(`{}`),
			Blobs: []wire.BlobRef{{SHA256: "ABC", Size: 1}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, DefaultPolicy())
			err := f.st.Update(func(x *store.Txn) error { _, err := Enqueue(x, tc.it); return err })
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
}

func TestReadyKeepsEachDossierInOrder(t *testing.T) {
	f := newFixture(t, Policy{Base: time.Minute, Max: time.Hour, MaxAttempts: 5})
	seen := map[string]bool{}
	for _, d := range []string{"A", "B", "A", "C", "B", "A"} {
		kind := KindEvent
		if !seen[d] {
			kind = KindDossier
		}
		seen[d] = true
		f.enqueue(t, d, kind)
	}
	items, next := f.ready(t)
	if got, want := ids(items), "A.1 B.1 A.2 C.1 B.2 A.3"; got != want {
		t.Fatalf("ready %q, want %q", got, want)
	}
	if !next.IsZero() {
		t.Fatalf("next wake %v with nothing backing off", next)
	}

	// A's record fails: A's events wait behind it, B and C go on.
	f.apply(t, Outcome{ID: "A.1", Kind: OutcomeRetry, Code: "unavailable"})
	items, next = f.ready(t)
	if got, want := ids(items), "B.1 C.1 B.2"; got != want {
		t.Fatalf("after A.1 failed: ready %q, want %q", got, want)
	}
	a1, _ := f.ob.Get("A.1")
	if !next.Equal(a1.NextTry) || a1.Attempts != 1 || a1.State != StateError {
		t.Fatalf("A.1 %+v, next wake %v", a1, next)
	}
	f.clk.add(time.Minute)
	if items, _ = f.ready(t); ids(items) != "A.1 B.1 A.2 C.1 B.2 A.3" {
		t.Fatalf("after the back-off: ready %q", ids(items))
	}
}

func mustList(t *testing.T, f *fixture) []Item {
	t.Helper()
	p, err := f.ob.List(ListQuery{All: true, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return p.Items
}

func TestPolicyDelay(t *testing.T) {
	p := Policy{Base: 10 * time.Second, Max: 60 * time.Second, MaxAttempts: 10}
	for _, tc := range []struct {
		attempt  int
		r        float64
		min, max time.Duration
	}{
		{1, 0, 5 * time.Second, 5 * time.Second},
		{1, 0.999, 5 * time.Second, 10 * time.Second},
		{2, 0, 10 * time.Second, 10 * time.Second},
		{3, 0.5, 30 * time.Second, 30 * time.Second},
		{4, 0, 30 * time.Second, 30 * time.Second},      // 80 s capped to 60 s
		{50, 0.999, 30 * time.Second, 60 * time.Second}, // no overflow
	} {
		got := p.Delay(tc.attempt, tc.r)
		if got < tc.min || got > tc.max {
			t.Errorf("Delay(%d, %v) = %v, want %v..%v", tc.attempt, tc.r, got, tc.min, tc.max)
		}
	}
}

func TestBackOffIsCappedThenWaitsForGuiLai(t *testing.T) {
	f := newFixture(t, Policy{Base: time.Second, Max: 4 * time.Second, MaxAttempts: 4})
	f.enqueue(t, "D", KindDossier)
	// With r = 0.5 each wait is 3/4 of its step: 1 s, 2 s, 4 s (capped).
	for i, want := range []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second} {
		saved := f.apply(t, Outcome{ID: "D.1", Kind: OutcomeRetry, Code: "internal_error", Reason: "Máy chủ tỉnh gặp lỗi"})
		if got := saved[0].NextTry.Sub(f.clk.now()); got != want || saved[0].Manual {
			t.Fatalf("attempt %d: waits %v (manual %v), want %v", i+1, got, saved[0].Manual, want)
		}
		if items, _ := f.ready(t); len(items) != 0 {
			t.Fatalf("attempt %d: item ready during its back-off", i+1)
		}
		f.clk.add(want)
		if items, _ := f.ready(t); len(items) != 1 {
			t.Fatalf("attempt %d: item not ready after its back-off", i+1)
		}
	}
	saved := f.apply(t, Outcome{ID: "D.1", Kind: OutcomeRetry, Code: "internal_error"})
	if it := saved[0]; !it.Manual || it.State != StateError || it.Attempts != 4 || !it.NextTry.IsZero() {
		t.Fatalf("after the last attempt: %+v", it)
	}
	f.clk.add(24 * time.Hour)
	if items, next := f.ready(t); len(items) != 0 || !next.IsZero() {
		t.Fatalf("a waiting item came back by itself: %d ready, next %v", len(items), next)
	}
	if c, _ := f.ob.Counts(); c.Waiting != 1 {
		t.Fatalf("counts %+v", c)
	}
	it, err := f.ob.Retry("D.1")
	if err != nil || it.State != StatePending || it.Attempts != 0 || it.Manual {
		t.Fatalf("retry: %+v %v", it, err)
	}
	if items, _ := f.ready(t); len(items) != 1 {
		t.Fatal("retried item not ready")
	}
}

func TestParkedItemKeepsTheHubReasonAndHoldsOnlyItsDossier(t *testing.T) {
	f := newFixture(t, DefaultPolicy())
	f.enqueue(t, "A", KindDossier)
	f.enqueue(t, "A", KindEvent)
	f.enqueue(t, "B", KindDossier)
	reason := "Thiết bị đã bị thu hồi quyền đồng bộ. Liên hệ quản trị viên tỉnh."
	f.apply(t, Outcome{ID: "A.1", Kind: OutcomePark, Code: wire.CodeDeviceRevoked, Reason: reason})
	items, next := f.ready(t)
	if ids(items) != "B.1" || !next.IsZero() {
		t.Fatalf("ready %q next %v", ids(items), next)
	}
	a1, _ := f.ob.Get("A.1")
	if a1.State != StateParked || a1.Reason != reason || a1.Code != wire.CodeDeviceRevoked {
		t.Fatalf("parked item %+v", a1)
	}
	if n, err := f.ob.RetryWhere(wire.CodeDeviceRevoked); err != nil || n != 1 {
		t.Fatalf("RetryWhere: %d %v", n, err)
	}
	if items, _ := f.ready(t); ids(items) != "A.1 A.2 B.1" {
		t.Fatalf("after retry: ready %q", ids(items))
	}
}

func TestOnlyAcceptedItemsLeaveTheQueue(t *testing.T) {
	f := newFixture(t, DefaultPolicy())
	f.enqueue(t, "A", KindDossier)
	f.enqueue(t, "A", KindEvent)
	if err := f.ob.MarkUploading([]string{"A.1", "A.2"}); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.ob.Counts(); c.Uploading != 2 {
		t.Fatalf("counts %+v", c)
	}
	hubAt := f.clk.now().Add(time.Second)
	f.apply(t,
		Outcome{ID: "A.1", Kind: OutcomeSynced, HubReceivedAt: &hubAt},
		Outcome{ID: "A.2", Kind: OutcomeRelease, Code: "waiting_for_previous"})
	c, _ := f.ob.Counts()
	if c.Unsynced() != 1 || c.Pending != 1 {
		t.Fatalf("counts %+v", c)
	}
	a1, _ := f.ob.Get("A.1")
	if a1.State != StateSynced || a1.SyncedAt == nil || !a1.HubReceivedAt.Equal(hubAt) || a1.BytesLeft() != 0 {
		t.Fatalf("synced item %+v", a1)
	}
	// A late failure report cannot un-sync an accepted item.
	f.apply(t, Outcome{ID: "A.1", Kind: OutcomePark, Code: "x"})
	if a1, _ = f.ob.Get("A.1"); a1.State != StateSynced {
		t.Fatalf("synced item became %s", a1.State)
	}
	page, _ := f.ob.List(ListQuery{})
	if ids(page.Items) != "A.2" {
		t.Fatalf("unsynced list %q", ids(page.Items))
	}
	if got := ids(mustList(t, f)); got != "A.2 A.1" {
		t.Fatalf("full list %q", got)
	}
	f.clk.add(time.Hour)
	if n, err := f.ob.Purge(f.clk.now()); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if got := ids(mustList(t, f)); got != "A.2" {
		t.Fatalf("after purge %q", got)
	}
	// The counter survives the purge: numbering never restarts.
	if it := f.enqueue(t, "A", KindEvent); it.Seq != 3 {
		t.Fatalf("seq after purge %d", it.Seq)
	}
}

func TestRecoverResetsUploading(t *testing.T) {
	f := newFixture(t, DefaultPolicy())
	f.enqueue(t, "A", KindDossier)
	f.ob.MarkUploading([]string{"A.1"})
	n, err := f.ob.Recover()
	if err != nil || n != 1 {
		t.Fatalf("recover %d %v", n, err)
	}
	if it, _ := f.ob.Get("A.1"); it.State != StatePending {
		t.Fatalf("state %s", it.State)
	}
}

func TestReadyRespectsLimits(t *testing.T) {
	f := newFixture(t, DefaultPolicy())
	big := wire.BlobRef{SHA256: strings.Repeat("a", 64), Size: 3 << 20, MediaType: "application/pdf"}
	f.enqueue(t, "A", KindDossier, big)
	f.enqueue(t, "B", KindDossier, big)
	f.enqueue(t, "B", KindEvent)
	f.enqueue(t, "C", KindDossier)
	items, _, err := f.ob.Ready(Limits{Bytes: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	// B does not fit; its event must not overtake it; C does fit.
	if ids(items) != "A.1 C.1" {
		t.Fatalf("ready %q", ids(items))
	}
	items, _, _ = f.ob.Ready(Limits{Items: 2, Bytes: 100 << 20})
	if ids(items) != "A.1 B.1" {
		t.Fatalf("ready %q", ids(items))
	}
}

func TestListPages(t *testing.T) {
	f := newFixture(t, DefaultPolicy())
	for _, d := range []string{"A", "B", "C", "D", "E"} {
		f.enqueue(t, d, KindDossier)
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		p, err := f.ob.List(ListQuery{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(p.Items))
		if p.Next == "" {
			break
		}
		cursor = p.Next
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if strings.Join(got, "|") != "A.1 B.1|C.1 D.1|E.1" {
		t.Fatalf("pages %q", got)
	}
	if _, err := f.ob.List(ListQuery{Cursor: "!!"}); !errors.Is(err, ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
	if _, err := f.ob.Retry("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("retry unknown: %v", err)
	}
}
