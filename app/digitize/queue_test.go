package digitize

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"motcua/internal/scantest"
)

// TestDossierScanGoesFirst: an archive register is being digitised when
// the desk imports a dossier's scan. The register gives way after the page
// it is on, the dossier's scan is done first, and the register then resumes
// at its first page not stored and completes with every page exactly once.
func TestDossierScanGoesFirst(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	batch, err := f.svc.CreateBatch(ctx, BatchInput{Name: "Sổ khai sinh 1998", RecordType: "Sổ đăng ký khai sinh",
		OrganName: "UBND xã An Bình", Year: 1998}, operator)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	register := make([][]string, n)
	for i := range register {
		register[i] = append([]string{fmt.Sprintf("TRANG SỐ %d — sổ đăng ký khai sinh", i+1)}, scantest.Page(i, 4)...)
	}
	long, _, err := f.svc.Import(ctx, bytes.NewReader(scan(t, register, nil, 200)), "so-khai-sinh-1998.pdf",
		ImportOptions{BatchID: batch.ID}, operator)
	if err != nil {
		t.Fatal(err)
	}
	d := f.receive(t)
	desk := scan(t, [][]string{{"ĐƠN ĐỀ NGHỊ", "Người đề nghị: Nguyễn Thị Hương"}}, nil, 200)

	// The dossier's scan arrives while the register's page 2 is being
	// stored: the runner is in the middle of the register.
	var short Job
	var importErr error
	onPage := f.svc.opts.OnPage
	f.svc.opts.OnPage = func(job string, page, pages int) {
		onPage(job, page, pages)
		if job == long.ID && page == 2 {
			if c := f.checkCounts(t); c != (Counts{Running: 1}) {
				t.Errorf("counts while the register runs: %+v", c)
			}
			short, _, importErr = f.svc.Import(ctx, bytes.NewReader(desk), "don-de-nghi.pdf",
				ImportOptions{DossierID: d.ID, Component: "Bản chính giấy khai sinh"}, operator)
		}
	}
	l := f.runUntil(t, long.ID)[long.ID]
	if importErr != nil {
		t.Fatal(importErr)
	}
	s, _, err := f.svc.Get(ctx, short.ID)
	if err != nil {
		t.Fatal(err)
	}

	want := []string{long.ID + "/1", long.ID + "/2", short.ID + "/1"}
	for i := 3; i <= n; i++ {
		want = append(want, fmt.Sprintf("%s/%d", long.ID, i))
	}
	f.mu.Lock()
	got := slices.Clone(f.stored)
	f.mu.Unlock()
	if !slices.Equal(got, want) {
		t.Errorf("pages stored in the order\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s.State != StateDone || l.State != StateDone {
		t.Fatalf("dossier scan %s, register %s", s.State, l.State)
	}
	if c := f.checkCounts(t); c != (Counts{Done: 2}) {
		t.Errorf("counts at the end: %+v", c)
	}
	if jobs, c, err := f.svc.List(ctx, ListQuery{BatchID: batch.ID}); err != nil || len(jobs) != 1 || jobs[0].ID != long.ID || c != (Counts{Done: 1}) {
		t.Errorf("batch list: %+v %+v %v", jobs, c, err)
	}
	if !s.FinishedAt.Before(*l.FinishedAt) {
		t.Errorf("dossier scan finished at %v, register at %v", s.FinishedAt, l.FinishedAt)
	}
	if l.Pages != n || l.Done != n || l.PDFPages != n {
		t.Errorf("register: pages %d done %d pdfPages %d, want %d", l.Pages, l.Done, l.PDFPages, n)
	}
	_, pages, err := f.svc.Get(ctx, long.ID)
	if err != nil || len(pages) != n {
		t.Fatalf("register has %d page records: %v", len(pages), err)
	}
	pdf := f.pdf(t, long.ID)
	for i, p := range pages {
		if p.N != i+1 || p.PDFPage != i+1 {
			t.Errorf("page record %d: n=%d pdfPage=%d", i+1, p.N, p.PDFPage)
		}
		if want := fmt.Sprintf("TRANG SỐ %d", i+1); !strings.Contains(scantest.Normalize(pdftotext(t, pdf, i+1)), want) {
			t.Errorf("register PDF page %d lacks %q", i+1, want)
		}
	}
	if hits, _, _ := f.svc.Search(ctx, "trang so", 50); len(hits) != n {
		t.Errorf("index has %d register pages for a word on every page, want %d", len(hits), n)
	}
}
