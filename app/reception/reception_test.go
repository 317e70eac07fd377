package reception

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"motcua/app/audit"
	"motcua/app/dossier"
	"motcua/app/office"
	"motcua/app/store"
)

var ict = time.FixedZone("ICT", 7*3600)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, ict)
	if err != nil {
		panic(err)
	}
	return t
}

type fixture struct {
	st  *store.Store
	svc *Service
	clk *clock
	dir string
}

func newFixture(t *testing.T, start string) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	off := office.NewService(st)
	s := office.Defaults()
	s.ParentAgency, s.UnitName, s.CommuneName, s.AgencyCode = "UBND xã An Bình", "Trung tâm Phục vụ hành chính công xã An Bình", "An Bình", "000.00.06.H56"
	if _, err := off.Save(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: at(start)}
	svc, err := New(st, off, WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, svc: svc, clk: clk, dir: dir}
}

var clerk = Actor{ID: "u1", Name: "Trần Văn Bình", Role: "clerk"}

var reqN int

func newReq() string { reqN++; return fmt.Sprintf("req-%08d", reqN) }

func reception(proc string) Reception {
	return Reception{
		RequestID: newReq(), ProcedureCode: proc,
		Applicant: ApplicantInput{Kind: dossier.ApplicantPerson, Name: "Nguyễn Thị Hương", IDNumber: "001190012345",
			BirthDate: "1990-05-02", Address: "Thôn Đông, xã An Bình", Phone: "0912 345 678"},
		Components: []Component{{Name: "Bản chính giấy khai sinh", Originals: 1}, {Name: "Bản sao cần chứng thực", Copies: 2}},
		Outcome:    OutcomeComplete,
	}
}

func (f *fixture) receive(t *testing.T, r Reception) Dossier {
	t.Helper()
	d, _, err := f.svc.Receive(context.Background(), r, clerk)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return d
}

func (f *fixture) act(t *testing.T, id string, in ActionInput) Dossier {
	t.Helper()
	in.RequestID = newReq()
	d, _, _, err := f.svc.Act(context.Background(), id, in, clerk)
	if err != nil {
		t.Fatalf("Act %s: %v", in.Action, err)
	}
	return d
}

func TestReceiveSameDayProcedureAfterCutoff(t *testing.T) {
	// Wednesday 15:30: chứng thực bản sao is due at 17:00 the next working day.
	f := newFixture(t, "2026-11-18 15:30")
	d := f.receive(t, reception("2.000815"))
	if got := d.DueAt.In(ict); !got.Equal(at("2026-11-19 17:00")) {
		t.Fatalf("due %v", got)
	}
	if d.Code != "000.00.06.H56-261118-0001" || d.State != dossier.StateReceived {
		t.Fatalf("code %s state %s", d.Code, d.State)
	}
	// Before the cutoff: the same day.
	f.clk.set(at("2026-11-18 09:00"))
	d2 := f.receive(t, reception("2.000815"))
	if !d2.DueAt.Equal(at("2026-11-18 17:00")) || d2.Code != "000.00.06.H56-261118-0002" {
		t.Fatalf("due %v code %s", d2.DueAt, d2.Code)
	}
	// Friday after 15:00, and the next Monday is 23/11: Culture Day 24/11 is Tuesday.
	f.clk.set(at("2026-11-20 16:00"))
	d3 := f.receive(t, reception("2.000815"))
	if !d3.DueAt.Equal(at("2026-11-23 17:00")) || !strings.HasSuffix(d3.Code, "-261120-0001") {
		t.Fatalf("due %v code %s", d3.DueAt, d3.Code)
	}
}

