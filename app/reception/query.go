package reception

import (
	"context"
	"encoding/base64"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"motcua/app/calendar"
	"motcua/app/dossier"
	"motcua/app/store"
	"motcua/app/vntext"
)

// Get returns a dossier and its events in order.
func (s *Service) Get(ctx context.Context, id string) (Dossier, []dossier.Event, error) {
	var d Dossier
	var evs []dossier.Event
	err := s.st.View(func(x *store.Txn) error {
		var err error
		if d, err = DossierByID(x, id); err != nil {
			return err
		}
		evs, err = events(x, id)
		return err
	})
	return d, evs, err
}

// GetByCode resolves a dossier code (from the receipt's barcode).
func (s *Service) GetByCode(ctx context.Context, code string) (Dossier, []dossier.Event, error) {
	var d Dossier
	var evs []dossier.Event
	err := s.st.View(func(x *store.Txn) error {
		var err error
		if d, err = DossierByCode(x, code); err != nil {
			return err
		}
		evs, err = events(x, d.ID)
		return err
	})
	return d, evs, err
}

func events(x *store.Txn, id string) ([]dossier.Event, error) {
	var out []dossier.Event
	err := x.Iterate(store.PrefixEvents(id), func(_, val []byte) error {
		var e dossier.Event
		if err := jsonUnmarshal(val, &e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// Deadline flags for a dossier at a moment.
const (
	DeadlineNone    = ""
	DeadlineDueSoon = "due_soon"
	DeadlineOverdue = "overdue"
)

// Deadline says whether an active dossier is overdue at now, or due soon
// (from one working day before its appointment, when the clerk must warn).
func Deadline(cal *calendar.Calendar, d *Dossier, now time.Time) string {
	if !d.Active() || d.DueAt == nil {
		return DeadlineNone
	}
	switch {
	case now.After(*d.DueAt):
		return DeadlineOverdue
	case !now.Before(cal.WarnFrom(*d.DueAt)):
		return DeadlineDueSoon
	}
	return DeadlineNone
}

// Work lists.
const (
	ListRecent             = "recent"
	ListAll                = "all"
	ListDueToday           = "due_today"
	ListOverdue            = "overdue"
	ListAwaitingSupplement = "awaiting_supplement"
	ListReadyToReturn      = "ready_to_return"
)

// ErrBadList is returned for an unknown list name or cursor.
var ErrBadList = errors.New("unknown list or cursor")

var activeStates = []dossier.State{
	dossier.StateReceived, dossier.StateProcessing, dossier.StateTransferred, dossier.StateAwaitingPayment,
}

// ListQuery selects a page of a work list.
type ListQuery struct {
	List   string
	Q      string
	Limit  int
	Cursor string
}

// Page is one page of a list; Next is the cursor of the next page.
type Page struct {
	Items []Dossier
	Next  string
}

// Counts are the sizes of the desk's work lists.
type Counts struct {
	DueToday           int `json:"dueToday"`
	Overdue            int `json:"overdue"`
	AwaitingSupplement int `json:"awaitingSupplement"`
	ReadyToReturn      int `json:"readyToReturn"`
}

// List returns a page of a work list, optionally filtered by words (code,
// applicant name or ID number, procedure), diacritics ignored.
func (s *Service) List(ctx context.Context, q ListQuery) (Page, error) {
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	if q.List == "" {
		q.List = ListRecent
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return Page{}, err
	}
	now := s.now()
	var cursor []byte
	if q.Cursor != "" {
		cursor, err = base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || len(cursor) == 0 {
			return Page{}, ErrBadList
		}
	}
	filter := newWordFilter(q.Q)
	day := cal.DateOf(now)
	open, closes := cal.OpensAt(day).Unix(), cal.ClosesAt(day).Unix()
	var page Page
	// One time budget for the whole filtered page: probing, collecting the
	// typed word's dossiers, the join or the walk.
	deadline := time.Now().Add(searchTime)
	err = s.st.View(func(x *store.Txn) error {
		if filter != nil && (q.List == ListRecent || q.List == ListAll) {
			candidates, dense, probedPrefix, err := filter.probe(x)
			if err != nil {
				return err
			}
			if !dense && (len(cursor) == 0 || cursor[0] == offsetCursor) {
				return listCandidates(x, q, candidates, filter, probedPrefix, cursor, &page)
			}
			if done, err := joinList(x, q, filter, cursor, &page, deadline); done || err != nil {
				return err
			}
		}
		// take loads a listed dossier and reports whether to go on.
		scanned := 0
		take := func(id string, key []byte) (bool, error) {
			if filter != nil {
				// A filter that matches little among many dossiers would
				// walk them all: after the budget the page ends with what
				// it found and a cursor, and "more" goes on from there.
				if scanned++; scanned > filterScanBudget || (scanned%32 == 0 && time.Now().After(deadline)) {
					page.Next = base64.RawURLEncoding.EncodeToString(key)
					return false, nil
				}
				if ok, err := filter.passExact(x, id); err != nil || !ok {
					return err == nil, err
				}
			}
			var d Dossier
			if err := x.GetJSON(store.KeyDossier(id), &d); err != nil {
				return false, err
			}
			if filter != nil && !filter.passPrefix(&d) {
				return true, nil
			}
			if len(page.Items) == q.Limit {
				page.Next = base64.RawURLEncoding.EncodeToString(key)
				return false, nil
			}
			page.Items = append(page.Items, d)
			return true, nil
		}
		if len(cursor) > 0 && (cursor[0] == offsetCursor || cursor[0] == joinAfter || cursor[0] == joinAt) {
			return ErrBadList
		}
		switch q.List {
		case ListRecent, ListAll:
			return x.Scan(store.PrefixReceived(), cursor, true, true, func(k, _ []byte) (bool, error) {
				return take(store.ReceivedID(k), append([]byte(nil), k...))
			})
		case ListAwaitingSupplement:
			return scanStates(x, []dossier.State{dossier.StateAwaitingSupplement}, cursor, 0, math.MaxInt64, take)
		case ListReadyToReturn:
			return scanStates(x, []dossier.State{dossier.StateResultReady}, cursor, 0, math.MaxInt64, take)
		case ListOverdue:
			return scanStates(x, activeStates, cursor, 0, now.Unix()-1, take)
		case ListDueToday:
			return scanStates(x, activeStates, cursor, open, closes, take)
		}
		return ErrBadList
	})
	return page, err
}

// offsetCursor marks a cursor that is an offset into a sorted candidate
// list; index keys never start with this byte.
const offsetCursor = 0xFF

// maxCandidates is where a word stops being selective: past it, walking the
// list in order and checking each dossier is cheaper than sorting them all.
var maxCandidates = 1000

// filterScanBudget bounds the dossiers one filtered list page examines, so
// a search stays quick however many dossiers the desk holds.
var filterScanBudget = 8000

// wordFilter matches dossiers whose search words include every exact word
// and a word starting with prefix (the word the clerk is still typing).
type wordFilter struct {
	exact  []string
	prefix string
}

func newWordFilter(q string) *wordFilter {
	words := vntext.Tokens(q)
	if len(words) == 0 {
		return nil
	}
	return &wordFilter{exact: words[:len(words)-1], prefix: words[len(words)-1]}
}

// passExact checks the exact words with point lookups, before the dossier
// is loaded.
func (f *wordFilter) passExact(x *store.Txn, id string) (bool, error) {
	for _, w := range f.exact {
		ok, err := x.Exists(store.KeyDossierTerm(w, id))
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func (f *wordFilter) passPrefix(d *Dossier) bool {
	for _, t := range dossierTerms(d) {
		if strings.HasPrefix(t, f.prefix) {
			return true
		}
	}
	return false
}

// probe reads the postings of the most selective-looking word (the longest
// exact word, else the prefix) up to maxCandidates. dense means it hit the
// cap; probedPrefix that the prefix word is already satisfied.
func (f *wordFilter) probe(x *store.Txn) (ids []string, dense, probedPrefix bool, err error) {
	key := ""
	for _, w := range f.exact {
		if len(w) > len(key) {
			key = w
		}
	}
	scan := store.PrefixDossierTerm(key + "\x00")
	if key == "" {
		probedPrefix = true
		scan = store.PrefixDossierTerm(f.prefix)
	}
	seen := map[string]bool{}
	err = x.Scan(scan, nil, false, true, func(k, _ []byte) (bool, error) {
		id := store.DossierTermID(k)
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
		if len(ids) > maxCandidates {
			dense = true
			return false, nil
		}
		return true, nil
	})
	return ids, dense, probedPrefix, err
}

// listCandidates answers a filtered recent/all list from a small candidate
// set. Dossier IDs are UUIDv7, so sorting them is sorting by creation time
// and only the page's dossiers are loaded.
func listCandidates(x *store.Txn, q ListQuery, ids []string, f *wordFilter, probedPrefix bool, cursor []byte, page *Page) error {
	offset := 0
	if len(cursor) > 0 {
		if cursor[0] != offsetCursor {
			return ErrBadList
		}
		n, err := strconv.Atoi(string(cursor[1:]))
		if err != nil || n < 0 {
			return ErrBadList
		}
		offset = n
	}
	kept := ids[:0:0]
	for _, id := range ids {
		ok, err := f.passExact(x, id)
		if err != nil {
			return err
		}
		if ok {
			kept = append(kept, id)
		}
	}
	// The prefix word's postings, when they are few enough to hold.
	var prefixed map[string]bool
	if !probedPrefix {
		prefixed = map[string]bool{}
		err := x.Scan(store.PrefixDossierTerm(f.prefix), nil, false, true, func(k, _ []byte) (bool, error) {
			prefixed[store.DossierTermID(k)] = true
			if len(prefixed) > 20*maxCandidates {
				prefixed = nil
				return false, nil
			}
			return true, nil
		})
		if err != nil {
			return err
		}
	}
	slices.Sort(kept)
	slices.Reverse(kept)
	for i := offset; i < len(kept); i++ {
		id := kept[i]
		if prefixed != nil && !prefixed[id] {
			continue
		}
		if len(page.Items) == q.Limit {
			page.Next = base64.RawURLEncoding.EncodeToString(append([]byte{offsetCursor}, strconv.Itoa(i)...))
			return nil
		}
		var d Dossier
		if err := x.GetJSON(store.KeyDossier(id), &d); err != nil {
			return err
		}
		if probedPrefix || prefixed != nil || f.passPrefix(&d) {
			page.Items = append(page.Items, d)
		}
	}
	return nil
}

// scanStates walks the work lists of several states in due order (state by
// state), taking entries due in [lo, hi] (Unix seconds). A cursor is the
// key where the previous page stopped.
func scanStates(x *store.Txn, states []dossier.State, cursor []byte, lo, hi int64,
	take func(id string, key []byte) (bool, error)) error {
	first := 0
	if cursor != nil {
		first = -1
		for i, st := range states {
			if strings.HasPrefix(string(cursor), string(store.PrefixStateDue(string(st)))) {
				first = i
			}
		}
		if first < 0 {
			return ErrBadList
		}
	}
	for i := first; i < len(states); i++ {
		st := states[i]
		prefix := store.PrefixStateDue(string(st))
		from := store.StateDueBound(string(st), lo)
		if i == first && cursor != nil && string(cursor) > string(from) {
			from = cursor
		}
		more := true
		stateDone := false
		err := x.Scan(prefix, from, false, true, func(k, _ []byte) (bool, error) {
			if due := int64(beUint64(k[len(prefix) : len(prefix)+8])); due > hi {
				stateDone = true
				return false, nil
			}
			var err error
			more, err = take(store.StateDueID(k, string(st)), append([]byte(nil), k...))
			return more, err
		})
		if err != nil || (!more && !stateDone) {
			return err
		}
	}
	return nil
}

// Counts returns the sizes of the work lists now.
func (s *Service) Counts(ctx context.Context) (Counts, error) {
	cal, err := s.Calendar(ctx)
	if err != nil {
		return Counts{}, err
	}
	now := s.now()
	day := cal.DateOf(now)
	start, end := cal.OpensAt(day).Unix(), cal.ClosesAt(day).Unix()
	var c Counts
	err = s.st.View(func(x *store.Txn) error {
		// count counts the entries of states due in [lo, hi].
		count := func(states []dossier.State, lo, hi int64) (int, error) {
			n := 0
			for _, st := range states {
				prefix := store.PrefixStateDue(string(st))
				err := x.Scan(prefix, store.StateDueBound(string(st), lo), false, true, func(k, _ []byte) (bool, error) {
					if int64(beUint64(k[len(prefix):len(prefix)+8])) > hi {
						return false, nil
					}
					n++
					return true, nil
				})
				if err != nil {
					return 0, err
				}
			}
			return n, nil
		}
		var err error
		if c.Overdue, err = count(activeStates, 0, now.Unix()-1); err != nil {
			return err
		}
		if c.DueToday, err = count(activeStates, start, end); err != nil {
			return err
		}
		if c.AwaitingSupplement, err = count([]dossier.State{dossier.StateAwaitingSupplement}, 0, math.MaxInt64); err != nil {
			return err
		}
		c.ReadyToReturn, err = count([]dossier.State{dossier.StateResultReady}, 0, math.MaxInt64)
		return err
	})
	return c, err
}

// ByReceipt returns the dossiers recorded in [from, to), oldest first.
func (s *Service) ByReceipt(ctx context.Context, from, to time.Time, limit int) ([]Dossier, error) {
	var out []Dossier
	err := s.st.View(func(x *store.Txn) error {
		return x.Scan(store.PrefixReceived(), store.ReceivedBound(from.UnixNano()), false, true, func(k, _ []byte) (bool, error) {
			if string(k) >= string(store.ReceivedBound(to.UnixNano())) {
				return false, nil
			}
			var d Dossier
			if err := x.GetJSON(store.KeyDossier(store.ReceivedID(k)), &d); err != nil {
				return false, err
			}
			out = append(out, d)
			return limit <= 0 || len(out) < limit, nil
		})
	})
	return out, err
}

// Dashboard holds the QĐ 766 numbers the commune computes itself.
type Dashboard struct {
	From               time.Time      `json:"from"`
	To                 time.Time      `json:"to"`
	Received           int            `json:"received"`
	Completed          int            `json:"completed"`
	CompletedOnTime    int            `json:"completedOnTime"`
	OnTimeRate         *float64       `json:"onTimeRate"`
	Digitised          int            `json:"digitised"`
	DigitisedRate      *float64       `json:"digitisedRate"`
	Channels           map[string]int `json:"channels"`
	DueToday           int            `json:"dueToday"`
	Overdue            int            `json:"overdue"`
	AwaitingSupplement int            `json:"awaitingSupplement"`
	ReadyToReturn      int            `json:"readyToReturn"`
}

// Dashboard computes the indicators for dossiers recorded in [from, to).
// On-time rate follows QĐ 766: (done on time + still within the deadline) ÷
// dossiers that have a deadline; a dossier whose appointment was extended
// by an apology counts against its appointment before the extension.
func (s *Service) Dashboard(ctx context.Context, from, to time.Time) (Dashboard, error) {
	ds, err := s.ByReceipt(ctx, from, to, 0)
	if err != nil {
		return Dashboard{}, err
	}
	now := s.now()
	db := Dashboard{From: from, To: to, Channels: map[string]int{}}
	counted, good := 0, 0
	for _, d := range ds {
		if d.State == dossier.StateRefused {
			continue
		}
		db.Received++
		db.Channels[string(d.Channel)]++
		if len(d.Components) > 0 && !slices.ContainsFunc(d.Components, func(c Component) bool { return !c.Digitised }) {
			db.Digitised++
		}
		if d.LegalDueAt == nil {
			continue
		}
		counted++
		if d.ResultAt != nil {
			db.Completed++
			if !d.ResultAt.After(*d.LegalDueAt) {
				db.CompletedOnTime++
				good++
			}
		} else if d.Active() && !now.After(*d.LegalDueAt) {
			good++
		}
	}
	if counted > 0 {
		r := float64(good) / float64(counted)
		db.OnTimeRate = &r
	}
	if db.Received > 0 {
		r := float64(db.Digitised) / float64(db.Received)
		db.DigitisedRate = &r
	}
	c, err := s.Counts(ctx)
	if err != nil {
		return Dashboard{}, err
	}
	db.DueToday, db.Overdue, db.AwaitingSupplement, db.ReadyToReturn = c.DueToday, c.Overdue, c.AwaitingSupplement, c.ReadyToReturn
	return db, nil
}
