// Package outbox is the durable queue of what the provincial hub must learn
// from this desk. An item is written by Enqueue inside the Badger
// transaction of the change it reports, so a dossier and its outbox entry
// commit together or not at all: a receipt in the citizen's hand means the
// hub will hear about it.
//
// Items are ordered per dossier (a big-endian sequence): the dossier record
// before its events, each event after the one before. A sender takes the
// ready items with Ready, marks them with MarkUploading, and records what
// the hub answered with Apply. Nothing is marked synced except by an
// OutcomeSynced, which the sender gives only for an item the hub accepted.
// Transient failures back off exponentially with jitter up to a cap, then
// wait for a person's "Gửi lại" (Retry); permanent refusals park the item
// with the hub's reason. A parked or waiting item holds back the later items
// of its dossier, never other dossiers.
package outbox

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"motcua/app/store"
	"motcua/sync/wire"
)

// Kind is what an item carries.
type Kind string

// Item kinds.
const (
	KindDossier Kind = "dossier" // a wire.Dossier: the reception snapshot
	KindEvent   Kind = "event"   // a wire.Event: a later action on the dossier
)

// State is where an item stands.
type State string

// Item states. Error covers both "will retry at NextTry" and, with Manual
// set, "automatic retries used up: waiting for Gửi lại".
const (
	StatePending   State = "pending"
	StateUploading State = "uploading"
	StateSynced    State = "synced"
	StateError     State = "error"
	StateParked    State = "parked"
)

// Item is one record for the hub.
type Item struct {
	DossierID   string `json:"dossierId"`
	Seq         uint64 `json:"seq"` // set by Enqueue
	Kind        Kind   `json:"kind"`
	RecordID    string `json:"recordId"` // the wire document's ID
	DossierCode string `json:"dossierCode,omitempty"`
	Action      string `json:"action,omitempty"` // events: the app/dossier action
	// Payload is the wire document, frozen when the change happened: a
	// replay must be byte-for-byte the same content, or the hub would
	// rightly call it a conflict.
	Payload json.RawMessage `json:"payload"`
	// Blobs are the files the record references, uploaded before it.
	Blobs []wire.BlobRef `json:"blobs,omitempty"`
	// Bytes is the payload plus its blobs; BytesDone what the hub has
	// acknowledged of them.
	Bytes     int64 `json:"bytes"`
	BytesDone int64 `json:"bytesDone"`

	State    State     `json:"state"`
	Attempts int       `json:"attempts"`
	NextTry  time.Time `json:"nextTry,omitzero"`
	Manual   bool      `json:"manual,omitempty"` // waiting for a person's retry
	// Code is the machine code of the last failure: the hub's (wire.Code*)
	// or the sender's own. Reason is the hub's Vietnamese reason, verbatim.
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`

	EnqueuedAt    time.Time  `json:"enqueuedAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	SyncedAt      *time.Time `json:"syncedAt,omitempty"`
	HubReceivedAt *time.Time `json:"hubReceivedAt,omitempty"`
}

// ID names the item in lists and in Retry: "dossierID.seq".
func (it Item) ID() string { return it.DossierID + "." + strconv.FormatUint(it.Seq, 10) }

// BytesLeft is what still has to reach the hub.
func (it Item) BytesLeft() int64 {
	if it.State == StateSynced {
		return 0
	}
	return max(it.Bytes-it.BytesDone, 0)
}

// ParseID splits an item ID.
func ParseID(id string) (dossierID string, seq uint64, err error) {
	i := strings.LastIndexByte(id, '.')
	if i <= 0 {
		return "", 0, fmt.Errorf("outbox item id %q: %w", id, ErrNotFound)
	}
	seq, err = strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil || seq == 0 {
		return "", 0, fmt.Errorf("outbox item id %q: %w", id, ErrNotFound)
	}
	return id[:i], seq, nil
}

// ready reports whether the sender may try the item now.
func (it *Item) ready(now time.Time) bool {
	switch it.State {
	case StatePending, StateUploading:
		return !now.Before(it.NextTry)
	case StateError:
		return !it.Manual && !now.Before(it.NextTry)
	}
	return false
}

var (
	// ErrNotFound is returned for an unknown item ID.
	ErrNotFound = errors.New("outbox item not found")
	// ErrInvalid is wrapped when Enqueue is given an incomplete item.
	ErrInvalid = errors.New("invalid outbox item")
)

