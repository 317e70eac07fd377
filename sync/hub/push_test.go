package hub

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"motcua/sync/wire"
)

func outcomes(rs []wire.ItemResult) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Outcome
	}
	return out
}

func equalStrings(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// TestPushSameBatchTwice is the response-lost case: the hub stored the
// batch, the answer never reached the commune, the outbox sends it again.
func TestPushSameBatchTwice(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	scan1, scan2 := randomBytes(5000), randomBytes(7000)
	c.upload(scan1, 4096)
	c.upload(scan2, 4096)
	d1 := dossier(communeA, ref(scan1), ref(scan2))
	d2 := dossier(communeA)
	ev1 := event(d1, "assign", "received", "processing", wire.StatusProcessing)
	ev1.Assignee = "u-02"
	ev2 := event(d1, "apologize_extend", "processing", "processing", wire.StatusProcessing)
	newDue := time.Date(2026, 3, 6, 16, 30, 0, 0, ict)
	ev2.DueAt, ev2.PrevDueAt, ev2.Reason = &newDue, d1.DueAt, "Chờ xác minh"
	ev3 := event(d2, "refuse", "received", "refused", wire.StatusRefused)
	ev3.Reason = "Thiếu giấy chứng sinh"
	batch := wire.PushRequest{Dossiers: []wire.Dossier{d1, d2}, Events: []wire.Event{ev1, ev2, ev3}}

	first, a := c.push(batch)
	if a.status != http.StatusOK {
		t.Fatalf("first push: %d %s", a.status, a.body)
	}
	wantFirst := []string{"created", "created"}
	if !equalStrings(outcomes(first.Dossiers), wantFirst) || !equalStrings(outcomes(first.Events), []string{"created", "created", "created"}) {
		t.Fatalf("first push outcomes: %v %v", outcomes(first.Dossiers), outcomes(first.Events))
	}
	second, a := c.push(batch)
	if a.status != http.StatusOK {
		t.Fatalf("second push: %d %s", a.status, a.body)
	}
	for i, r := range append(append([]wire.ItemResult{}, second.Dossiers...), second.Events...) {
		f := append(append([]wire.ItemResult{}, first.Dossiers...), first.Events...)[i]
		if r.Outcome != wire.OutcomeDuplicate || !r.Accepted() || r.ID != f.ID || r.HubReceivedAt == nil ||
			!r.HubReceivedAt.Equal(*f.HubReceivedAt) {
			t.Errorf("replayed item %d: %+v, first answer %+v", i, r, f)
		}
	}
	for table, want := range map[string]int{"dossiers": 2, "events": 3, "blob_refs": 2, "blobs": 2} {
		if n := e.count(table); n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}
	// The events moved the hub's copy, in order, keeping both times.
	var (
		state    string
		national int
		due      time.Time
	)
	e.srv.DB().QueryRow(context.Background(), "SELECT state, national_status, due_at FROM dossiers WHERE id = $1", d1.ID).
		Scan(&state, &national, &due)
	if state != "processing" || national != wire.StatusProcessing || !due.Equal(newDue) {
		t.Fatalf("dossier after events: %s %d %s", state, national, due)
	}
	var deviceAt, hubAt time.Time
	e.srv.DB().QueryRow(context.Background(), "SELECT at, hub_received_at FROM events WHERE id = $1", ev1.ID).Scan(&deviceAt, &hubAt)
	if !deviceAt.Equal(ev1.At) || hubAt.Before(deviceAt) {
		t.Fatalf("event times: device %s hub %s", deviceAt, hubAt)
	}

	// Same ID, different content: a conflict for a person, the stored
	// record untouched.
	changed := d2
	changed.Applicant.Name = "Người khác"
	ev1b := ev1
	ev1b.Assignee = "u-99"
	third, _ := c.push(wire.PushRequest{Dossiers: []wire.Dossier{changed}, Events: []wire.Event{ev1b}})
	if r := third.Dossiers[0]; r.Outcome != wire.OutcomeConflict || r.Code != wire.CodeContentConflict || r.Status != 409 || r.Reason == "" {
		t.Fatalf("rewritten dossier: %+v", r)
	}
	if r := third.Events[0]; r.Outcome != wire.OutcomeConflict || r.Code != wire.CodeContentConflict {
		t.Fatalf("rewritten event: %+v", r)
	}
	var name string
	e.srv.DB().QueryRow(context.Background(), "SELECT record->'applicant'->>'name' FROM dossiers WHERE id = $1", d2.ID).Scan(&name)
	if name != d2.Applicant.Name {
		t.Fatalf("stored applicant became %q", name)
	}

	// Another dossier ID with a code already used.
	dup := dossier(communeA)
	dup.Code = d1.Code
	fourth, _ := c.push(wire.PushRequest{Dossiers: []wire.Dossier{dup}})
	if r := fourth.Dossiers[0]; r.Outcome != wire.OutcomeConflict || r.Code != wire.CodeDossierCodeUsed {
		t.Fatalf("reused dossier code: %+v", r)
	}
	if n := e.count("dossiers"); n != 2 {
		t.Fatalf("%d dossiers after conflicts, want 2", n)
	}
}

// TestConcurrentPushesOfOneDossier: the outbox's retry and a second sender
// (or two desks) race on the same dossier and event.
func TestConcurrentPushesOfOneDossier(t *testing.T) {
	e := newEnv(t)
	c1, c2 := e.enrol(communeA), e.enrol(communeA)
	d := dossier(communeA)
	ev := event(d, "start_processing", "received", "processing", wire.StatusProcessing)
	batch := wire.PushRequest{Dossiers: []wire.Dossier{d}, Events: []wire.Event{ev}}
	const n = 8
	results := make([]wire.PushResponse, n)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		c := c1
		if i%2 == 1 {
			c = c2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, a := c.push(batch)
			results[i], statuses[i] = resp, a.status
		}()
	}
	close(start)
	wg.Wait()
	created := map[string]int{}
	for i := range results {
		if statuses[i] != http.StatusOK {
			t.Fatalf("push %d: status %d", i, statuses[i])
		}
		for _, r := range append(results[i].Dossiers, results[i].Events...) {
			if !r.Accepted() {
				t.Fatalf("push %d: %+v", i, r)
			}
			if r.Outcome == wire.OutcomeCreated {
				created[r.ID]++
			}
		}
	}
	if created[d.ID] != 1 || created[ev.ID] != 1 {
		t.Fatalf("created counts %v, want exactly one creation each", created)
	}
	if e.count("dossiers") != 1 || e.count("events") != 1 {
		t.Fatalf("rows: %d dossiers, %d events", e.count("dossiers"), e.count("events"))
	}
}

