package syncing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"motcua/app/dossier"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/sync/client/faultproxy"
	"motcua/sync/hub"
	"motcua/sync/outbox"
	"motcua/sync/wire"
)

func TestDeskKeepsWorkingWhileTheHubIsDownThenEverythingArrivesOnce(t *testing.T) {
	e := newHubEnv(t)
	d := newDesk(t, commune)
	d.enrol(e)
	d.sync.Start(d.rec)
	e.stopHub()

	start := time.Now()
	var ids []string
	for i := 0; i < 20; i++ {
		dos := d.receive()
		ids = append(ids, dos.ID)
		if i%4 == 0 {
			if _, err := d.act(dos.ID, reception.ActionInput{Action: dossier.ActionStartProcessing}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The desk does not wait for the hub: 25 writes with fsync, no network.
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("20 receptions took %v with the hub down", took)
	}
	waitFor(t, 5*time.Second, "the desk to notice the hub is down", func() bool {
		st := d.status()
		return st.CheckedAt != nil && !st.Online && st.Problem == CodeUnreachable
	})
	if st := d.status(); st.Outbox.Unsynced() != 25 || st.LastPushAt != nil {
		t.Fatalf("while down: %+v", st.Outbox)
	}

	e.startHub()
	// The sender records the push time just after the items leave the
	// outbox; wait for both.
	waitFor(t, 20*time.Second, "the outbox to empty", func() bool {
		st := d.status()
		return st.Outbox.Unsynced() == 0 && st.LastPushAt != nil
	})
	st := d.status()
	if !st.Online || st.LastPushAt == nil || st.Problem != "" {
		t.Fatalf("after sync: %+v", st)
	}
	if n := e.count("SELECT count(*) FROM dossiers WHERE id = ANY($1)", ids); n != 20 {
		t.Fatalf("%d of 20 dossiers on the hub", n)
	}
	if n := e.count("SELECT count(*) FROM dossiers"); n != 20 {
		t.Fatalf("%d dossiers on the hub, want exactly 20", n)
	}
	if n := e.count("SELECT count(*) FROM events WHERE origin = 'commune'"); n != 5 {
		t.Fatalf("%d commune events on the hub, want 5", n)
	}
	if n := e.count("SELECT count(*) FROM dossiers WHERE state = 'processing'"); n != 5 {
		t.Fatalf("%d dossiers processing on the hub, want 5", n)
	}
	page, err := d.sync.Outbox().List(outbox.ListQuery{All: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range page.Items {
		if it.State != outbox.StateSynced || it.HubReceivedAt == nil || it.BytesLeft() != 0 {
			t.Fatalf("item %s: %+v", it.ID(), it)
		}
	}
}

func TestLostResponsesAndCutConnectionsLoseAndDuplicateNothing(t *testing.T) {
	e := newHubEnv(t)
	d := newDesk(t, commune, func(c *Config) { c.Batch = outbox.Limits{Items: 4} })
	d.enrol(e)
	e.proxy.SetFaults(faultproxy.Faults{DropResponse: 0.3, CutAfter: 3 << 10})
	d.sync.Start(d.rec)

	var ids []string
	for i := 0; i < 30; i++ {
		dos := d.receive()
		ids = append(ids, dos.ID)
		if i%3 == 0 {
			for _, a := range []dossier.Action{dossier.ActionStartProcessing, dossier.ActionRecordResult} {
				if _, err := d.act(dos.ID, reception.ActionInput{Action: a}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// The hub is killed and restarted while the desk is mid-way.
	waitFor(t, 20*time.Second, "part of the outbox to sync", func() bool { return d.status().Outbox.Unsynced() < 35 })
	e.stopHub()
	time.Sleep(100 * time.Millisecond)
	e.startHub()
	waitFor(t, 40*time.Second, "the outbox to empty through the faults", func() bool { return d.status().Outbox.Unsynced() == 0 })
	ps := e.proxy.Stats()
	if ps.Drops == 0 || ps.Cuts == 0 {
		t.Fatalf("faults not exercised: %+v", ps)
	}
	if n := e.count("SELECT count(*) FROM dossiers"); n != 30 {
		t.Fatalf("%d dossiers on the hub, want 30", n)
	}
	if n := e.count("SELECT count(*) FROM dossiers WHERE id = ANY($1)", ids); n != 30 {
		t.Fatalf("%d of the desk's 30 dossiers on the hub", n)
	}
	if n := e.count("SELECT count(*) FROM events WHERE origin = 'commune'"); n != 20 {
		t.Fatalf("%d commune events on the hub, want 20", n)
	}
	if n := e.count("SELECT count(*) FROM dossiers WHERE state = 'result_ready'"); n != 10 {
		t.Fatalf("%d dossiers with results on the hub, want 10", n)
	}
	t.Logf("proxy: %+v", ps)
}

func TestHubChangesArriveOnceAndMisfitsGoToAPerson(t *testing.T) {
	e := newHubEnv(t)
	// Long poll: cycles happen only when the test causes them.
	d := newDesk(t, commune, func(c *Config) { c.PollInterval = time.Hour })
	d.enrol(e)
	d.sync.Start(d.rec)
	d1, d2 := d.receive(), d.receive()
	waitFor(t, 10*time.Second, "the receptions to sync", func() bool { return d.status().Outbox.Unsynced() == 0 })
	ctx := context.Background()

	start, err := e.srv.RecordChange(ctx, hub.ChangeInput{DossierID: d1.ID, Kind: wire.ChangeStatus, Action: "start_processing",
		To: "processing", NationalStatus: wire.StatusProcessing, Actor: "staff-7", ActorName: "Lê Thị Mai",
		Agency: &wire.Agency{Code: "H56.01", Name: "Phòng Tư pháp"}})
	if err != nil {
		t.Fatal(err)
	}
	paper, err := e.srv.PutBlob(ctx, strings.NewReader("%PDF-1.7 giấy khai sinh"), "application/pdf", "giay-khai-sinh.pdf")
	if err != nil {
		t.Fatal(err)
	}
	result, err := e.srv.RecordChange(ctx, hub.ChangeInput{DossierID: d1.ID, Kind: wire.ChangeResult, Action: "record_result",
		To: "result_ready", NationalStatus: wire.StatusDone, Actor: "staff-7",
		Results: []wire.ResultPaper{{Name: "Giấy khai sinh bản chính", Blob: paper}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.RecordChange(ctx, hub.ChangeInput{DossierID: d1.ID, Kind: wire.ChangeNote, Actor: "staff-7",
		Note: "Đã ký, chờ đóng dấu."}); err != nil {
		t.Fatal(err)
	}
	// The agency records a result for d2 while, at the desk, the applicant
	// withdraws it: both sides acted on "received".
	if _, err := e.srv.RecordChange(ctx, hub.ChangeInput{DossierID: d2.ID, Kind: wire.ChangeStatus, Action: "record_result",
		To: "result_ready", NationalStatus: wire.StatusDone, Actor: "staff-7"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.act(d2.ID, reception.ActionInput{Action: dossier.ActionApplicantWithdraw, Reason: "Công dân xin rút"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the changes to arrive", func() bool {
		got, _, err := d.rec.Get(ctx, d1.ID)
		return err == nil && got.State == dossier.StateResultReady && d.status().Conflicts == 1
	})
	pulled := *d.status().LastPullAt
	// Pull again: nothing may be applied twice.
	d.sync.SyncNow()
	waitFor(t, 10*time.Second, "a second pull", func() bool {
		st := d.status()
		return st.LastPullAt != nil && st.LastPullAt.After(pulled) && !st.Syncing
	})

	got, evs, err := d.rec.Get(ctx, d1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ResultDocs) != 1 || got.ResultDocs[0] != "Giấy khai sinh bản chính" {
		t.Fatalf("result docs %v", got.ResultDocs)
	}
	seen := map[string]int{}
	for _, ev := range evs {
		seen[ev.ID]++
	}
	if seen[start.ID] != 1 || seen[result.ID] != 1 || len(evs) != 3 {
		t.Fatalf("events %+v", evs)
	}
	if ev := evs[1]; ev.Actor != "hub:staff-7" || ev.From != dossier.StateReceived || ev.To != dossier.StateProcessing ||
		!strings.Contains(ev.ActorName, "Phòng Tư pháp") {
		t.Fatalf("hub event %+v", ev)
	}
	notes, err := d.sync.Notes(ctx, d1.ID)
	if err != nil || len(notes) != 1 || notes[0].Note != "Đã ký, chờ đóng dấu." {
		t.Fatalf("notes %+v %v", notes, err)
	}

	// d2: nothing silently dropped on either side.
	local, _, _ := d.rec.Get(ctx, d2.ID)
	if local.State != dossier.StateWithdrawn {
		t.Fatalf("d2 moved to %s by a change that did not fit", local.State)
	}
	conflicts, err := d.sync.Conflicts(ctx)
	if err != nil || len(conflicts) != 1 || conflicts[0].DossierID != d2.ID || conflicts[0].LocalState != dossier.StateWithdrawn ||
		conflicts[0].Problem != reception.HubProblemTransition {
		t.Fatalf("conflicts %+v %v", conflicts, err)
	}
	page, _ := d.sync.Outbox().List(outbox.ListQuery{})
	if len(page.Items) != 1 || page.Items[0].State != outbox.StateParked || page.Items[0].Code != wire.CodeStateConflict ||
		!strings.Contains(page.Items[0].Reason, "result_ready") {
		t.Fatalf("the desk's withdrawal on the hub: %+v", page.Items)
	}
}

func TestRevokedDeviceParksItemsWithTheHubsReasonUntilEnrolledAgain(t *testing.T) {
	e := newHubEnv(t)
	d := newDesk(t, commune)
	en := d.enrol(e)
	if err := e.srv.RevokeDevice(context.Background(), en.DeviceID, "Máy bị mất"); err != nil {
		t.Fatal(err)
	}
	d.sync.Start(d.rec)
	dos := d.receive()
	waitFor(t, 10*time.Second, "the item to be parked", func() bool { return d.status().Outbox.Parked == 1 })
	it, err := d.sync.Outbox().Get(dos.ID + ".1")
	if err != nil {
		t.Fatal(err)
	}
	if it.Code != wire.CodeDeviceRevoked || !strings.Contains(it.Reason, "thu hồi") {
		t.Fatalf("parked item %+v", it)
	}
	st := d.status()
	if !st.Blocked || st.Problem != wire.CodeDeviceRevoked || !strings.Contains(st.ProblemMessage, "thu hồi") {
		t.Fatalf("status %+v", st)
	}
	if n := e.count("SELECT count(*) FROM dossiers"); n != 0 {
		t.Fatalf("a revoked device stored %d dossiers", n)
	}

	// A new code from the hub admin: the same desk, a new key, and the
	// parked item goes by itself.
	en2 := d.enrol(e)
	if en2.DeviceID == en.DeviceID {
		t.Fatal("re-enrolment kept the revoked device")
	}
	waitFor(t, 10*time.Second, "the item to sync after re-enrolment", func() bool { return d.status().Outbox.Unsynced() == 0 })
	if n := e.count("SELECT count(*) FROM dossiers WHERE id = $1 AND device_id = $2", dos.ID, en2.DeviceID); n != 1 {
		t.Fatalf("dossier not stored by the new device")
	}
}

// memBlobs is a BlobSource over bytes in memory.
type memBlobs struct {
	mu sync.Mutex
	m  map[string][]byte
}

type nopCloserAt struct{ *bytes.Reader }

func (nopCloserAt) Close() error { return nil }

func (b *memBlobs) OpenBlob(_ context.Context, sum string) (BlobReader, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data, ok := b.m[sum]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return nopCloserAt{bytes.NewReader(data)}, nil
}

func TestBlobsGoBeforeTheirRecordAndAMissingFileParksOnlyItsDossier(t *testing.T) {
	e := newHubEnv(t)
	scan := bytes.Repeat([]byte("quét hồ sơ "), 30000) // ~330 KB: several chunks
	blobs := &memBlobs{m: map[string][]byte{wire.SumHex(scan): scan}}
	d := newDesk(t, commune, func(c *Config) { c.Blobs = blobs })
	d.enrol(e)
	e.proxy.SetFaults(faultproxy.Faults{CutAfter: 150 << 10})

	withScan := sampleWireDossier(wire.BlobRef{SHA256: wire.SumHex(scan), Size: int64(len(scan)), MediaType: "application/pdf"})
	lost := []byte("this file was deleted from the desk")
	withLost := sampleWireDossier(wire.BlobRef{SHA256: wire.SumHex(lost), Size: int64(len(lost)), MediaType: "application/pdf"})
	plain := sampleWireDossier()
	lostEvent := wire.Event{ID: uuid.Must(uuid.NewV7()).String(), DossierID: withLost.ID, Action: "start_processing",
		From: "received", To: "processing", NationalStatus: 4, At: time.Now(), Actor: "u1"}
	err := d.st.Update(func(x *store.Txn) error {
		for _, doc := range []struct {
			dossierID string
			kind      outbox.Kind
			v         any
			blobs     []wire.BlobRef
		}{
			{withScan.ID, outbox.KindDossier, withScan, withScan.Blobs()},
			{withLost.ID, outbox.KindDossier, withLost, withLost.Blobs()},
			{withLost.ID, outbox.KindEvent, lostEvent, nil},
			{plain.ID, outbox.KindDossier, plain, nil},
		} {
			b, _ := json.Marshal(doc.v)
			if _, err := outbox.Enqueue(x, outbox.Item{DossierID: doc.dossierID, Kind: doc.kind, RecordID: doc.dossierID,
				Payload: b, Blobs: doc.blobs}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d.sync.Start(d.rec)
	waitFor(t, 15*time.Second, "the sendable items to sync", func() bool {
		c := d.status().Outbox
		return c.Unsynced() == 2 && c.Parked == 1
	})
	if n := e.count("SELECT count(*) FROM blob_refs WHERE sha256 = $1 AND dossier_id = $2", wire.SumHex(scan), withScan.ID); n != 1 {
		t.Fatal("the scan is not attached to its dossier on the hub")
	}
	f, err := e.blobs.Open(context.Background(), wire.SumHex(scan))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	parked, _ := d.sync.Outbox().Get(withLost.ID + ".1")
	behind, _ := d.sync.Outbox().Get(withLost.ID + ".2")
	if parked.State != outbox.StateParked || parked.Code != CodeBlobUnavailable {
		t.Fatalf("record with a lost file: %+v", parked)
	}
	if behind.State != outbox.StatePending || behind.Attempts != 0 {
		t.Fatalf("its event must wait untried: %+v", behind)
	}
	if n := e.count("SELECT count(*) FROM dossiers WHERE id = ANY($1)", []string{withScan.ID, plain.ID}); n != 2 {
		t.Fatalf("%d of the 2 sendable dossiers on the hub", n)
	}
}

func sampleWireDossier(scans ...wire.BlobRef) wire.Dossier {
	comps := []wire.Component{{Name: "Tờ khai"}}
	for _, s := range scans {
		comps = append(comps, wire.Component{Name: "Bản quét", Digitised: true, Blobs: []wire.BlobRef{s}})
	}
	id := uuid.Must(uuid.NewV7()).String()
	return wire.Dossier{
		ID: id, Code: commune + "-260302-" + id[len(id)-6:], CommuneCode: commune,
		Procedure:  wire.Procedure{Code: "1.001193", Name: "Đăng ký khai sinh"},
		Applicant:  wire.Applicant{Name: "Nguyễn Thị Hoà", Kind: wire.ApplicantPerson},
		Channel:    wire.ChannelInPerson,
		ReceivedAt: time.Now(),
		Status:     wire.Status{National: wire.StatusReceived, State: "received"},
		ReceivedBy: "u1",
		Components: comps,
	}
}

func TestEnrolmentFailuresAreNamed(t *testing.T) {
	e := newHubEnv(t)
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>Wi-Fi login</html>"))
	}))
	defer portal.Close()
	tooOld := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUpgradeRequired)
		w.Write([]byte(`{"error":{"code":"client_too_old","message":"Cần cập nhật phần mềm tại xã.","min_protocol":"2.0","max_protocol":"2.1"}}`))
	}))
	defer tooOld.Close()
	down, _ := faultproxy.Start("", faultproxy.Faults{}, 1)
	defer down.Close()

	for _, tc := range []struct {
		name, url, code, agency string
		want                    error
	}{
		{"wrong code", e.proxy.URL(), "ABCD-EFGH-JKMN", commune, ErrEnrolCode},
		{"hub down", down.URL(), "ABCD-EFGH-JKMN", commune, ErrHubUnreachable},
		{"captive portal", portal.URL, "ABCD-EFGH-JKMN", commune, ErrNotHub},
		{"protocol too old", tooOld.URL, "ABCD-EFGH-JKMN", commune, ErrProtocol},
		{"code of another commune", e.proxy.URL(), e.code("000.18.22.H56"), commune, ErrCommuneMismatch},
		{"not a URL", "hub.tinh", "ABCD", commune, ErrInvalidURL},
		{"settings incomplete", e.proxy.URL(), e.code(commune), "", ErrNotConfigured},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDesk(t, tc.agency)
			_, err := d.sync.Enrol(context.Background(), tc.url, tc.code)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if st := d.status(); st.Enrolled {
				t.Fatalf("enrolled after %v", err)
			}
		})
	}
}

func TestEveryDeskChangeIsQueuedInItsOwnTransactionOnce(t *testing.T) {
	d := newDesk(t, commune) // never enrolled: the desk queues all the same
	ctx := context.Background()
	in := reception.Reception{RequestID: uuid.NewString(), ProcedureCode: "2.000815",
		Applicant:  reception.ApplicantInput{Kind: dossier.ApplicantPerson, Name: "Phạm Văn Đức", IDNumber: "001190012345"},
		Components: []reception.Component{{Name: "Tờ khai", Originals: 1}}, Outcome: reception.OutcomeComplete}
	dos, _, err := d.rec.Receive(ctx, in, clerk)
	if err != nil {
		t.Fatal(err)
	}
	if _, dup, err := d.rec.Receive(ctx, in, clerk); err != nil || !dup {
		t.Fatalf("double submit: dup=%v %v", dup, err)
	}
	const reqID = "req-desk-0001" // not a UUID: the wire ID is derived from it
	if _, err := d.act(dos.ID, reception.ActionInput{RequestID: reqID, Action: dossier.ActionStartProcessing}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.act(dos.ID, reception.ActionInput{RequestID: reqID, Action: dossier.ActionStartProcessing}); err != nil {
		t.Fatalf("replayed action: %v", err)
	}
	// Refused by the state machine: nothing is written, nothing queued.
	if _, err := d.act(dos.ID, reception.ActionInput{Action: dossier.ActionReturnResult}); err == nil {
		t.Fatal("return_result from processing accepted")
	}
	page, err := d.sync.Outbox().List(outbox.ListQuery{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 {
		t.Fatalf("%d outbox items, want the reception and one action", len(page.Items))
	}
	items := map[outbox.Kind]outbox.Item{}
	for _, it := range page.Items {
		items[it.Kind] = it
	}
	rec, ev := items[outbox.KindDossier], items[outbox.KindEvent]
	if rec.Seq != 1 || ev.Seq != 2 || rec.DossierCode != dos.Code || ev.Action != string(dossier.ActionStartProcessing) {
		t.Fatalf("items %+v / %+v", rec, ev)
	}
	var wd wire.Dossier
	if err := json.Unmarshal(rec.Payload, &wd); err != nil || wd.Validate() != nil {
		t.Fatalf("dossier payload: %v %v", err, wd.Validate())
	}
	if wd.ID != dos.ID || wd.CommuneCode != commune || wd.Status.State != "received" || wd.Status.National != wire.StatusReceived ||
		wd.DueAt == nil || !wd.DueAt.Equal(*dos.DueAt) || wd.Applicant.Name != "Phạm Văn Đức" {
		t.Fatalf("dossier payload %+v", wd)
	}
	var we wire.Event
	if err := json.Unmarshal(ev.Payload, &we); err != nil || we.Validate() != nil {
		t.Fatalf("event payload: %v %v", err, we.Validate())
	}
	if we.ID != wireEventID(dos.ID, reqID) || we.ID == reqID || !wire.ValidID(we.ID) || we.From != "received" || we.To != "processing" ||
		we.NationalStatus != wire.StatusProcessing || ev.RecordID != we.ID {
		t.Fatalf("event payload %+v", we)
	}
	if st := d.status(); st.Enrolled || st.Outbox.Pending != 2 {
		t.Fatalf("status %+v", st)
	}
}