// Enqueue adds it to the outbox inside x, the transaction of the change it
// reports, and returns it with its sequence. The caller sets DossierID,
// Kind, RecordID and Payload (and Blobs); a caller that already knows the
// record cannot be sent may enqueue it parked with a Code.
func Enqueue(x *store.Txn, it Item) (Item, error) {
	switch {
	case it.DossierID == "" || strings.IndexByte(it.DossierID, 0) >= 0:
		return Item{}, fmt.Errorf("%w: dossier id %q", ErrInvalid, it.DossierID)
	case it.Kind != KindDossier && it.Kind != KindEvent:
		return Item{}, fmt.Errorf("%w: kind %q", ErrInvalid, it.Kind)
	case it.RecordID == "" || len(it.Payload) == 0:
		return Item{}, fmt.Errorf("%w: no record id or payload", ErrInvalid)
	case it.State != "" && it.State != StatePending && it.State != StateParked:
		return Item{}, fmt.Errorf("%w: cannot enqueue in state %q", ErrInvalid, it.State)
	}
	for _, b := range it.Blobs {
		if !wire.ValidSHA256(b.SHA256) || b.Size <= 0 {
			return Item{}, fmt.Errorf("%w: blob %q of size %d", ErrInvalid, b.SHA256, b.Size)
		}
	}
	// The counter also keeps the dossier's last queue time: queue order is
	// wall-clock order, forced monotonic per dossier, so a clock stepped
	// back can never put an event ahead of its dossier.
	seqKey := store.KeyOutboxSeq(it.DossierID)
	var last uint64
	var lastNano int64
	b, err := x.Get(seqKey)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return Item{}, err
	case len(b) == 16:
		last, lastNano = binary.BigEndian.Uint64(b), int64(binary.BigEndian.Uint64(b[8:]))
	default:
		return Item{}, fmt.Errorf("outbox counter of %s: %d bytes", it.DossierID, len(b))
	}
	now := time.Now()
	nano := max(now.UnixNano(), lastNano+1)
	it.Seq = last + 1
	it.EnqueuedAt = time.Unix(0, nano).UTC()
	it.UpdatedAt = it.EnqueuedAt
	if it.State == "" {
		it.State = StatePending
	}
	it.Bytes = int64(len(it.Payload))
	for _, b := range it.Blobs {
		it.Bytes += b.Size
	}
	it.BytesDone, it.Attempts, it.SyncedAt, it.HubReceivedAt = 0, 0, nil, nil
	if err := x.Set(seqKey, binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, it.Seq), uint64(nano))); err != nil {
		return Item{}, err
	}
	if err := x.SetJSON(store.KeyOutbox(it.DossierID, it.Seq), it); err != nil {
		return Item{}, err
	}
	if err := x.Set(queueKey(&it), nil); err != nil {
		return Item{}, err
	}
	return it, nil
}

func queueKey(it *Item) []byte {
	return store.KeyOutboxQueue(it.EnqueuedAt.UnixNano(), it.DossierID, it.Seq)
}

// Policy is the automatic retry schedule.
type Policy struct {
	// Base is the wait after the first failure; it doubles per attempt.
	Base time.Duration
	// Max caps one wait.
	Max time.Duration
	// MaxAttempts is how many failed attempts are retried automatically;
	// after that the item waits for Gửi lại.
	MaxAttempts int
}

// DefaultPolicy retries after ~10 s, 20 s, 40 s … up to 30 minutes, eight
// times (about an hour and a half of a hub that answers but fails), then
// asks a person.
func DefaultPolicy() Policy {
	return Policy{Base: 10 * time.Second, Max: 30 * time.Minute, MaxAttempts: 8}
}

// Delay is the wait after failed attempt number attempt (1-based), given a
// random r in [0,1). Half the step is fixed and half random ("equal
// jitter"): many items failing together spread out, and none comes back
// sooner than half its step.
func (p Policy) Delay(attempt int, r float64) time.Duration {
	d := p.Base
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	return d/2 + time.Duration(r*float64(d/2))
}

// Outbox reads and updates the queue of one store. Enqueue needs no
// Outbox: it runs in the caller's transaction.
type Outbox struct {
	st     *store.Store
	policy Policy
	now    func() time.Time
	rand   func() float64
}

// Option configures an Outbox.
type Option func(*Outbox)

// WithPolicy replaces DefaultPolicy.
func WithPolicy(p Policy) Option { return func(o *Outbox) { o.policy = p } }

// WithClock replaces the clock (tests).
func WithClock(now func() time.Time) Option { return func(o *Outbox) { o.now = now } }

// WithRand replaces the jitter source (tests).
func WithRand(r func() float64) Option { return func(o *Outbox) { o.rand = r } }

// New returns the outbox of st.
func New(st *store.Store, opts ...Option) *Outbox {
	o := &Outbox{st: st, policy: DefaultPolicy(), now: time.Now, rand: randFloat}
	for _, opt := range opts {
		opt(o)
	}
	if o.policy.MaxAttempts < 1 {
		o.policy.MaxAttempts = 1
	}
	return o
}

