package reception

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"motcua/app/audit"
	"motcua/app/calendar"
	"motcua/app/catalog"
	"motcua/app/dossier"
	"motcua/app/office"
	"motcua/app/store"
	"motcua/app/vntext"
)

// SettingsSource gives the office settings the desk works under.
type SettingsSource interface {
	Settings(ctx context.Context) (office.Settings, error)
}

// Service runs the reception use cases on a store.
type Service struct {
	st       *store.Store
	settings SettingsSource
	now      func() time.Time
	newID    func() string
	outbox   Outbox // nil: nothing is queued for the hub

	mu       sync.Mutex
	catalog  *catalog.Catalog
	cal      *calendar.Calendar
	calHours office.Hours
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces the clock (tests; the desk uses the device clock).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns a Service using the default catalog.
func New(st *store.Store, settings SettingsSource, opts ...Option) (*Service, error) {
	cat, err := loadCatalog(st)
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	s := &Service{st: st, settings: settings, now: time.Now, catalog: cat,
		newID: func() string { return uuid.Must(uuid.NewV7()).String() }}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Catalog returns the procedure catalog in use.
func (s *Service) Catalog() *catalog.Catalog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.catalog
}

// Calendar returns the working calendar for the office's hours.
func (s *Service) Calendar(ctx context.Context) (*calendar.Calendar, error) {
	set, err := s.settings.Settings(ctx)
	if err != nil && !errors.Is(err, office.ErrNotConfigured) {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cal != nil && s.calHours == set.Hours {
		return s.cal, nil
	}
	overrides, err := s.loadOverrides()
	if err != nil {
		return nil, err
	}
	cal, err := buildCalendar(set.Hours, overrides)
	if err != nil {
		return nil, fmt.Errorf("working calendar: %w", err)
	}
	s.cal, s.calHours = cal, set.Hours
	return cal, nil
}

// buildCalendar makes the working calendar for the office hours and the
// yearly overrides announced by the government.
func buildCalendar(h office.Hours, overrides []calendar.Override) (*calendar.Calendar, error) {
	cfg := calendar.Config{Overrides: overrides}
	if h.MorningStart != "" {
		var periods []calendar.Period
		for _, p := range [][2]string{{h.MorningStart, h.MorningEnd}, {h.AfternoonStart, h.AfternoonEnd}} {
			a, err1 := calendar.ParseClock(p[0])
			b, err2 := calendar.ParseClock(p[1])
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("office hours %v: %w", p, errors.Join(err1, err2))
			}
			periods = append(periods, calendar.Period{Start: a, End: b})
		}
		cfg.OfficeHours = periods
	}
	return calendar.New(cfg)
}

// Reception is what the clerk records at the counter.
type Reception struct {
	RequestID       string          `json:"requestId"`
	ProcedureCode   string          `json:"procedureCode"`
	Applicant       ApplicantInput  `json:"applicant"`
	Representative  *Person         `json:"representative,omitempty"`
	Channel         dossier.Channel `json:"channel"`
	PostmarkAt      *time.Time      `json:"postmarkAt,omitempty"`
	Components      []Component     `json:"components"`
	Sets            int             `json:"sets"`
	Outcome         string          `json:"outcome"`
	SupplementItems []string        `json:"supplementItems,omitempty"`
	Reason          string          `json:"reason,omitempty"`
	ResultDelivery  string          `json:"resultDelivery"`
	Fee             *int64          `json:"fee,omitempty"`
	Note            string          `json:"note,omitempty"`
}

// ApplicantInput is the applicant block of the reception form.
type ApplicantInput struct {
	ID        string                `json:"id,omitempty"`
	Kind      dossier.ApplicantKind `json:"kind"`
	Name      string                `json:"name"`
	IDNumber  string                `json:"idNumber"`
	BirthDate string                `json:"birthDate,omitempty"`
	Address   string                `json:"address"`
	Phone     string                `json:"phone"`
	Email     string                `json:"email"`
}

// Outcomes of a reception.
const (
	OutcomeComplete   = "complete"
	OutcomeIncomplete = "incomplete"
	OutcomeRefused    = "refused"
)

// Actor is who does something.
type Actor struct {
	ID   string
	Name string
	Role string
}

var (
	requestIDRE = regexp.MustCompile(`^[A-Za-z0-9-]{8,64}$`)
	phoneRE     = regexp.MustCompile(`^\+?[0-9 .-]{6,20}$`)
	emailRE     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	orgIDRE     = regexp.MustCompile(`^[0-9A-Z-]{8,20}$`)
)

func clean(s string) string { return vntext.Clean(s) }

func checkText(p problems, field, v string, required bool, max int) {
	switch {
	case required && v == "":
		p.add(field, ProblemRequired)
	case utf8.RuneCountInString(v) > max:
		p.add(field, ProblemTooLong)
	}
}

func idProblem(err error) string {
	switch {
	case errors.Is(err, dossier.ErrIDLength):
		return ProblemIDLength
	case errors.Is(err, dossier.ErrIDNotDigits):
		return ProblemIDDigits
	case errors.Is(err, dossier.ErrIDProvince):
		return ProblemIDProvince
	case errors.Is(err, dossier.ErrIDCentury):
		return ProblemIDCentury
	case errors.Is(err, dossier.ErrIDBirthYear):
		return ProblemIDBirthYear
	}
	return ProblemFormat
}

func (in *ApplicantInput) normalize() {
	in.Name = clean(in.Name)
	in.IDNumber = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(in.IDNumber), " ", ""))
	in.Address = clean(in.Address)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Email = strings.TrimSpace(in.Email)
	in.BirthDate = strings.TrimSpace(in.BirthDate)
	if in.Kind == "" {
		in.Kind = dossier.ApplicantPerson
	}
}

