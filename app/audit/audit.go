// Package audit keeps the append-only, hash-chained audit log. Every write
// use case appends an entry in the same transaction as its change; each
// entry carries the hash of the one before, so editing, inserting or
// deleting an entry breaks the chain at that point and Verify finds it.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"motcua/app/store"
	"motcua/sync/wire"
)

// Entry is one audited action. It is the wire's AuditEntry, so the desk
// and the hub hash an entry with one function (wire.AuditEntry.ComputeHash)
// and the chain the desk writes is the chain the hub checks.
type Entry = wire.AuditEntry

type head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// genesis is the Prev of the first entry.
const genesis = wire.AuditGenesis

// Digest returns the SHA-256 hex of a stored document, for Before/After.
func Digest(doc []byte) string {
	if doc == nil {
		return ""
	}
	s := sha256.Sum256(doc)
	return hex.EncodeToString(s[:])
}

// Append adds e to the chain inside x, filling Seq, Prev and Hash.
func Append(x *store.Txn, e Entry) (Entry, error) {
	var h head
	err := x.GetJSON(store.KeyAuditHead(), &h)
	switch {
	case errors.Is(err, store.ErrNotFound):
		h = head{Seq: 0, Hash: genesis}
	case err != nil:
		return Entry{}, fmt.Errorf("audit head: %w", err)
	}
	e.Seq = h.Seq + 1
	e.Prev = h.Hash
	e.At = e.At.UTC()
	e.Hash = e.ComputeHash()
	if err := x.SetJSON(store.KeyAudit(e.Seq), e); err != nil {
		return Entry{}, err
	}
	if err := x.SetJSON(store.KeyAuditHead(), head{Seq: e.Seq, Hash: e.Hash}); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// Head returns the seq and hash of the chain's last entry (0 and the
// genesis hash for an empty chain).
func Head(st *store.Store) (uint64, string, error) {
	h := head{Hash: genesis}
	err := st.View(func(x *store.Txn) error { return x.GetJSON(store.KeyAuditHead(), &h) })
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, "", fmt.Errorf("audit head: %w", err)
	}
	return h.Seq, h.Hash, nil
}

// Since returns up to limit entries after seq, in order, as they are
// stored (the hub checks them; Verify is the local check). It stops before
// a missing entry; an entry that cannot be read is an error.
func Since(st *store.Store, seq uint64, limit int) ([]Entry, error) {
	var out []Entry
	err := st.View(func(x *store.Txn) error {
		want := seq + 1
		return x.Scan(store.PrefixAudit(), store.KeyAudit(want), false, false, func(_, val []byte) (bool, error) {
			var e Entry
			if err := json.Unmarshal(val, &e); err != nil {
				return false, fmt.Errorf("audit entry %d is not readable: %w", want, err)
			}
			if e.Seq != want {
				return false, nil
			}
			out = append(out, e)
			want++
			return len(out) < limit, nil
		})
	})
	return out, err
}

// Report is the outcome of Verify.
type Report struct {
	Entries int `json:"entries"`
	// BrokenAt is the sequence number of the first entry that does not
	// verify, 0 when the chain is intact.
	BrokenAt uint64 `json:"brokenAt,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// OK reports whether the chain verified.
func (r Report) OK() bool { return r.BrokenAt == 0 && r.Reason == "" }

// Verify walks the whole chain and reports the first broken link.
func Verify(st *store.Store) (Report, error) {
	var r Report
	err := st.View(func(x *store.Txn) error {
		prev := genesis
		var want uint64 = 1
		err := x.Scan(store.PrefixAudit(), nil, false, false, func(key, val []byte) (bool, error) {
			var e Entry
			if err := json.Unmarshal(val, &e); err != nil {
				r.BrokenAt, r.Reason = want, "entry is not readable"
				return false, nil
			}
			switch {
			case e.Seq != want:
				r.BrokenAt, r.Reason = want, fmt.Sprintf("entry %d missing (found %d)", want, e.Seq)
			case e.Prev != prev:
				r.BrokenAt, r.Reason = e.Seq, "link to the previous entry does not match"
			case e.ComputeHash() != e.Hash:
				r.BrokenAt, r.Reason = e.Seq, "entry content does not match its hash"
			}
			if r.BrokenAt != 0 {
				return false, nil
			}
			r.Entries++
			prev = e.Hash
			want++
			return true, nil
		})
		if err != nil || r.BrokenAt != 0 {
			return err
		}
		var h head
		err = x.GetJSON(store.KeyAuditHead(), &h)
		if errors.Is(err, store.ErrNotFound) {
			if r.Entries > 0 {
				r.BrokenAt, r.Reason = uint64(r.Entries), "chain head is missing"
			}
			return nil
		}
		if err != nil {
			return err
		}
		if h.Seq != uint64(r.Entries) || h.Hash != prev {
			r.BrokenAt, r.Reason = h.Seq, "chain head does not match the last entry (entries removed at the end?)"
		}
		return nil
	})
	return r, err
}

type actorKey struct{}

// Who is the person behind a request, for use cases whose signature does
// not carry one.
type Who struct {
	ID   string
	Role string
}

// WithActor records who is acting in ctx; the API edge sets it after login.
func WithActor(ctx context.Context, w Who) context.Context {
	return context.WithValue(ctx, actorKey{}, w)
}

// ActorFrom returns who is acting, or "local" (the desk itself: first run,
// command-line tools) when nobody logged in.
func ActorFrom(ctx context.Context) Who {
	if w, ok := ctx.Value(actorKey{}).(Who); ok && w.ID != "" {
		return w
	}
	return Who{ID: "local"}
}