// Policy returns the retry schedule in use.
func (o *Outbox) Policy() Policy { return o.policy }

func load(x *store.Txn, dossierID string, seq uint64) (Item, error) {
	var it Item
	err := x.GetJSON(store.KeyOutbox(dossierID, seq), &it)
	if errors.Is(err, store.ErrNotFound) {
		return it, fmt.Errorf("outbox item %s.%d: %w", dossierID, seq, ErrNotFound)
	}
	return it, err
}

// Get returns one item.
func (o *Outbox) Get(id string) (Item, error) {
	did, seq, err := ParseID(id)
	if err != nil {
		return Item{}, err
	}
	var it Item
	err = o.st.View(func(x *store.Txn) error {
		it, err = load(x, did, seq)
		return err
	})
	return it, err
}

// Limits bound one batch of Ready.
type Limits struct {
	Items int   // at most this many items (default 100)
	Bytes int64 // at most this many bytes of items, blobs included, unless a single item is larger (default 4 MiB)
}

// Ready returns the items the sender may send now, oldest first, each
// dossier's items in order and only while each one before it is ready too.
// next is the earliest time an item now backing off becomes ready (zero
// when none is), so the sender knows when to wake.
func (o *Outbox) Ready(lim Limits) (items []Item, next time.Time, err error) {
	if lim.Items <= 0 {
		lim.Items = 100
	}
	if lim.Bytes <= 0 {
		lim.Bytes = 4 << 20
	}
	now := o.now()
	blocked := map[string]bool{}
	var size int64
	err = o.st.View(func(x *store.Txn) error {
		return x.Scan(store.PrefixOutboxQueue(), nil, false, true, func(key, _ []byte) (bool, error) {
			did, seq, ok := store.OutboxQueueItem(key)
			if !ok || blocked[did] {
				return true, nil
			}
			it, err := load(x, did, seq)
			if errors.Is(err, ErrNotFound) {
				return true, nil // a queue entry outlived its item: nothing to send
			}
			if err != nil {
				return false, err
			}
			if !it.ready(now) {
				blocked[did] = true
				if (it.State == StateError && !it.Manual || it.State == StatePending) && (next.IsZero() || it.NextTry.Before(next)) {
					next = it.NextTry
				}
				return true, nil
			}
			if len(items) > 0 && size+it.Bytes > lim.Bytes {
				// Later items of this dossier must not overtake it.
				blocked[did] = true
				return len(items) < lim.Items, nil
			}
			items = append(items, it)
			size += it.Bytes
			return len(items) < lim.Items, nil
		})
	})
	return items, next, err
}

