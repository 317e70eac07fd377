package reception

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"motcua/app/catalog"
	"motcua/app/office"
	"motcua/app/store"
)

func TestCatalogImportMergeAndPersist(t *testing.T) {
	f := newFixture(t, "2026-11-18 09:00")
	ctx := context.Background()
	cur := f.svc.Catalog()
	raw, _ := cur.Marshal()
	next, _ := catalog.Parse(bytes.NewReader(raw))
	next.Version = cur.Version + 1
	var dropped string
	for i, p := range next.Procedures {
		if p.Code == "2.000884" {
			dropped = p.Code
			next.Procedures = append(next.Procedures[:i], next.Procedures[i+1:]...)
			break
		}
	}
	nraw, _ := next.Marshal()
	got, err := f.svc.ImportCatalog(ctx, bytes.NewReader(nraw), true, clerk)
	if err != nil {
		t.Fatal(err)
	}
	p, err := got.Lookup(dropped)
	if err != nil || p.Active {
		t.Fatalf("merge should keep %s inactive: %+v %v", dropped, p, err)
	}
	// An older version and garbage are refused and change nothing.
	if _, err := f.svc.ImportCatalog(ctx, bytes.NewReader(raw), true, clerk); !errors.Is(err, catalog.ErrOlderVersion) {
		t.Fatalf("older: %v", err)
	}
	if _, err := f.svc.ImportCatalog(ctx, bytes.NewReader([]byte(`{"version":99}`)), false, clerk); err == nil {
		t.Fatal("garbage imported")
	}
	if f.svc.Catalog().Version != next.Version {
		t.Fatal("failed import changed the catalog")
	}
	// A reception for the retired procedure is refused.
	_, _, err = f.svc.Receive(ctx, reception(dropped), clerk)
	if ve, ok := Problems(err); !ok || ve.Fields["procedureCode"] != ProblemInactive {
		t.Fatalf("retired procedure: %v", err)
	}
	// The installed catalog survives a restart.
	f.st.Close()
	st, err := store.Open(store.Options{Dir: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := New(st, office.NewService(st), WithClock(f.clk.now))
	if err != nil || svc.Catalog().Version != next.Version {
		t.Fatalf("after reopen: %v", err)
	}
}

func TestAdminEditsAProcedure(t *testing.T) {
	f := newFixture(t, "2026-11-18 09:00") // Wednesday
	ctx := context.Background()
	p, _ := f.svc.Catalog().Lookup("2.000815")
	p.ProcessingTime.Duration = catalog.Duration{Amount: 2, Unit: catalog.WorkingDays}
	p.ProcessingTime.Provisional, p.ProcessingTime.Note = true, "Tỉnh quy định 02 ngày làm việc"
	if _, err := f.svc.SaveProcedure(ctx, p, clerk); err != nil {
		t.Fatal(err)
	}
	d := f.receive(t, reception("2.000815"))
	if !d.DueAt.Equal(at("2026-11-20 09:00")) {
		t.Fatalf("due after edit %v", d.DueAt.In(ict))
	}
	bad := p
	bad.Name = ""
	if _, err := f.svc.SaveProcedure(ctx, bad, clerk); err == nil {
		t.Fatal("invalid procedure saved")
	}
	if q, _ := f.svc.Catalog().Lookup("2.000815"); q.Name == "" {
		t.Fatal("invalid edit installed")
	}
}