func (in ApplicantInput) validate(p problems, prefix string) {
	if !in.Kind.Valid() {
		p.add(prefix+"kind", ProblemUnknown)
	}
	checkText(p, prefix+"name", in.Name, true, 200)
	checkText(p, prefix+"address", in.Address, false, 300)
	if in.Phone != "" && !phoneRE.MatchString(in.Phone) {
		p.add(prefix+"phone", ProblemFormat)
	}
	if in.Email != "" && (len(in.Email) > 254 || !emailRE.MatchString(in.Email)) {
		p.add(prefix+"email", ProblemFormat)
	}
	var birthYear int
	if in.BirthDate != "" {
		d, err := time.Parse("2006-01-02", in.BirthDate)
		if err != nil || d.Year() < 1900 || d.After(time.Now()) {
			p.add(prefix+"birthDate", ProblemFormat)
		} else {
			birthYear = d.Year()
		}
	}
	switch {
	case in.IDNumber == "":
		p.add(prefix+"idNumber", ProblemRequired)
	case in.Kind.IsPerson():
		id, err := dossier.ParsePersonalID(in.IDNumber)
		if err == nil && birthYear != 0 {
			err = id.CheckBirthYear(birthYear)
		}
		if err != nil {
			p.add(prefix+"idNumber", idProblem(err))
		}
	default:
		if !orgIDRE.MatchString(in.IDNumber) {
			p.add(prefix+"idNumber", ProblemFormat)
		}
	}
}