// Recover puts items left "uploading" by a process that stopped mid-send
// back to pending. Call it before the first send.
func (o *Outbox) Recover() (int, error) {
	n := 0
	err := o.st.Update(func(x *store.Txn) error {
		n = 0
		var stuck []Item
		err := x.Scan(store.PrefixOutboxQueue(), nil, false, true, func(key, _ []byte) (bool, error) {
			did, seq, ok := store.OutboxQueueItem(key)
			if !ok {
				return true, nil
			}
			it, err := load(x, did, seq)
			if errors.Is(err, ErrNotFound) {
				return true, nil
			}
			if err != nil {
				return false, err
			}
			if it.State == StateUploading {
				stuck = append(stuck, it)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, it := range stuck {
			it.State = StatePending
			if err := x.SetJSON(store.KeyOutbox(it.DossierID, it.Seq), it); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// MarkUploading records that the sender is working on items, so the Outbox
// screen shows it. It changes nothing else.
func (o *Outbox) MarkUploading(ids []string) error {
	now := o.now()
	return o.update(ids, func(it *Item) error {
		if it.State == StateSynced || it.State == StateParked {
			return nil
		}
		it.State, it.UpdatedAt = StateUploading, now
		return nil
	})
}

// Progress records how many bytes of an item the hub has acknowledged.
func (o *Outbox) Progress(id string, done int64) error {
	return o.update([]string{id}, func(it *Item) error {
		if it.State != StateSynced {
			it.BytesDone = min(max(done, 0), it.Bytes)
		}
		return nil
	})
}

func (o *Outbox) update(ids []string, fn func(*Item) error) error {
	return o.st.Update(func(x *store.Txn) error {
		for _, id := range ids {
			did, seq, err := ParseID(id)
			if err != nil {
				return err
			}
			it, err := load(x, did, seq)
			if err != nil {
				return err
			}
			if err := fn(&it); err != nil {
				return err
			}
			if err := x.SetJSON(store.KeyOutbox(did, seq), it); err != nil {
				return err
			}
		}
		return nil
	})
}

// OutcomeKind is what happened to one item of a send.
type OutcomeKind int

// Outcomes.
const (
	// OutcomeSynced: the hub accepted the item (created or duplicate).
	OutcomeSynced OutcomeKind = iota + 1
	// OutcomeRetry: a transient failure; counts an attempt and backs off,
	// or waits for Gửi lại once the attempts are used up.
	OutcomeRetry
	// OutcomePark: the hub refused the item for good; a person must act.
	OutcomePark
	// OutcomeRelease: the item was not really tried (an earlier item of
	// its dossier failed, or the send was held back); back to pending
	// without counting an attempt. Code and Reason say why it waits.
	OutcomeRelease
)

// Outcome is the result of one item.
type Outcome struct {
	ID            string
	Kind          OutcomeKind
	Code          string
	Reason        string
	HubReceivedAt *time.Time
}

// Apply records outcomes in one transaction and returns the items as
// stored.
func (o *Outbox) Apply(outs []Outcome) ([]Item, error) {
	now := o.now()
	var saved []Item
	err := o.st.Update(func(x *store.Txn) error {
		saved = saved[:0]
		for _, out := range outs {
			did, seq, err := ParseID(out.ID)
			if err != nil {
				return err
			}
			it, err := load(x, did, seq)
			if err != nil {
				return err
			}
			if it.State == StateSynced {
				saved = append(saved, it) // already accepted: nothing can undo that
				continue
			}
			it.UpdatedAt = now
			switch out.Kind {
			case OutcomeSynced:
				it.State, it.SyncedAt, it.HubReceivedAt = StateSynced, &now, out.HubReceivedAt
				it.BytesDone, it.NextTry, it.Manual, it.Code, it.Reason = it.Bytes, time.Time{}, false, "", ""
				if err := x.Delete(queueKey(&it)); err != nil {
					return err
				}
			case OutcomeRetry:
				it.Attempts++
				it.State, it.Code, it.Reason = StateError, out.Code, out.Reason
				if it.Attempts >= o.policy.MaxAttempts {
					it.Manual, it.NextTry = true, time.Time{}
				} else {
					it.NextTry = now.Add(o.policy.Delay(it.Attempts, o.rand()))
				}
			case OutcomePark:
				it.Attempts++
				it.State, it.Code, it.Reason, it.NextTry, it.Manual = StateParked, out.Code, out.Reason, time.Time{}, false
			case OutcomeRelease:
				if it.State == StateUploading {
					it.State = StatePending
				}
				it.Code, it.Reason = out.Code, out.Reason
			default:
				return fmt.Errorf("outbox: unknown outcome %d for %s", out.Kind, out.ID)
			}
			if err := x.SetJSON(store.KeyOutbox(did, seq), it); err != nil {
				return err
			}
			saved = append(saved, it)
		}
		return nil
	})
	return saved, err
}

// Retry is the clerk's "Gửi lại": a parked or waiting item (and, through
// ordering, the items behind it) goes back to pending with its attempts
// reset. Retrying a pending or synced item changes nothing.
func (o *Outbox) Retry(id string) (Item, error) {
	var out Item
	now := o.now()
	err := o.update([]string{id}, func(it *Item) error {
		if it.State == StateParked || it.State == StateError {
			it.State, it.Attempts, it.NextTry, it.Manual, it.UpdatedAt = StatePending, 0, time.Time{}, false, now
			it.Code, it.Reason = "", ""
		}
		out = *it
		return nil
	})
	return out, err
}

// RetryWhere re-queues every parked or waiting item whose Code is in codes
// (for example after the device is enrolled again) and returns how many.
func (o *Outbox) RetryWhere(codes ...string) (int, error) {
	want := map[string]bool{}
	for _, c := range codes {
		want[c] = true
	}
	now := o.now()
	n := 0
	err := o.st.Update(func(x *store.Txn) error {
		n = 0
		var hit []Item
		err := o.walkQueue(x, func(it Item) (bool, error) {
			if (it.State == StateParked || it.State == StateError) && want[it.Code] {
				hit = append(hit, it)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, it := range hit {
			it.State, it.Attempts, it.NextTry, it.Manual, it.UpdatedAt = StatePending, 0, time.Time{}, false, now
			it.Code, it.Reason = "", ""
			if err := x.SetJSON(store.KeyOutbox(it.DossierID, it.Seq), it); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

func (o *Outbox) walkQueue(x *store.Txn, fn func(Item) (bool, error)) error {
	return x.Scan(store.PrefixOutboxQueue(), nil, false, true, func(key, _ []byte) (bool, error) {
		did, seq, ok := store.OutboxQueueItem(key)
		if !ok {
			return true, nil
		}
		it, err := load(x, did, seq)
		if errors.Is(err, ErrNotFound) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		return fn(it)
	})
}