func TestCrossCommuneWritesRefused(t *testing.T) {
	e := newEnv(t)
	a, b := e.enrol(communeA), e.enrol(communeB)
	scan := randomBytes(3000)
	a.upload(scan, 1024)
	mine := dossier(communeA, ref(scan))
	if resp, _ := a.push(wire.PushRequest{Dossiers: []wire.Dossier{mine}}); resp.Dossiers[0].Outcome != wire.OutcomeCreated {
		t.Fatalf("own dossier: %+v", resp.Dossiers[0])
	}
	// B claims a dossier of A, and acts on A's dossier.
	resp, ans := b.push(wire.PushRequest{
		Dossiers: []wire.Dossier{dossier(communeA)},
		Events:   []wire.Event{event(mine, "start_processing", "received", "processing", 4)},
	})
	if ans.status != http.StatusOK {
		t.Fatalf("push: %d %s", ans.status, ans.body)
	}
	for _, r := range append(resp.Dossiers, resp.Events...) {
		if r.Outcome != wire.OutcomeRejected || r.Code != wire.CodeWrongCommune || r.Status != http.StatusForbidden {
			t.Errorf("cross-commune item: %+v", r)
		}
	}
	if e.count("dossiers") != 1 || e.count("events") != 0 {
		t.Fatalf("cross-commune writes stored: %d dossiers, %d events", e.count("dossiers"), e.count("events"))
	}
	// Nor may B read A's scans.
	if ans := b.do(http.MethodGet, wire.BlobPath(wire.SumHex(scan)), nil, nil); ans.status != http.StatusNotFound {
		t.Fatalf("B downloads A's scan: %d", ans.status)
	}
	if ans := a.do(http.MethodGet, wire.BlobPath(wire.SumHex(scan)), nil, nil); ans.status != http.StatusOK || !bytes.Equal(ans.body, scan) {
		t.Fatalf("A downloads its scan: %d", ans.status)
	}
}