func TestDoubleSubmitMakesOneDossier(t *testing.T) {
	f := newFixture(t, "2026-11-18 09:00")
	r := reception("2.000815")
	var wg sync.WaitGroup
	ids := make([]string, 4)
	dups := make([]bool, 4)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			d, dup, err := f.svc.Receive(context.Background(), r, clerk)
			if err != nil {
				t.Error(err)
			}
			ids[i], dups[i] = d.ID, dup
		}(i)
	}
	wg.Wait()
	first := 0
	for i := range ids {
		if ids[i] != ids[0] {
			t.Fatalf("different dossiers: %v", ids)
		}
		if !dups[i] {
			first++
		}
	}
	if first != 1 {
		t.Fatalf("%d answers claimed to be the first", first)
	}
	p, _ := f.svc.List(context.Background(), ListQuery{List: ListAll})
	if len(p.Items) != 1 {
		t.Fatalf("%d dossiers stored", len(p.Items))
	}
}

func TestBadReceptionsChangeNothing(t *testing.T) {
	f := newFixture(t, "2026-11-18 09:00")
	cases := []struct {
		name  string
		edit  func(*Reception)
		field string
		prob  string
	}{
		{"id too short", func(r *Reception) { r.Applicant.IDNumber = "00119001234" }, "applicant.idNumber", ProblemIDLength},
		{"id letters", func(r *Reception) { r.Applicant.IDNumber = "00119001234A" }, "applicant.idNumber", ProblemIDDigits},
		{"id province", func(r *Reception) { r.Applicant.IDNumber = "003190012345" }, "applicant.idNumber", ProblemIDProvince},
		{"id birth year", func(r *Reception) { r.Applicant.BirthDate = "1985-01-01" }, "applicant.idNumber", ProblemIDBirthYear},
		{"no name", func(r *Reception) { r.Applicant.Name = "  " }, "applicant.name", ProblemRequired},
		{"unknown procedure", func(r *Reception) { r.ProcedureCode = "9.999999" }, "procedureCode", ProblemUnknown},
		{"postal in the future", func(r *Reception) {
			r.Channel = dossier.ChannelPostal
			r.PostmarkAt = ptr(at("2026-11-19 09:00"))
		}, "postmarkAt", ProblemFuture},
		{"postal too old", func(r *Reception) {
			r.Channel = dossier.ChannelPostal
			r.PostmarkAt = ptr(at("2026-06-01 09:00"))
		}, "postmarkAt", ProblemTooOld},
		{"postmark on in-person", func(r *Reception) { r.PostmarkAt = ptr(at("2026-11-18 08:00")) }, "postmarkAt", ProblemFormat},
		{"incomplete without items", func(r *Reception) { r.Outcome = OutcomeIncomplete }, "supplementItems", ProblemRequired},
		{"refused without reason", func(r *Reception) { r.Outcome = OutcomeRefused }, "reason", ProblemRequired},
		{"bad request id", func(r *Reception) { r.RequestID = "x" }, "requestId", ProblemFormat},
		{"negative count", func(r *Reception) { r.Components[0].Copies = -1 }, "components.0", ProblemRange},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := reception("2.000815")
			c.edit(&r)
			_, _, err := f.svc.Receive(context.Background(), r, clerk)
			ve, ok := Problems(err)
			if !ok || ve.Fields[c.field] != c.prob {
				t.Fatalf("got %v, want %s=%s", err, c.field, c.prob)
			}
		})
	}
	p, _ := f.svc.List(context.Background(), ListQuery{List: ListAll})
	if len(p.Items) != 0 {
		t.Fatalf("bad input stored %d dossiers", len(p.Items))
	}
	if r, _ := audit.Verify(f.st); r.Entries != 1 { // the settings save only
		t.Fatalf("bad input wrote %d audit entries", r.Entries)
	}
}

func TestPostalCountsFromPostmark(t *testing.T) {
	f := newFixture(t, "2026-11-18 10:00")
	r := reception("2.001035") // ≤ 02 working days
	r.Channel = dossier.ChannelPostal
	r.PostmarkAt = ptr(at("2026-11-16 09:00"))
	d := f.receive(t, r)
	if !d.DueAt.Equal(at("2026-11-18 09:00")) {
		t.Fatalf("due %v", d.DueAt.In(ict))
	}
}