func (r *Reception) normalize() {
	r.ProcedureCode = strings.TrimSpace(r.ProcedureCode)
	r.Applicant.normalize()
	if r.Representative != nil {
		rp := r.Representative
		rp.Name, rp.Address, rp.Authorization = clean(rp.Name), clean(rp.Address), clean(rp.Authorization)
		rp.IDNumber, rp.Phone, rp.Email = strings.TrimSpace(rp.IDNumber), strings.TrimSpace(rp.Phone), strings.TrimSpace(rp.Email)
		if *rp == (Person{}) {
			r.Representative = nil
		}
	}
	if r.Channel == "" {
		r.Channel = dossier.ChannelInPerson
	}
	if r.Sets == 0 {
		r.Sets = 1
	}
	if r.ResultDelivery == "" {
		r.ResultDelivery = string(dossier.ReturnInPerson)
	}
	for i := range r.Components {
		r.Components[i].Name = clean(r.Components[i].Name)
	}
	items := r.SupplementItems[:0]
	for _, it := range r.SupplementItems {
		if it = clean(it); it != "" {
			items = append(items, it)
		}
	}
	r.SupplementItems = items
	r.Reason = clean(r.Reason)
	r.Note = clean(r.Note)
}

func (r *Reception) validate(now time.Time, cat *catalog.Catalog) (catalog.Procedure, error) {
	p := problems{}
	if !requestIDRE.MatchString(r.RequestID) {
		p.add("requestId", ProblemFormat)
	}
	proc, err := cat.Lookup(r.ProcedureCode)
	switch {
	case r.ProcedureCode == "":
		p.add("procedureCode", ProblemRequired)
	case err != nil:
		p.add("procedureCode", ProblemUnknown)
	case !proc.Active:
		p.add("procedureCode", ProblemInactive)
	}
	r.Applicant.validate(p, "applicant.")
	if rp := r.Representative; rp != nil {
		checkText(p, "representative.name", rp.Name, true, 200)
		if rp.IDNumber != "" {
			if err := dossier.ValidatePersonalID(rp.IDNumber); err != nil {
				p.add("representative.idNumber", idProblem(err))
			}
		}
	}
	switch r.Channel {
	case dossier.ChannelInPerson:
		if r.PostmarkAt != nil {
			p.add("postmarkAt", ProblemFormat)
		}
	case dossier.ChannelPostal:
		switch {
		case r.PostmarkAt == nil:
			p.add("postmarkAt", ProblemRequired)
		case r.PostmarkAt.After(now.Add(5 * time.Minute)):
			p.add("postmarkAt", ProblemFuture)
		case r.PostmarkAt.Before(now.AddDate(0, 0, -60)):
			p.add("postmarkAt", ProblemTooOld)
		}
	default:
		// Online dossiers arrive through the portal, not this form.
		p.add("channel", ProblemUnknown)
	}
	if r.Sets < 1 || r.Sets > 100 {
		p.add("sets", ProblemRange)
	}
	if len(r.Components) > 200 {
		p.add("components", ProblemTooLong)
	}
	for i, c := range r.Components {
		f := fmt.Sprintf("components.%d", i)
		checkText(p, f+".name", c.Name, true, 500)
		if c.Originals < 0 || c.Certified < 0 || c.Copies < 0 || c.Originals+c.Certified+c.Copies > 1000 {
			p.add(f, ProblemRange)
		}
	}
	switch r.Outcome {
	case OutcomeComplete:
	case OutcomeIncomplete:
		if len(r.SupplementItems) == 0 {
			p.add("supplementItems", ProblemRequired)
		}
	case OutcomeRefused:
		if r.Reason == "" {
			p.add("reason", ProblemRequired)
		}
	case "":
		p.add("outcome", ProblemRequired)
	default:
		p.add("outcome", ProblemUnknown)
	}
	if !dossier.ReturnMethod(r.ResultDelivery).Valid() {
		p.add("resultDelivery", ProblemUnknown)
	}
	if r.Fee != nil && (*r.Fee < 0 || *r.Fee > catalog.MaxFeeAmount) {
		p.add("fee", ProblemRange)
	}
	checkText(p, "reason", r.Reason, false, 2000)
	checkText(p, "note", r.Note, false, 2000)
	return proc, p.err()
}

