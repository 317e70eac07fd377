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
			edit(t, st, 5, func(e *Entry) { e.Summary = "sửa"; e.Hash = e.computeHash() })
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