// TestFilesFirst: a record whose scans the hub lacks, or holds with
// another size, stores nothing.
func TestFilesFirst(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	have := randomBytes(2048)
	c.upload(have, 2048)
	lacking := randomBytes(4096)
	wrongSize := ref(have)
	wrongSize.Size++

	missing := dossier(communeA, ref(have), ref(lacking))
	mismatched := dossier(communeA, wrongSize)
	evMissing := event(dossier(communeA), "supplement_received", "awaiting_supplement", "received", 2)
	resp, a := c.push(wire.PushRequest{Dossiers: []wire.Dossier{missing, mismatched}})
	if a.status != http.StatusOK {
		t.Fatalf("push: %d %s", a.status, a.body)
	}
	if r := resp.Dossiers[0]; r.Outcome != wire.OutcomeRejected || r.Code != wire.CodeBlobMissing || r.Status != 422 ||
		len(r.Missing) != 1 || r.Missing[0] != wire.SumHex(lacking) {
		t.Fatalf("missing blob: %+v", r)
	}
	if r := resp.Dossiers[1]; r.Code != wire.CodeBlobMismatch || len(r.Missing) != 1 {
		t.Fatalf("size mismatch: %+v", r)
	}
	evMissing.Components = []wire.Component{{Name: "Bổ sung", Digitised: true, Blobs: []wire.BlobRef{ref(lacking)}}}
	resp, _ = c.push(wire.PushRequest{Events: []wire.Event{evMissing}})
	if r := resp.Events[0]; r.Code != wire.CodeBlobMissing {
		t.Fatalf("event with missing blob: %+v", r)
	}
	for _, table := range []string{"dossiers", "events", "blob_refs"} {
		if n := e.count(table); n != 0 {
			t.Errorf("%s has %d rows after refusals", table, n)
		}
	}
	// Once the file is there, the same record goes through.
	c.upload(lacking, 1000)
	resp, _ = c.push(wire.PushRequest{Dossiers: []wire.Dossier{missing}})
	if r := resp.Dossiers[0]; r.Outcome != wire.OutcomeCreated {
		t.Fatalf("after upload: %+v", r)
	}
}

