package hub

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"motcua/sync/wire"
)

func (c *client) pull(since string, limit int) wire.PullResponse {
	c.e.t.Helper()
	path := "/v1/changes?limit=" + itoa(limit)
	if since != "" {
		path += "&since=" + since
	}
	a := c.do(http.MethodGet, path, nil, nil)
	if a.status != http.StatusOK {
		c.e.t.Fatalf("pull: %d %s", a.status, a.body)
	}
	var resp wire.PullResponse
	if err := wire.DecodeLenient(bytes.NewReader(a.body), 1<<24, &resp); err != nil {
		c.e.t.Fatal(err)
	}
	return resp
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestPullExactlyOnce: staff record changes on the hub while the commune
// pulls in small pages; every change of the commune arrives exactly once,
// in order, and none of the other commune's.
func TestPullExactlyOnce(t *testing.T) {
	e := newEnv(t)
	a, b := e.enrol(communeA), e.enrol(communeB)
	var mine, theirs []wire.Dossier
	for i := 0; i < 4; i++ {
		mine = append(mine, dossier(communeA))
		theirs = append(theirs, dossier(communeB))
	}
	a.push(wire.PushRequest{Dossiers: mine})
	b.push(wire.PushRequest{Dossiers: theirs})

	const perDossier = 10
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		wantIDs = map[string]bool{}
	)
	record := func(d wire.Dossier, ours bool) {
		defer wg.Done()
		for i := 0; i < perDossier; i++ {
			ch, err := e.srv.RecordChange(context.Background(), ChangeInput{
				DossierID: d.ID, Kind: wire.ChangeNote, Actor: "s-01", Note: "Ghi chú " + itoa(i),
			})
			if err != nil {
				t.Error(err)
				return
			}
			if ours {
				mu.Lock()
				wantIDs[ch.ID] = true
				mu.Unlock()
			}
		}
	}
	for i := range mine {
		wg.Add(2)
		go record(mine[i], true)
		go record(theirs[i], false)
	}

	// Pull while they are being recorded, then drain.
	seen := map[string]int{}
	var order []wire.Change
	cursor := ""
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	finished := false
	for pages := 0; pages < 1000; pages++ {
		resp := a.pull(cursor, 7)
		for _, ch := range resp.Changes {
			seen[ch.ID]++
			order = append(order, ch)
		}
		if resp.Cursor == "" {
			t.Fatal("pull without a cursor")
		}
		cursor = resp.Cursor
		if !resp.More {
			if finished {
				break
			}
			select {
			case <-done:
				finished = true // one more full pass after the last write
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	if len(wantIDs) != len(mine)*perDossier {
		t.Fatalf("recorded %d changes, want %d", len(wantIDs), len(mine)*perDossier)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("change %s pulled %d times", id, n)
		}
		if !wantIDs[id] {
			t.Errorf("change %s is not this commune's", id)
		}
	}
	if len(seen) != len(wantIDs) {
		t.Fatalf("pulled %d distinct changes, want %d", len(seen), len(wantIDs))
	}
	// Per dossier, changes arrive in the order they were recorded.
	last := map[string]time.Time{}
	for _, ch := range order {
		if ch.At.Before(last[ch.DossierID]) {
			t.Fatalf("change %s of %s out of order", ch.ID, ch.DossierID)
		}
		last[ch.DossierID] = ch.At
	}
	if resp := a.pull(cursor, 100); len(resp.Changes) != 0 || resp.More || resp.Cursor != cursor {
		t.Fatalf("pull at the end: %d changes, more %v, cursor %q→%q", len(resp.Changes), resp.More, cursor, resp.Cursor)
	}
	// A cursor from another hub epoch (database restored) starts over
	// rather than skipping anything.
	resp := a.pull("0123456789abcdef.35", 1000)
	if len(resp.Changes) != len(wantIDs) {
		t.Fatalf("foreign-epoch cursor returned %d changes, want all %d", len(resp.Changes), len(wantIDs))
	}
	if ans := a.do(http.MethodGet, "/v1/changes?since=garbage", nil, nil); ans.status != http.StatusBadRequest {
		t.Fatalf("garbage cursor: %d", ans.status)
	}
}

func TestRecordChange(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	d := dossier(communeA)
	c.push(wire.PushRequest{Dossiers: []wire.Dossier{d}})
	ctx := context.Background()
	newDue := time.Date(2026, 3, 9, 16, 30, 0, 0, ict)
	in := ChangeInput{
		ID: newID(), DossierID: d.ID, Kind: wire.ChangeStatus, Action: "start_processing", To: "processing",
		NationalStatus: wire.StatusProcessing, Actor: "s-01", ActorName: "Lê Thu Hà", DueAt: &newDue,
		Agency: &wire.Agency{Code: "000.00.12.H56", Name: "Sở Tư pháp"}, ExpectState: "received",
	}
	first, err := e.srv.RecordChange(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if first.From != "received" || first.DossierCode != d.Code || first.PrevDueAt == nil || !first.PrevDueAt.Equal(*d.DueAt) ||
		!first.DueAt.Equal(newDue) {
		t.Fatalf("change: %+v", first)
	}
	// Double submit: the same record, not a second change.
	again, err := e.srv.RecordChange(ctx, in)
	if err != nil || again.ID != first.ID || !again.At.Equal(first.At) {
		t.Fatalf("double submit: %+v %v", again, err)
	}
	if n := e.count("changes"); n != 1 {
		t.Fatalf("%d changes, want 1", n)
	}
	stale := in
	stale.ID = ""
	if _, err := e.srv.RecordChange(ctx, stale); !errors.Is(err, ErrConflict) {
		t.Fatalf("change on a moved dossier: %v", err)
	}
	for name, bad := range map[string]ChangeInput{
		"no actor":        {DossierID: d.ID, Kind: wire.ChangeNote, Note: "x"},
		"bad kind":        {DossierID: d.ID, Kind: "oops", Actor: "s"},
		"status without":  {DossierID: d.ID, Kind: wire.ChangeStatus, Actor: "s"},
		"result no paper": {DossierID: d.ID, Kind: wire.ChangeResult, Action: "record_result", To: "result_ready", NationalStatus: 9, Actor: "s"},
		"missing paper": {DossierID: d.ID, Kind: wire.ChangeResult, Action: "record_result", To: "result_ready", NationalStatus: 9, Actor: "s",
			Results: []wire.ResultPaper{{Name: "GKS", Blob: wire.BlobRef{SHA256: wire.SumHex([]byte("none")), Size: 4}}}},
	} {
		if _, err := e.srv.RecordChange(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := e.srv.RecordChange(ctx, ChangeInput{DossierID: newID(), Kind: wire.ChangeNote, Actor: "s", Note: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown dossier: %v", err)
	}
	// Through the admin API as well.
	r, _ := http.NewRequest(http.MethodPost, e.http.URL+"/admin/v1/dossiers/"+d.ID+"/changes",
		strings.NewReader(`{"kind":"note","actor":"s-02","note":"Đã gọi điện cho công dân"}`))
	r.Header.Set("Authorization", "Bearer "+adminToken)
	if ans := send(t, r); ans.status != http.StatusOK || !strings.Contains(string(ans.body), "Đã gọi điện") {
		t.Fatalf("admin change: %d %s", ans.status, ans.body)
	}
	if got := c.pull("", 10); len(got.Changes) != 2 || got.Changes[0].ID != first.ID || got.Changes[1].Kind != wire.ChangeNote {
		t.Fatalf("pull: %+v", got.Changes)
	}
}