// Receive records a dossier handed in at the desk. A retry with the same
// RequestID returns the first dossier and duplicate=true.
func (s *Service) Receive(ctx context.Context, in Reception, by Actor) (d Dossier, duplicate bool, err error) {
	set, err := s.settings.Settings(ctx)
	if errors.Is(err, office.ErrNotConfigured) {
		return Dossier{}, false, ErrNotConfigured
	}
	if err != nil {
		return Dossier{}, false, err
	}
	now := s.now()
	in.normalize()
	proc, err := in.validate(now, s.Catalog())
	if err != nil {
		return Dossier{}, false, err
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return Dossier{}, false, err
	}

	action := map[string]dossier.Action{
		OutcomeComplete:   dossier.ActionReceiveComplete,
		OutcomeIncomplete: dossier.ActionReceiveIncomplete,
		OutcomeRefused:    dossier.ActionRefuse,
	}[in.Outcome]
	to, err := dossier.Transition(dossier.StateNone, action)
	if err != nil {
		return Dossier{}, false, err
	}

	d = Dossier{
		ID: s.newID(), ProcedureCode: proc.Code, ProcedureName: proc.Name, Field: proc.Field,
		ProcessingTime: proc.ProcessingTime.Duration, SupplementPolicy: proc.SupplementPolicy,
		Representative: in.Representative, Channel: in.Channel, Components: in.Components, Sets: in.Sets,
		State: to, CreatedAt: now, ResultDelivery: dossier.ReturnMethod(in.ResultDelivery),
		Note: in.Note, CreatedBy: by.ID, UpdatedAt: now,
	}
	if d.Components == nil {
		d.Components = []Component{}
	}
	if in.Fee != nil {
		d.Fee = *in.Fee
	} else if len(proc.Fees) > 0 {
		d.Fee, _ = proc.Fees[0].Compute(1, 1)
	}
	ev := dossier.Event{
		ID: in.RequestID, DossierID: d.ID, Action: action, From: dossier.StateNone, To: to,
		Actor: by.ID, ActorName: by.Name, At: now, Reason: in.Reason, Note: in.Note,
		Channel: in.Channel, SupplementItems: in.SupplementItems,
	}
	switch in.Outcome {
	case OutcomeComplete:
		start := now
		if in.PostmarkAt != nil {
			start = *in.PostmarkAt
			d.PostmarkAt = ptr(start)
		}
		due, err := cal.Due(start, calendar.Duration{Amount: proc.ProcessingTime.Amount, Unit: calendar.Unit(proc.ProcessingTime.Unit)})
		if err != nil {
			return Dossier{}, false, fmt.Errorf("due date: %w", err)
		}
		d.ReceivedAt, d.DueAt, d.LegalDueAt, d.FirstDueAt = ptr(start), ptr(due), ptr(due), ptr(due)
		ev.DueDate = ptr(due)
	case OutcomeIncomplete:
		d.SupplementItems, d.Reason = in.SupplementItems, in.Reason
	case OutcomeRefused:
		d.Reason = in.Reason
	}
	if err := ev.Validate(); err != nil {
		return Dossier{}, false, err
	}

	err = s.st.Update(func(x *store.Txn) error {
		if prev, ok, err := loadRequest(x, in.RequestID); err != nil {
			return err
		} else if ok {
			if prev.Kind != "receive" {
				return ErrRequestReused
			}
			duplicate = true
			return x.GetJSON(store.KeyDossier(prev.DossierID), &d)
		}
		code, err := allocateCode(x, set.AgencyCode, now.In(cal.Location()))
		if err != nil {
			return err
		}
		d.Code = code
		app, err := s.upsertApplicant(x, in.Applicant, now)
		if err != nil {
			return err
		}
		d.Applicant = app
		d.EventSeq = 1
		if err := putEvent(x, d.ID, 1, ev); err != nil {
			return err
		}
		if err := x.Set(store.KeyDossierCode(code), []byte(d.ID)); err != nil {
			return err
		}
		if err := x.Set(store.KeyReceived(d.CreatedAt.UnixNano(), d.ID), nil); err != nil {
			return err
		}
		if err := x.Set(store.KeyApplicantDossier(app.ID, d.CreatedAt.UnixNano(), d.ID), nil); err != nil {
			return err
		}
		for _, w := range dossierTerms(&d) {
			if err := x.Set(store.KeyDossierTerm(w, d.ID), nil); err != nil {
				return err
			}
		}
		if err := putDossier(x, nil, &d); err != nil {
			return err
		}
		if err := s.queueReception(x, &d, &ev, set); err != nil {
			return err
		}
		if err := saveRequest(x, in.RequestID, requestRecord{Kind: "receive", DossierID: d.ID, EventSeq: 1}); err != nil {
			return err
		}
		b, _ := json.Marshal(d)
		_, err = audit.Append(x, audit.Entry{
			At: now, Actor: by.ID, Role: by.Role, Action: string(action), Object: "dossier/" + d.ID,
			After: audit.Digest(b), Summary: d.Code + " " + d.ProcedureCode,
		})
		return err
	})
	if err != nil {
		return Dossier{}, false, err
	}
	return d, duplicate, nil
}