// TestBadInputIsRefusedAndHarmless sends everything a broken or hostile
// client might, checks each gets its clear 4xx, nothing is stored, and the
// hub goes on serving a good request.
func TestBadInputIsRefusedAndHarmless(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	good, _ := json.Marshal(wire.PushRequest{Dossiers: []wire.Dossier{dossier(communeA)}})
	withUnknown := strings.Replace(string(good), `"code":`, `"colour":"red","code":`, 1)
	tooMany := wire.PushRequest{}
	for i := 0; i <= wire.MaxPushItems; i++ {
		tooMany.Events = append(tooMany.Events, wire.Event{ID: newID()})
	}
	manyBody, _ := json.Marshal(tooMany)
	twice := wire.PushRequest{Dossiers: []wire.Dossier{dossier(communeA)}}
	twice.Dossiers = append(twice.Dossiers, twice.Dossiers[0])
	twiceBody, _ := json.Marshal(twice)
	huge := append([]byte(`{"dossiers":[],"pad":"`), bytes.Repeat([]byte("x"), wire.MaxPushBytes)...)
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write([]byte(`{"dossiers":[{"id":"`))
	zw.Write(bytes.Repeat([]byte("0"), 3*wire.MaxPushBytes))
	zw.Write([]byte(`"}]}`))
	zw.Close()

	tests := []struct {
		name   string
		body   []byte
		hdr    map[string]string
		status int
		code   string
	}{
		{"malformed JSON", []byte(`{"dossiers":[{"id":`), jsonHdr(), 400, wire.CodeInvalidJSON},
		{"wrong type", []byte(`{"dossiers":{"id":1}}`), jsonHdr(), 400, wire.CodeInvalidJSON},
		{"unknown field", []byte(withUnknown), jsonHdr(), 400, wire.CodeUnknownField},
		{"two documents", append(append([]byte{}, good...), good...), jsonHdr(), 400, wire.CodeInvalidJSON},
		{"not JSON", []byte("hello"), map[string]string{"Content-Type": "text/plain"}, 415, wire.CodeUnsupportedMedia},
		{"oversize body", huge, jsonHdr(), 413, wire.CodeTooLarge},
		{"gzip bomb", bomb.Bytes(), map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, 413, wire.CodeTooLarge},
		{"broken gzip", []byte("not gzip"), map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, 400, wire.CodeInvalidJSON},
		{"too many items", manyBody, jsonHdr(), 413, wire.CodeTooLarge},
		{"same id twice", twiceBody, jsonHdr(), 400, wire.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := c.do(http.MethodPost, "/v1/push", tt.body, tt.hdr)
			if a.status != tt.status || a.err().Code != tt.code || a.err().Message == "" {
				t.Fatalf("got %d %.300s, want %d %s", a.status, a.body, tt.status, tt.code)
			}
		})
	}
	if n := e.count("dossiers"); n != 0 {
		t.Fatalf("bad input stored %d dossiers", n)
	}
	// Invalid records inside a good batch are per-item rejections.
	bad := dossier(communeA)
	bad.Status.National = 12
	resp, _ := c.push(wire.PushRequest{Dossiers: []wire.Dossier{bad}})
	if r := resp.Dossiers[0]; r.Outcome != wire.OutcomeRejected || r.Code != wire.CodeInvalidRecord || !strings.Contains(r.Reason, "status.national") {
		t.Fatalf("invalid record: %+v", r)
	}
	// Still serving, and a gzip-compressed good batch works.
	var zb bytes.Buffer
	zw = gzip.NewWriter(&zb)
	zw.Write(good)
	zw.Close()
	a := c.do(http.MethodPost, "/v1/push", zb.Bytes(), map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"})
	if a.status != http.StatusOK || !strings.Contains(string(a.body), `"created"`) {
		t.Fatalf("good gzip push after bad input: %d %s", a.status, a.body)
	}
	if n := e.count("dossiers"); n != 1 {
		t.Fatalf("%d dossiers, want 1", n)
	}
}

// TestNewerMinorVersionInteroperates: a commune app of protocol 1.x with a
// field this hub does not know is served (leniently), an older major is
// refused with a reason.
func TestNewerMinorVersionInteroperates(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	d := dossier(communeA)
	body, _ := json.Marshal(wire.PushRequest{Dossiers: []wire.Dossier{d}})
	body = []byte(strings.Replace(string(body), `"code":`, `"priority":"high","code":`, 1))
	newer := wire.Version{Major: wire.Current.Major, Minor: wire.Current.Minor + 1}.String()
	a := c.do(http.MethodPost, "/v1/push", body, map[string]string{"Content-Type": "application/json", wire.HeaderProtocol: newer})
	if a.status != http.StatusOK || !strings.Contains(string(a.body), `"created"`) {
		t.Fatalf("newer minor: %d %s", a.status, a.body)
	}
	a = c.do(http.MethodPost, "/v1/push", body, map[string]string{"Content-Type": "application/json", wire.HeaderProtocol: "0.3"})
	if a.status != http.StatusUpgradeRequired || a.err().Code != wire.CodeClientTooOld || !strings.Contains(a.err().Message, "cập nhật") {
		t.Fatalf("old major: %d %s", a.status, a.body)
	}
	if got := a.header.Get(wire.HeaderProtocol); got != wire.Current.String() {
		t.Fatalf("hub does not announce its version: %q", got)
	}
}

