package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"motcua/app/store"
)

func chain(t *testing.T, n int) *store.Store {
	t.Helper()
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i := 0; i < n; i++ {
		err := st.Update(func(x *store.Txn) error {
			_, err := Append(x, Entry{At: time.Now(), Actor: "canbo1", Action: "receive",
				Object: fmt.Sprintf("dossier/%d", i), After: Digest([]byte{byte(i)})})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestIntactChainVerifies(t *testing.T) {
	st := chain(t, 20)
	r, err := Verify(st)
	if err != nil || !r.OK() || r.Entries != 20 {
		t.Fatalf("%+v %v", r, err)
	}
}

func edit(t *testing.T, st *store.Store, seq uint64, f func(*Entry)) {
	t.Helper()
	err := st.Update(func(x *store.Txn) error {
		var e Entry
		if err := x.GetJSON(store.KeyAudit(seq), &e); err != nil {
			return err
		}
		f(&e)
		b, _ := json.Marshal(e)
		return x.Set(store.KeyAudit(seq), b)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTamperingIsFoundAtTheFirstBrokenLink(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, st *store.Store)
		broken uint64
	}{
		{"edited content", func(t *testing.T, st *store.Store) {
			edit(t, st, 7, func(e *Entry) { e.Actor = "ke_gian" })
		}, 7},
		{"edited and rehashed", func(t *testing.T, st *store.Store) {
			edit(t, st, 5, func(e *Entry) { e.Summary = "sửa"; e.Hash = e.ComputeHash() })
		}, 6},
		{"deleted in the middle", func(t *testing.T, st *store.Store) {
			st.Update(func(x *store.Txn) error { return x.Delete(store.KeyAudit(3)) })
		}, 3},
		{"deleted at the end", func(t *testing.T, st *store.Store) {
			st.Update(func(x *store.Txn) error { return x.Delete(store.KeyAudit(10)) })
		}, 10},
		{"garbage", func(t *testing.T, st *store.Store) {
			st.Update(func(x *store.Txn) error { return x.Set(store.KeyAudit(2), []byte("{")) })
		}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := chain(t, 10)
			c.tamper(t, st)
			r, err := Verify(st)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() || r.BrokenAt != c.broken {
				t.Fatalf("got %+v, want broken at %d", r, c.broken)
			}
		})
	}
}

func TestActorFromContext(t *testing.T) {
	if w := ActorFrom(context.Background()); w.ID != "local" {
		t.Fatalf("no actor: %+v", w)
	}
	ctx := WithActor(context.Background(), Who{ID: "u7", Role: "admin"})
	if w := ActorFrom(ctx); w.ID != "u7" || w.Role != "admin" {
		t.Fatalf("%+v", w)
	}
}

func TestHeadAndSince(t *testing.T) {
	st := chain(t, 0)
	if seq, hash, err := Head(st); err != nil || seq != 0 || hash != genesis {
		t.Fatalf("empty chain: %d %s %v", seq, hash, err)
	}
	st = chain(t, 12)
	seq, hash, err := Head(st)
	if err != nil || seq != 12 {
		t.Fatalf("head %d %v", seq, err)
	}
	all, err := Since(st, 0, 100)
	if err != nil || len(all) != 12 || all[11].Hash != hash || all[0].Prev != genesis {
		t.Fatalf("since 0: %d entries, %v", len(all), err)
	}
	page, err := Since(st, 4, 5)
	if err != nil || len(page) != 5 || page[0].Seq != 5 || page[4].Seq != 9 || page[0].Prev != all[3].Hash {
		t.Fatalf("since 4 limit 5: %+v %v", page, err)
	}
	if rest, err := Since(st, 12, 10); err != nil || len(rest) != 0 {
		t.Fatalf("past the head: %v %v", rest, err)
	}
	// A missing entry stops the page before it; garbage is an error.
	st.Update(func(x *store.Txn) error { return x.Delete(store.KeyAudit(7)) })
	if got, err := Since(st, 4, 10); err != nil || len(got) != 2 {
		t.Fatalf("gap at 7: %d entries, %v", len(got), err)
	}
	if got, _ := Since(st, 6, 10); len(got) != 0 {
		t.Fatalf("page starting at the gap: %d entries", len(got))
	}
	st.Update(func(x *store.Txn) error { return x.Set(store.KeyAudit(9), []byte("{")) })
	if _, err := Since(st, 7, 10); err == nil {
		t.Fatal("an unreadable entry was skipped silently")
	}
}

// Chains written before the entry hash moved to sync/wire still verify:
// the hash of a known entry is the one app/audit computed then.
func TestEntryHashIsUnchanged(t *testing.T) {
	e := Entry{Seq: 1, At: time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC), Actor: "local", Action: "ack_recovery_key", Object: "vault", Prev: genesis}
	if got := e.ComputeHash(); got != "ba92e829684a3c1aa533c8846b009da04b0184f422aff351acd90779af444a0d" {
		t.Fatalf("entry hash changed: %s", got)
	}
}