// allocateCode takes the next number of the agency's day counter. It runs
// inside the transaction that stores the dossier: a conflicting concurrent
// reception makes Badger retry this transaction, so no number is handed out
// twice, and a crash loses the number together with the dossier.
func allocateCode(x *store.Txn, agency string, day time.Time) (string, error) {
	key := store.KeyDaySeq(agency, day.Format("060102"))
	var seq uint64
	b, err := x.Get(key)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return "", err
	case len(b) == 8:
		seq = beUint64(b)
	default:
		return "", fmt.Errorf("day counter %q: %d bytes", key, len(b))
	}
	seq++
	if err := x.Set(key, bePutUint64(seq)); err != nil {
		return "", err
	}
	return dossier.FormatCode(agency, day, int(seq))
}

type requestRecord struct {
	Kind      string `json:"kind"`
	DossierID string `json:"dossierId"`
	EventSeq  uint64 `json:"eventSeq"`
}

func loadRequest(x *store.Txn, id string) (requestRecord, bool, error) {
	var r requestRecord
	err := x.GetJSON(store.KeyRequest(id), &r)
	if errors.Is(err, store.ErrNotFound) {
		return r, false, nil
	}
	return r, err == nil, err
}

func saveRequest(x *store.Txn, id string, r requestRecord) error {
	return x.SetJSON(store.KeyRequest(id), r)
}

func putEvent(x *store.Txn, dossierID string, seq uint64, ev dossier.Event) error {
	return x.SetJSON(store.KeyEvent(dossierID, seq), ev)
}

// putDossier stores d and moves its work-list entry from where old had it.
func putDossier(x *store.Txn, old, d *Dossier) error {
	if old != nil {
		if err := x.Delete(store.KeyStateDue(string(old.State), dueKey(old), old.ID)); err != nil {
			return err
		}
	}
	if err := x.Set(store.KeyStateDue(string(d.State), dueKey(d), d.ID), nil); err != nil {
		return err
	}
	return x.SetJSON(store.KeyDossier(d.ID), d)
}

// dueKey orders a work list: by the appointment, or by creation when there
// is none yet (awaiting a first supplement, refused).
func dueKey(d *Dossier) int64 {
	if d.DueAt != nil {
		return d.DueAt.Unix()
	}
	return d.CreatedAt.Unix()
}

// dossierTerms are the folded words a dossier is found by.
func dossierTerms(d *Dossier) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		for _, w := range vntext.Tokens(s) {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	add(d.Applicant.Name)
	add(d.ProcedureName)
	if d.Representative != nil {
		add(d.Representative.Name)
	}
	for _, w := range []string{strings.ToLower(d.Code), d.Applicant.IDNumber, d.ProcedureCode} {
		if w != "" && !seen[w] {
			seen[w] = true
			out = append(out, strings.ToLower(w))
		}
	}
	return out
}