// awaitingSupplement pushes a dossier from c's commune, which the
// processing agency then sends back for a supplement on the hub.
func (e *env) awaitingSupplement(c *client) wire.Dossier {
	e.t.Helper()
	d := dossier(c.commune)
	c.push(wire.PushRequest{Dossiers: []wire.Dossier{d}})
	if _, err := e.srv.RecordChange(context.Background(), ChangeInput{
		DossierID: d.ID, Kind: wire.ChangeStatus, Action: "request_supplement", To: "awaiting_supplement",
		NationalStatus: wire.StatusSupplement, Actor: "s-01", SupplementItems: []string{"Giấy chứng sinh"},
	}); err != nil {
		e.t.Fatal(err)
	}
	return d
}

// TestEventStateConflict: the processing agency moved the dossier on the
// hub; a commune action based on the old state is a conflict with a
// reason, not silently applied.
func TestEventStateConflict(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	d := e.awaitingSupplement(c)
	stale := event(d, "start_processing", "received", "processing", wire.StatusProcessing)
	resp, _ := c.push(wire.PushRequest{Events: []wire.Event{stale}})
	r := resp.Events[0]
	if r.Outcome != wire.OutcomeConflict || r.Code != wire.CodeStateConflict || r.Status != 409 ||
		!strings.Contains(r.Reason, "awaiting_supplement") {
		t.Fatalf("stale event: %+v", r)
	}
	unknown := event(dossier(communeA), "start_processing", "received", "processing", 4)
	resp, _ = c.push(wire.PushRequest{Events: []wire.Event{unknown}})
	if r := resp.Events[0]; r.Outcome != wire.OutcomeRejected || r.Code != wire.CodeUnknownDossier {
		t.Fatalf("event of unknown dossier: %+v", r)
	}
	var commune int
	e.srv.DB().QueryRow(context.Background(), "SELECT count(*) FROM events WHERE origin = 'commune'").Scan(&commune)
	if commune != 0 {
		t.Fatalf("%d commune events stored", commune)
	}
}

// TestAttachScansInAnyState: scans finished after processing moved the
// dossier on the hub still join it; the state stays where the hub has it.
func TestAttachScansInAnyState(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	d := e.awaitingSupplement(c)
	pdf := randomBytes(3000)
	c.upload(pdf, 3000)
	scans := event(d, wire.ActionAttachScans, "received", "received", wire.StatusReceived)
	scans.Components = []wire.Component{{Name: "Tờ khai", Digitised: true, Blobs: []wire.BlobRef{ref(pdf)}}}
	resp, _ := c.push(wire.PushRequest{Events: []wire.Event{scans}})
	if r := resp.Events[0]; r.Outcome != wire.OutcomeCreated {
		t.Fatalf("attach scans: %+v", r)
	}
	var state string
	var hasScan bool
	e.srv.DB().QueryRow(context.Background(), "SELECT state, has_scan FROM dossiers WHERE id = $1", d.ID).Scan(&state, &hasScan)
	if state != "awaiting_supplement" || !hasScan {
		t.Fatalf("after attaching scans: state %q, has_scan %v", state, hasScan)
	}
	if n := e.count("blob_refs"); n != 1 {
		t.Fatalf("%d blob refs, want 1", n)
	}
	// A replay is a duplicate, not a second event.
	resp, _ = c.push(wire.PushRequest{Events: []wire.Event{scans}})
	if r := resp.Events[0]; r.Outcome != wire.OutcomeDuplicate {
		t.Fatalf("replay: %+v", r)
	}
}