func TestLifecycleToReturn(t *testing.T) {
	f := newFixture(t, "2026-11-16 08:00") // Monday
	d := f.receive(t, reception("2.001035"))
	if !d.DueAt.Equal(at("2026-11-18 08:00")) {
		t.Fatalf("due %v", d.DueAt.In(ict))
	}
	f.clk.set(at("2026-11-16 10:00"))
	d = f.act(t, d.ID, ActionInput{Action: dossier.ActionRequestSupplement, SupplementItems: []string{"Bản sao sổ đỏ"}, Reason: "Thiếu giấy tờ"})
	if d.State != dossier.StateAwaitingSupplement {
		t.Fatal(d.State)
	}
	// Two working hours... pause from Mon 10:00 to Tue 10:00 = 8 working hours.
	f.clk.set(at("2026-11-17 10:00"))
	d = f.act(t, d.ID, ActionInput{Action: dossier.ActionSupplementReceived})
	if !d.DueAt.Equal(at("2026-11-19 08:00")) {
		t.Fatalf("pause-and-shift due %v", d.DueAt.In(ict))
	}
	d = f.act(t, d.ID, ActionInput{Action: dossier.ActionStartProcessing})
	d = f.act(t, d.ID, ActionInput{Action: dossier.ActionHandover, Giver: "Trần Văn Bình", Receiver: "Lê Thị Lan"})
	f.clk.set(at("2026-11-18 16:00"))
	d = f.act(t, d.ID, ActionInput{Action: dossier.ActionRecordResult, ResultDocs: []string{"Hợp đồng đã chứng thực"}})
	d = f.act(t, d.ID, ActionInput{Action: dossier.ActionReturnResult, ReturnMethod: dossier.ReturnInPerson, ReceiverName: "Nguyễn Thị Hương"})
	if d.State != dossier.StateReturned || d.ReturnedAt == nil || d.ReceiverName != "Nguyễn Thị Hương" {
		t.Fatalf("%+v", d)
	}
	_, evs, err := f.svc.Get(context.Background(), d.ID)
	if err != nil || len(evs) != 7 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	if evs[2].PrevDueDate == nil || !evs[2].PrevDueDate.Equal(at("2026-11-18 08:00")) {
		t.Fatalf("supplement event keeps the old due date: %+v", evs[2])
	}
	// A finished dossier refuses further actions and stays as it was.
	_, _, _, err = f.svc.Act(context.Background(), d.ID, ActionInput{RequestID: newReq(), Action: dossier.ActionStartProcessing}, clerk)
	if !errors.Is(err, dossier.ErrInvalidTransition) {
		t.Fatalf("got %v", err)
	}
	if r, _ := audit.Verify(f.st); !r.OK() || r.Entries != 8 { // settings + 7 actions
		t.Fatalf("audit %+v", r)
	}
	db, err := f.svc.Dashboard(context.Background(), at("2026-11-01 00:00"), at("2026-12-01 00:00"))
	if err != nil || db.Completed != 1 || db.CompletedOnTime != 1 || db.OnTimeRate == nil || *db.OnTimeRate != 1 {
		t.Fatalf("dashboard %+v %v", db, err)
	}
}

func TestRestartPolicyRecomputes(t *testing.T) {
	f := newFixture(t, "2026-11-16 08:00")
	d := f.receive(t, reception("1.001193")) // khai sinh: restart
	f.act(t, d.ID, ActionInput{Action: dossier.ActionRequestSupplement, SupplementItems: []string{"Giấy chứng sinh"}})
	f.clk.set(at("2026-11-17 15:30"))
	d = f.act(t, d.ID, ActionInput{Action: dossier.ActionSupplementReceived})
	if !d.DueAt.Equal(at("2026-11-18 17:00")) {
		t.Fatalf("restart due %v", d.DueAt.In(ict))
	}
}

