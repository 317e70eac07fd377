package hub

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"motcua/sync/wire"
)

func at(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, ict) }

func TestInbox(t *testing.T) {
	e := newEnv(t)
	prov := e.staffUser("canbo.tinh", RoleStaff) // the province: every commune
	ctx := context.Background()
	a, b := e.enrol(communeA), e.enrol(communeB)
	var ds []wire.Dossier
	// Appointments out of order, two on the same moment, one without.
	for _, day := range []int{9, 5, 7, 5, 0, 6} {
		d := dossier(communeA)
		if day == 0 {
			d.DueAt = nil
			d.Status = wire.Status{National: wire.StatusSupplement, State: "awaiting_supplement"}
		} else {
			due := at(day, 16)
			d.DueAt = &due
		}
		ds = append(ds, d)
	}
	done := dossier(communeA)
	done.Status = wire.Status{National: wire.StatusDone, State: "result_ready"}
	theirs := dossier(communeB)
	a.push(wire.PushRequest{Dossiers: append(ds, done)})
	b.push(wire.PushRequest{Dossiers: []wire.Dossier{theirs}})

	var seen []InboxRow
	after := ""
	for pages := 0; ; pages++ {
		pg, err := e.srv.Inbox(ctx, prov, InboxFilter{Commune: communeA, After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if pg.Total != len(ds) {
			t.Fatalf("total %d, want %d open dossiers of commune A", pg.Total, len(ds))
		}
		seen = append(seen, pg.Rows...)
		if pg.Next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		after = pg.Next
	}
	if len(seen) != len(ds) {
		t.Fatalf("paged through %d rows, want %d", len(seen), len(ds))
	}
	for i := 1; i < len(seen); i++ {
		p, q := seen[i-1], seen[i]
		switch {
		case p.DueAt == nil:
			t.Fatalf("row %d without an appointment before others", i-1)
		case q.DueAt != nil && (q.DueAt.Before(*p.DueAt) || q.DueAt.Equal(*p.DueAt) && q.ID < p.ID):
			t.Fatalf("rows %d and %d out of order: %v %s, %v %s", i-1, i, p.DueAt, p.ID, q.DueAt, q.ID)
		}
	}
	if last := seen[len(seen)-1]; last.DueAt != nil || last.State != "awaiting_supplement" {
		t.Fatalf("the dossier without an appointment is not last: %+v", last)
	}
	r := seen[0]
	if r.CommuneName != "UBND xã Quảng Hưng" || r.ProcedureName != "Đăng ký khai sinh" || r.ApplicantName != "Nguyễn Thị Hoà" ||
		r.State != "received" || r.HasScan || r.TakenBy != "" {
		t.Fatalf("row: %+v", r)
	}

	all, err := e.srv.Inbox(ctx, prov, InboxFilter{State: InboxAll})
	if err != nil || all.Total != len(ds)+2 || all.Next != "" {
		t.Fatalf("every state of every commune: %d %q %v", all.Total, all.Next, err)
	}
	one, err := e.srv.Inbox(ctx, prov, InboxFilter{State: "result_ready"})
	if err != nil || one.Total != 1 || one.Rows[0].ID != done.ID {
		t.Fatalf("result_ready: %+v %v", one, err)
	}
	other, err := e.srv.Inbox(ctx, prov, InboxFilter{Commune: communeB})
	if err != nil || other.Total != 1 || other.Rows[0].ID != theirs.ID || other.Rows[0].CommuneCode != communeB {
		t.Fatalf("commune B: %+v %v", other, err)
	}
	for _, bad := range []string{"garbage", "12.not-an-id", "x." + ds[0].ID} {
		if _, err := e.srv.Inbox(ctx, prov, InboxFilter{After: bad}); !errors.Is(err, ErrBadCursor) {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
	cs, err := e.srv.Communes(ctx, prov)
	if err != nil || len(cs) != 2 || cs[0].Code != communeA || cs[1].Code != communeB {
		t.Fatalf("communes: %+v %v", cs, err)
	}
}

// TestDossierView: the reception snapshot, the commune's events and the
// hub's changes as one timeline; the scans of the record and of later
// events, and the result papers, as its files; only referenced blobs open.
func TestDossierView(t *testing.T) {
	e := newEnv(t)
	prov := e.staffUser("canbo.tinh", RoleStaff) // the province: every commune
	ctx := context.Background()
	c := e.enrol(communeA)
	scan, later := pdf(1500), pdf(900)
	c.upload(scan, 1<<20)
	c.upload(later, 1<<20)
	d := dossier(communeA, ref(scan))
	sup := event(d, "handover", "received", "received", wire.StatusReceived)
	sup.Note = "Bổ sung bản quét"
	sup.Components = []wire.Component{{Name: "Giấy chứng sinh", Digitised: true, Blobs: []wire.BlobRef{ref(later)}}}
	if resp, _ := c.push(wire.PushRequest{Dossiers: []wire.Dossier{d}, Events: []wire.Event{sup}}); !resp.Events[0].Accepted() {
		t.Fatalf("push: %+v", resp)
	}
	st := e.staffUser("canbo", RoleStaff)
	note, err := e.srv.AddNote(ctx, StaffAction{ChangeID: newID(), DossierID: d.ID, ExpectState: "received", Staff: st}, "Đã gọi điện")
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.srv.Dossier(ctx, prov, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Code != d.Code || v.Record.Applicant.Name != "Nguyễn Thị Hoà" || v.CommuneName != "UBND xã Quảng Hưng" ||
		v.LegalDueAt == nil || !v.LegalDueAt.Equal(*d.DueAt) {
		t.Fatalf("view: %+v", v)
	}
	if len(v.Timeline) != 2 || v.Timeline[0].Origin != "commune" || v.Timeline[0].Note != "Bổ sung bản quét" ||
		v.Timeline[1].Origin != "hub" || v.Timeline[1].ID != note.ID || v.Timeline[1].AgencyName != "UBND tỉnh Thanh Hóa" {
		t.Fatalf("timeline: %+v", v.Timeline)
	}
	if len(v.Files) != 2 || v.Files[0].SHA256 != wire.SumHex(scan) || v.Files[0].Component != "Tờ khai" ||
		v.Files[1].SHA256 != wire.SumHex(later) || v.Files[1].Component != "Giấy chứng sinh" || v.Files[1].Result {
		t.Fatalf("files: %+v", v.Files)
	}
	f, size, err := e.srv.OpenDossierBlob(ctx, prov, wire.SumHex(later))
	if err != nil || size != int64(len(later)) {
		t.Fatalf("open a scan: %v", err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if string(got) != string(later) {
		t.Fatal("scan bytes differ")
	}
	// A blob no dossier references (an upload that never became a record)
	// is not staff's to read, nor is garbage.
	stray := pdf(100)
	c.upload(stray, 1<<20)
	for _, sum := range []string{wire.SumHex(stray), "../../etc/passwd", wire.SumHex([]byte("none"))} {
		if _, _, err := e.srv.OpenDossierBlob(ctx, prov, sum); !errors.Is(err, ErrNotFound) {
			t.Errorf("blob %q: %v", sum, err)
		}
	}
	if _, err := e.srv.Dossier(ctx, prov, newID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown dossier: %v", err)
	}
}

// TestIndicators checks the per-commune numbers against a hand count.
func TestIndicators(t *testing.T) {
	e := newEnv(t)
	prov := e.staffUser("canbo.tinh", RoleStaff) // the province: every commune
	ctx := context.Background()
	if err := e.srv.UpsertAgency(ctx, Agency{Code: "000.19.22.H56", Name: "UBND xã Quảng Vinh", Kind: "commune", Level: 2, ParentCode: "H56"}); err != nil {
		t.Fatal(err)
	}
	a, b := e.enrol(communeA), e.enrol(communeB)
	scan1, scan2, scan3 := pdf(100), pdf(200), pdf(300)
	for _, s := range [][]byte{scan1, scan2, scan3} {
		a.upload(s, 1<<20)
	}
	withDue := func(day int, scans ...wire.BlobRef) wire.Dossier {
		d := dossier(communeA, scans...)
		due := at(day, 16)
		d.DueAt = &due
		return d
	}
	onTime, late := withDue(4, ref(scan1)), withDue(4)
	open, overdue := withDue(10, ref(scan2)), withDue(4)
	refused := withDue(4)
	refused.Status = wire.Status{National: wire.StatusRefused, State: "refused"}
	waiting := dossier(communeA)
	waiting.DueAt = nil
	waiting.Status = wire.Status{National: wire.StatusSupplement, State: "awaiting_supplement"}
	apology := withDue(4)
	outside := withDue(4) // received before the period
	outside.ReceivedAt = time.Date(2026, 2, 20, 8, 0, 0, 0, ict)

	r1 := event(onTime, "record_result", "received", "result_ready", wire.StatusDone)
	r1.At = at(3, 10)
	r2 := event(late, "record_result", "received", "result_ready", wire.StatusDone)
	r2.At = at(5, 10)
	p := event(overdue, "start_processing", "received", "processing", wire.StatusProcessing)
	// The supplement arrives with a scan and a new appointment.
	s := event(waiting, "supplement_received", "awaiting_supplement", "received", wire.StatusReceived)
	s.SupplementItems = []string{"Giấy chứng sinh"}
	newDue := at(12, 16)
	s.DueAt = &newDue
	s.Components = []wire.Component{{Name: "Giấy chứng sinh", Digitised: true, Blobs: []wire.BlobRef{ref(scan3)}}}
	// An apology moves the appointment but not the legal deadline.
	ap := event(apology, "apologize_extend", "received", "received", wire.StatusReceived)
	ap.Reason = "Chờ xác minh"
	prev, next := at(4, 16), at(9, 16)
	ap.PrevDueAt, ap.DueAt = &prev, &next
	resp, _ := a.push(wire.PushRequest{
		Dossiers: []wire.Dossier{onTime, late, open, overdue, refused, waiting, apology, outside},
		Events:   []wire.Event{r1, r2, p, s, ap},
	})
	for i, r := range append(resp.Dossiers, resp.Events...) {
		if !r.Accepted() {
			t.Fatalf("item %d: %+v", i, r)
		}
	}
	b.push(wire.PushRequest{Dossiers: []wire.Dossier{dossier(communeB)}})

	e.srv.cfg.Now = func() time.Time { return at(6, 10) }
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, ict), time.Date(2026, 4, 1, 0, 0, 0, 0, ict)
	rows, err := e.srv.Indicators(ctx, prov, &from, &to)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Code != communeA || rows[1].Code != communeB || rows[2].Code != "000.19.22.H56" {
		t.Fatalf("rows: %+v", rows)
	}
	got := rows[0]
	got.LastSeen = nil
	want := CommuneIndicators{
		Code: communeA, Name: "UBND xã Quảng Hưng",
		Received: 6, WithDeadline: 6, Completed: 2, CompletedOnTime: 1,
		OpenInTime: 2, // open (10th) and waiting (supplement: 12th)
		Overdue:    2, // overdue, and the apology measured against the 4th
		Digitised:  3, Devices: 1,
	}
	if got != want {
		t.Fatalf("commune A:\n got %+v\nwant %+v", got, want)
	}
	if r, ok := rows[0].OnTimeRate(); !ok || r != 0.5 {
		t.Fatalf("on-time rate %v %v, want 0.5", r, ok)
	}
	if r, ok := rows[0].DigitisedRate(); !ok || r != 0.5 {
		t.Fatalf("digitised rate %v %v, want 0.5", r, ok)
	}
	if rows[0].LastSeen == nil || rows[1].LastSeen == nil || time.Since(*rows[0].LastSeen) > time.Minute {
		t.Fatalf("sync freshness: %v %v", rows[0].LastSeen, rows[1].LastSeen)
	}
	if q := rows[2]; q.Received != 0 || q.Devices != 0 || q.LastSeen != nil {
		t.Fatalf("a commune without devices: %+v", q)
	}
	if _, ok := rows[2].OnTimeRate(); ok {
		t.Fatal("an on-time rate without dossiers")
	}
	// Unbounded: the dossier received in February counts too.
	all, err := e.srv.Indicators(ctx, prov, nil, nil)
	if err != nil || all[0].Received != 7 {
		t.Fatalf("unbounded: %+v %v", all[0], err)
	}
}
