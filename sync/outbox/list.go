package outbox

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"motcua/app/store"
)

func randFloat() float64 { return rand.Float64() }

// ListQuery selects items for the Outbox screen.
type ListQuery struct {
	// All lists every item, synced ones included, newest dossier first;
	// otherwise only the unsynced items, in send order.
	All    bool
	Limit  int    // default 50, at most 500
	Cursor string // from the previous Page
}

// Page is one page of items.
type Page struct {
	Items []Item
	Next  string // cursor of the next page; empty at the end
}

// ErrBadCursor is returned for a cursor this package did not hand out.
var ErrBadCursor = errors.New("invalid outbox cursor")

// List returns a page of items.
func (o *Outbox) List(q ListQuery) (Page, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 500)
	prefix := store.PrefixOutboxQueue()
	if q.All {
		prefix = store.PrefixOutbox()
	}
	var from []byte
	if q.Cursor != "" {
		k, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || len(k) < 2 || k[0] != prefix[0] {
			return Page{}, fmt.Errorf("%w: %q", ErrBadCursor, q.Cursor)
		}
		from = k
	}
	page := Page{Items: []Item{}}
	err := o.st.View(func(x *store.Txn) error {
		return x.Scan(prefix, from, q.All, !q.All, func(key, val []byte) (bool, error) {
			if len(page.Items) == q.Limit {
				page.Next = base64.RawURLEncoding.EncodeToString(key)
				return false, nil
			}
			var (
				it  Item
				err error
			)
			if q.All {
				err = decodeItem(val, &it)
			} else {
				did, seq, ok := store.OutboxQueueItem(key)
				if !ok {
					return true, nil
				}
				it, err = load(x, did, seq)
				if errors.Is(err, ErrNotFound) {
					return true, nil
				}
			}
			if err != nil {
				return false, err
			}
			page.Items = append(page.Items, it)
			return true, nil
		})
	})
	return page, err
}

// Counts summarises the unsynced items.
type Counts struct {
	Pending   int   `json:"pending"` // waiting for their turn, or for the hub to answer
	Uploading int   `json:"uploading"`
	Retrying  int   `json:"retrying"` // failed, will retry by themselves
	Waiting   int   `json:"waiting"`  // automatic retries used up: waiting for Gửi lại
	Parked    int   `json:"parked"`   // refused by the hub: a person must act
	BytesLeft int64 `json:"bytesLeft"`
	// Oldest is when the oldest unsynced item was queued (zero when none).
	Oldest time.Time `json:"oldest,omitzero"`
}

// Unsynced is every item the hub has not accepted yet.
func (c Counts) Unsynced() int { return c.Pending + c.Uploading + c.Retrying + c.Waiting + c.Parked }

// Counts walks the unsynced items.
func (o *Outbox) Counts() (Counts, error) {
	var c Counts
	err := o.st.View(func(x *store.Txn) error {
		return o.walkQueue(x, func(it Item) (bool, error) {
			if c.Oldest.IsZero() {
				c.Oldest = it.EnqueuedAt
			}
			c.BytesLeft += it.BytesLeft()
			switch {
			case it.State == StateUploading:
				c.Uploading++
			case it.State == StateParked:
				c.Parked++
			case it.State == StateError && it.Manual:
				c.Waiting++
			case it.State == StateError:
				c.Retrying++
			default:
				c.Pending++
			}
			return true, nil
		})
	})
	return c, err
}

// Purge deletes synced items synced before cutoff and returns how many. The
// dossiers' sequence counters stay, so numbering never restarts.
func (o *Outbox) Purge(cutoff time.Time) (int, error) {
	n := 0
	err := o.st.Update(func(x *store.Txn) error {
		n = 0
		var old [][]byte
		err := x.Scan(store.PrefixOutbox(), nil, false, false, func(key, val []byte) (bool, error) {
			var it Item
			if err := decodeItem(val, &it); err != nil {
				return false, err
			}
			if it.State == StateSynced && it.SyncedAt != nil && it.SyncedAt.Before(cutoff) {
				old = append(old, append([]byte(nil), key...))
			}
			// One transaction stays well under Badger's size limit.
			return len(old) < 10000, nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := x.Delete(k); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

func decodeItem(val []byte, it *Item) error {
	if err := json.Unmarshal(val, it); err != nil {
		return fmt.Errorf("decode outbox item: %w", err)
	}
	return nil
}
