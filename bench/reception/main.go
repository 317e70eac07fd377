// Command reception measures the desk's hot paths on a real store:
// receiving one dossier (validation, numbering, due date, durable write,
// receipt PDF) and listing/filtering work lists with many dossiers stored.
//
//	go run ./bench/reception -dossiers 100000 -receptions 1000
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"time"

	"motcua/app/dossier"
	"motcua/app/office"
	"motcua/app/reception"
	"motcua/app/store"
)

func main() {
	n := flag.Int("dossiers", 100000, "dossiers to seed before measuring lists")
	receptions := flag.Int("receptions", 1000, "receptions to time")
	queries := flag.Int("queries", 200, "list queries to time per kind")
	flag.BoolVar(&encrypt, "encrypt", false, "encrypt the store at rest, as the desk does")
	flag.Parse()
	if err := run(*n, *receptions, *queries); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

var encrypt bool

var actor = reception.Actor{ID: "bench", Name: "Cán bộ", Role: "clerk"}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func input(i int) reception.Reception {
	procs := []string{"2.000815", "2.000884", "1.001193", "2.001035", "1.004873"}
	names := []string{"Nguyễn Thị Hương", "Trần Văn Bình", "Lê Minh Châu", "Phạm Đức Anh", "Hoàng Thu Trang"}
	return reception.Reception{
		RequestID:     fmt.Sprintf("bench-%010d", i),
		ProcedureCode: procs[i%len(procs)],
		Applicant: reception.ApplicantInput{Kind: dossier.ApplicantPerson, Name: names[i%len(names)],
			IDNumber: fmt.Sprintf("0011900%05d", i%100000), Address: "Thôn Đông, xã An Bình", Phone: fmt.Sprintf("09%08d", i)},
		Components: []reception.Component{{Name: "Tờ khai", Originals: 1}, {Name: "Bản sao giấy tờ", Copies: 2}},
		Outcome:    reception.OutcomeComplete,
	}
}

func open(dir string, nosync bool, clk *clock) (*store.Store, *reception.Service, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var key []byte
	if encrypt {
		key = bytes.Repeat([]byte{7}, 32)
	}
	st, err := store.Open(store.Options{Dir: dir, UnsafeNoSync: nosync, Logger: quiet, EncryptionKey: key})
	if err != nil {
		return nil, nil, err
	}
	off := office.NewService(st)
	s := office.Defaults()
	s.ParentAgency, s.UnitName, s.CommuneName, s.AgencyCode = "UBND xã An Bình", "Trung tâm Phục vụ hành chính công xã An Bình", "An Bình", "000.00.06.H56"
	if _, err := off.Save(context.Background(), s); err != nil {
		return nil, nil, err
	}
	svc, err := reception.New(st, off, reception.WithClock(clk.now))
	return st, svc, err
}

func pct(ds []time.Duration, p float64) time.Duration {
	slices.Sort(ds)
	return ds[int(float64(len(ds)-1)*p)]
}

func row(name string, ds []time.Duration) {
	fmt.Printf("| %s | %d | %.2f | %.2f | %.2f |\n", name, len(ds),
		ms(pct(ds, 0.5)), ms(pct(ds, 0.95)), ms(pct(ds, 0.99)))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func run(n, receptions, queries int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "motcua-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// Seed: n dossiers over ~200 working days, a mix of states.
	clk := &clock{t: time.Date(2026, 1, 5, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))}
	st, svc, err := open(dir, true, clk)
	if err != nil {
		return err
	}
	start := time.Now()
	const lag = 400 // ≈ 5 working days of receptions at this pace
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		clk.t = clk.t.Add(7 * time.Minute)
		if h := clk.t.Hour(); h >= 17 {
			clk.t = clk.t.Add(14 * time.Hour)
		}
		d, _, err := svc.Receive(ctx, input(i), actor)
		if err != nil {
			return fmt.Errorf("seed %d: %w", i, err)
		}
		// Realistic mix: about a week after receipt, 97% of dossiers have
		// their result recorded and returned; the rest stay open (overdue).
		ids = append(ids, d.ID)
		if k := i - lag; k >= 0 && k%33 != 0 {
			id := ids[k]
			if _, _, _, err := svc.Act(ctx, id, reception.ActionInput{RequestID: fmt.Sprintf("bench-rr-%010d", k), Action: dossier.ActionRecordResult}, actor); err != nil {
				return err
			}
			if _, _, _, err := svc.Act(ctx, id, reception.ActionInput{RequestID: fmt.Sprintf("bench-rt-%010d", k),
				Action: dossier.ActionReturnResult, ReturnMethod: dossier.ReturnInPerson, ReceiverName: "Người nhận"}, actor); err != nil {
				return err
			}
		}
	}
	seeded := time.Since(start)
	st.Close()

	// Measure on a durable store, as the desk runs.
	st, svc, err = open(dir, false, clk)
	if err != nil {
		return err
	}
	defer st.Close()
	var rec, recPDF []time.Duration
	for i := 0; i < receptions; i++ {
		clk.t = clk.t.Add(time.Minute)
		t0 := time.Now()
		d, _, err := svc.Receive(ctx, input(n+i), actor)
		if err != nil {
			return err
		}
		t1 := time.Now()
		if _, err := svc.Form(ctx, d.ID, reception.FormReceipt); err != nil {
			return err
		}
		t2 := time.Now()
		rec = append(rec, t1.Sub(t0))
		recPDF = append(recPDF, t2.Sub(t0))
	}
	lists := []struct {
		name string
		q    reception.ListQuery
	}{
		{"list recent (first page of 50)", reception.ListQuery{List: reception.ListRecent}},
		{"list overdue (first page of 50)", reception.ListQuery{List: reception.ListOverdue}},
		{"list due today", reception.ListQuery{List: reception.ListDueToday}},
		{"list ready to return", reception.ListQuery{List: reception.ListReadyToReturn}},
		{"filter all by name \"tran van binh\"", reception.ListQuery{List: reception.ListAll, Q: "tran van binh"}},
		{"filter all by ID number", reception.ListQuery{List: reception.ListAll, Q: "001190012345"}},
	}
	fmt.Printf("Seeded %d dossiers in %s (no fsync, encrypted: %v). %s, %d CPUs.\n\n", n, seeded.Round(time.Second), encrypt, runtime.Version(), runtime.NumCPU())
	fmt.Println("| operation | n | p50 ms | p95 ms | p99 ms |")
	fmt.Println("|---|---|---|---|---|")
	row("receive (durable write)", rec)
	row("receive + receipt PDF", recPDF)
	for _, l := range lists {
		var ds []time.Duration
		for i := 0; i < queries; i++ {
			t0 := time.Now()
			if _, err := svc.List(ctx, l.q); err != nil {
				return err
			}
			ds = append(ds, time.Since(t0))
		}
		row(l.name, ds)
	}
	var cs []time.Duration
	for i := 0; i < queries; i++ {
		t0 := time.Now()
		if _, err := svc.Counts(ctx); err != nil {
			return err
		}
		cs = append(cs, time.Since(t0))
	}
	row("work-list counts", cs)
	return nil
}