func TestApologyMovesAppointmentNotLegalDeadline(t *testing.T) {
	f := newFixture(t, "2026-11-16 08:00")
	d := f.receive(t, reception("2.001035"))
	f.clk.set(at("2026-11-17 09:00"))
	_, _, _, err := f.svc.Act(context.Background(), d.ID, ActionInput{RequestID: newReq(), Action: dossier.ActionApologizeExtend,
		Reason: "Cần xác minh", DueDate: ptr(at("2026-11-17 10:00"))}, clerk)
	if ve, ok := Problems(err); !ok || ve.Fields["dueDate"] != ProblemNotAfter {
		t.Fatalf("earlier new date: %v", err)
	}
	d = f.act(t, d.ID, ActionInput{Action: dossier.ActionApologizeExtend, Reason: "Cần xác minh", DueDate: ptr(at("2026-11-20 17:00"))})
	if !d.DueAt.Equal(at("2026-11-20 17:00")) || !d.LegalDueAt.Equal(at("2026-11-18 08:00")) {
		t.Fatalf("due %v legal %v", d.DueAt, d.LegalDueAt)
	}
	if _, err := f.svc.Form(context.Background(), d.ID, FormApology); err != nil {
		t.Fatal(err)
	}
}

func TestWorkListsAndSearch(t *testing.T) {
	f := newFixture(t, "2026-11-16 08:00")
	ctx := context.Background()
	var ids []string
	for i := 0; i < 7; i++ {
		r := reception("2.000815")
		r.Applicant.IDNumber = fmt.Sprintf("0011900123%02d", i)
		if i == 3 {
			r.Applicant.Name = "Phạm Đức Anh"
			r.Applicant.IDNumber = "079085001234"
			r.Applicant.BirthDate = ""
		}
		ids = append(ids, f.receive(t, r).ID)
	}
	f.act(t, ids[0], ActionInput{Action: dossier.ActionRecordResult})
	f.act(t, ids[1], ActionInput{Action: dossier.ActionRequestSupplement, SupplementItems: []string{"x"}})
	f.clk.set(at("2026-11-16 12:00"))
	c, _ := f.svc.Counts(ctx)
	if c.DueToday != 5 || c.ReadyToReturn != 1 || c.AwaitingSupplement != 1 || c.Overdue != 0 {
		t.Fatalf("counts %+v", c)
	}
	f.clk.set(at("2026-11-17 08:00"))
	c, _ = f.svc.Counts(ctx)
	if c.Overdue != 5 || c.DueToday != 0 {
		t.Fatalf("next day counts %+v", c)
	}
	// Paging through the overdue list two at a time sees each once.
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		p, err := f.svc.List(ctx, ListQuery{List: ListOverdue, Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range p.Items {
			if seen[d.ID] {
				t.Fatalf("%s twice", d.ID)
			}
			seen[d.ID] = true
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if len(seen) != 5 {
		t.Fatalf("paged %d of 5", len(seen))
	}
	p, _ := f.svc.List(ctx, ListQuery{List: ListAll, Q: "pham duc"})
	if len(p.Items) != 1 || p.Items[0].Applicant.Name != "Phạm Đức Anh" {
		t.Fatalf("search: %+v", p.Items)
	}
	as, _ := f.svc.SearchApplicants(ctx, "nguyen thi huo", 10)
	if len(as) != 6 {
		t.Fatalf("applicants by name: %d", len(as))
	}
	as, _ = f.svc.SearchApplicants(ctx, "0790", 10)
	if len(as) != 1 || as[0].Name != "Phạm Đức Anh" {
		t.Fatalf("by id prefix: %+v", as)
	}
	as, _ = f.svc.SearchApplicants(ctx, "0912 345", 10)
	if len(as) != 7 {
		t.Fatalf("by phone: %d", len(as))
	}
	if _, err := f.svc.List(ctx, ListQuery{List: "bogus"}); !errors.Is(err, ErrBadList) {
		t.Fatalf("bad list: %v", err)
	}
}

func TestReturningApplicantIsReused(t *testing.T) {
	f := newFixture(t, "2026-11-16 08:00")
	a := f.receive(t, reception("2.000815"))
	r := reception("2.000884")
	r.Applicant.Address = "Địa chỉ mới"
	b := f.receive(t, r)
	if a.Applicant.ID != b.Applicant.ID {
		t.Fatal("same ID number made a second applicant")
	}
	app, ds, err := f.svc.GetApplicant(context.Background(), a.Applicant.ID)
	if err != nil || app.Address != "Địa chỉ mới" || len(ds) != 2 {
		t.Fatalf("%+v %d %v", app, len(ds), err)
	}
}

func TestSequenceSurvivesReopen(t *testing.T) {
	f := newFixture(t, "2026-11-16 08:00")
	f.receive(t, reception("2.000815"))
	f.receive(t, reception("2.000815"))
	f.st.Close()
	st, err := store.Open(store.Options{Dir: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, _ := New(st, office.NewService(st), WithClock(f.clk.now))
	d, _, err := svc.Receive(context.Background(), reception("2.000815"), clerk)
	if err != nil || !strings.HasSuffix(d.Code, "-0003") {
		t.Fatalf("%s %v", d.Code, err)
	}
	got, _, err := svc.GetByCode(context.Background(), strings.ToLower(d.Code))
	if err != nil || got.ID != d.ID {
		t.Fatalf("by code: %v", err)
	}
}

func TestFormsAndRegister(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext (poppler-utils) is required")
	}
	f := newFixture(t, "2026-11-18 15:30")
	d := f.receive(t, reception("2.000815"))
	pdf, err := f.svc.Form(context.Background(), d.ID, FormReceipt)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "r.pdf")
	os.WriteFile(file, pdf, 0o600)
	out, err := exec.Command("pdftotext", "-layout", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{d.Code, "Nguyễn Thị Hương", "17 giờ 00 phút, ngày 19/11/2026"} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt lacks %q", want)
		}
	}
	if _, err := f.svc.Form(context.Background(), d.ID, FormRefusal); !errors.Is(err, ErrFormNotApplicable) {
		t.Fatalf("refusal of a received dossier: %v", err)
	}
	for _, form := range []string{FormControl} {
		if _, err := f.svc.Form(context.Background(), d.ID, form); err != nil {
			t.Fatalf("%s: %v", form, err)
		}
	}
	x, err := f.svc.Register(context.Background(), at("2026-11-18 00:00"), at("2026-11-19 00:00"), true)
	if err != nil || len(x) < 1000 {
		t.Fatalf("register: %d bytes, %v", len(x), err)
	}
}

func TestFilterSparseAndDenseAgree(t *testing.T) {
	f := newFixture(t, "2026-11-16 08:00")
	ctx := context.Background()
	for i := 0; i < 9; i++ {
		r := reception("2.000815")
		r.Applicant.IDNumber = fmt.Sprintf("0011900123%02d", i)
		if i%3 == 0 {
			r.Applicant.Name = "Trần Văn Bình"
		}
		f.clk.set(at("2026-11-16 08:00").Add(time.Duration(i) * time.Minute))
		f.receive(t, r)
	}
	collect := func() []string {
		var codes []string
		cursor := ""
		for {
			p, err := f.svc.List(ctx, ListQuery{List: ListAll, Q: "nguyen thi h", Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range p.Items {
				codes = append(codes, d.Code)
			}
			if cursor = p.Next; cursor == "" {
				return codes
			}
		}
	}
	sparse := collect()
	old := maxCandidates
	maxCandidates = 2
	dense := collect()
	// A scan budget smaller than the list: pages end early (some empty)
	// and the cursor carries on, finding the same dossiers.
	oldBudget := filterScanBudget
	filterScanBudget = 3
	oldJoin := joinBudget
	joinBudget = 2
	budgeted := collect()
	filterScanBudget, joinBudget = oldBudget, oldJoin
	maxCandidates = old
	if len(sparse) != 6 || strings.Join(sparse, ",") != strings.Join(dense, ",") || strings.Join(budgeted, ",") != strings.Join(dense, ",") {
		t.Fatalf("sparse %v\ndense %v\nbudgeted %v", sparse, dense, budgeted)
	}
	if !strings.HasSuffix(sparse[0], "-0009") { // newest first
		t.Fatalf("order %v", sparse)
	}
}
