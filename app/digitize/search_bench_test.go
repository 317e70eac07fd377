package digitize

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"motcua/app/dossier"
	"motcua/app/office"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/internal/scantest"
	"motcua/scanning"
)

// The search benchmark seeds an encrypted store with dossiers (through the
// reception use case) and OCR'd pages (page records and index postings as
// storePage writes them, without running OCR), then times the one search
// box: dossiers and applicants plus OCR text, as GET /api/search does.
//
//	MOTCUA_BENCH_DOSSIERS=100000 MOTCUA_BENCH_PAGES=200000 \
//	  go test -run '^$' -bench Search -benchtime 200x -timeout 2h ./app/digitize
//
// Defaults are small so that `go test -bench .` stays quick.

type searchBench struct {
	dir string
	st  *store.Store
	rec *reception.Service
	svc *Service
}

var (
	benchCleanup = func() {}
	benchOnce    sync.Once
	benchEnv     *searchBench
	benchErr     error
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

var (
	benchSurnames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	benchMiddle   = []string{"Văn", "Thị", "Minh", "Đức", "Thanh", "Ngọc", "Hữu", "Quốc", "Thu", "Hoài", "Gia", "Bảo"}
	benchGiven    = []string{"An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hương", "Khôi", "Lan", "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"}
)

func benchName(r *rand.Rand) string {
	return benchSurnames[r.IntN(len(benchSurnames))] + " " + benchMiddle[r.IntN(len(benchMiddle))] + " " + benchGiven[r.IntN(len(benchGiven))]
}

// benchPageText is a page of an old register or a dossier paper: corpus
// lines, two names, an ID number, a date and a register number.
func benchPageText(r *rand.Rand, i int) string {
	lines := scantest.Page(i%97, 10)
	lines = append(lines,
		"Họ và tên: "+benchName(r)+". Cha: "+benchName(r)+".",
		fmt.Sprintf("Số định danh cá nhân: %03d%09d. Ngày %d tháng %d năm %d.", r.IntN(96), r.IntN(1_000_000_000), 1+r.IntN(28), 1+r.IntN(12), 1950+r.IntN(76)),
		fmt.Sprintf("Số đăng ký: %d/%d, quyển số %02d.", r.IntN(5000), 1980+r.IntN(46), r.IntN(40)))
	return strings.Join(lines, "\n")
}

func setupSearchBench() (*searchBench, error) {
	dossiers := envInt("MOTCUA_BENCH_DOSSIERS", 2000)
	pages := envInt("MOTCUA_BENCH_PAGES", 4000)
	// MOTCUA_BENCH_DIR keeps the seeded store for the next run (seeding
	// 200,000 pages takes minutes); without it the store is a temp dir.
	dir := os.Getenv("MOTCUA_BENCH_DIR")
	reuse := false
	if dir != "" {
		_, err := os.Stat(filepath.Join(dir, "db"))
		reuse = err == nil
	} else {
		var err error
		if dir, err = os.MkdirTemp("", "motcua-search-bench-"); err != nil {
			return nil, err
		}
		benchCleanup = func() { os.RemoveAll(dir) }
	}
	var err error
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := &searchBench{dir: dir}
	open := func(nosync bool) error {
		// MOTCUA_BENCH_PLAIN=1 measures without encryption at rest, for
		// its cost; the desk always encrypts.
		key := testKey
		if os.Getenv("MOTCUA_BENCH_PLAIN") == "1" {
			key = nil
		}
		b.st, err = store.Open(store.Options{Dir: filepath.Join(dir, "db"), EncryptionKey: key, Logger: quiet, UnsafeNoSync: nosync})
		if err != nil {
			return err
		}
		off := office.NewService(b.st)
		s := office.Defaults()
		s.ParentAgency, s.UnitName, s.CommuneName, s.AgencyCode = "UBND xã An Bình", "Bộ phận một cửa xã An Bình", "An Bình", "000.00.06.H56"
		if _, err := off.Save(context.Background(), s); err != nil {
			return err
		}
		if b.rec, err = reception.New(b.st, off); err != nil {
			return err
		}
		b.svc, err = New(b.st, nil, nil, b.rec, Options{TempDir: filepath.Join(dir, "tmp"), Logger: quiet})
		return err
	}
	if reuse {
		fmt.Fprintf(os.Stderr, "reusing the seeded store in %s\n", dir)
		return b, open(false)
	}
	if err := open(true); err != nil {
		return nil, err
	}
	start := time.Now()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range dossiers {
		_, _, err := b.rec.Receive(context.Background(), reception.Reception{
			RequestID: fmt.Sprintf("bench-%010d", i), ProcedureCode: []string{"2.000815", "1.001193", "2.000884"}[i%3],
			Applicant: reception.ApplicantInput{Kind: dossier.ApplicantPerson, Name: benchName(r),
				IDNumber: fmt.Sprintf("0011900%05d", i%100000), Address: "Thôn Đông, xã An Bình", Phone: fmt.Sprintf("09%08d", i)},
			Components: []reception.Component{{Name: "Tờ khai", Originals: 1}},
			Outcome:    reception.OutcomeComplete,
		}, reception.Actor{ID: "bench", Role: "clerk"})
		if err != nil {
			return nil, fmt.Errorf("seed dossier %d: %w", i, err)
		}
	}
	seededDossiers := time.Since(start)
	// Pages: 20-page jobs, one transaction each.
	const perJob = 20
	now := time.Now()
	for p := 0; p < pages; p += perJob {
		job := Job{ID: fmt.Sprintf("01900000-0000-7000-8000-%012d", p/perJob), Name: fmt.Sprintf("so-dang-ky-%05d.pdf", p/perJob),
			Kind: scanning.KindPDF, State: StateDone, CreatedAt: now}
		var texts []string
		for q := p; q < min(p+perJob, pages); q++ {
			texts = append(texts, benchPageText(r, q))
		}
		if err := storeOCRJob(b.st, job, texts); err != nil {
			return nil, fmt.Errorf("seed pages: %w", err)
		}
	}
	fmt.Fprintf(os.Stderr, "seeded %d dossiers in %s, %d pages in %s\n", dossiers, seededDossiers.Round(time.Second),
		pages, (time.Since(start) - seededDossiers).Round(time.Second))
	b.st.Close()
	// Measure on a durable store, as the desk runs.
	if err := open(false); err != nil {
		return nil, err
	}
	return b, nil
}

func BenchmarkSearch(b *testing.B) {
	benchOnce.Do(func() { benchEnv, benchErr = setupSearchBench() })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	b.Cleanup(func() {
		benchEnv.st.Close()
		benchCleanup()
	})
	queries := []struct{ name, q string }{
		{"common phrase", "giay khai sinh"},
		{"name", "tran minh khoi"},
		{"ID number prefix", "0011900"},
		{"common word", "xa"},
		{"word being typed", "nguyen thi huo"},
		{"register number", "quyen so 12"},
		{"no match", "khong co tu nay"},
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			var ds, dossiers, pages []time.Duration
			found, hits, partial := 0, 0, 0
			for b.Loop() {
				t0 := time.Now()
				// What GET /api/search does: dossiers, then pages.
				page, err := benchEnv.rec.List(context.Background(), reception.ListQuery{List: "all", Q: q.q, Limit: 20})
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				h, part, err := benchEnv.svc.Search(context.Background(), q.q, 20)
				if err != nil {
					b.Fatal(err)
				}
				found, hits = len(page.Items), len(h)
				if part || (page.Next != "" && len(page.Items) < 20) {
					partial++
				}
				t2 := time.Now()
				ds, dossiers, pages = append(ds, t2.Sub(t0)), append(dossiers, t1.Sub(t0)), append(pages, t2.Sub(t1))
			}
			pct := func(d []time.Duration, p int) float64 {
				slices.Sort(d)
				return float64(d[len(d)*p/100].Microseconds()) / 1000
			}
			b.ReportMetric(pct(ds, 50), "p50-ms")
			b.ReportMetric(pct(ds, 95), "p95-ms")
			b.ReportMetric(pct(ds, 99), "p99-ms")
			b.ReportMetric(pct(dossiers, 95), "dossiers-p95-ms")
			b.ReportMetric(pct(pages, 95), "pages-p95-ms")
			// What the clerk sees on the first page, and how often the
			// answer stopped at the budget ("tìm tiếp").
			b.ReportMetric(float64(found), "dossiers")
			b.ReportMetric(float64(hits), "page-hits")
			b.ReportMetric(float64(partial)/float64(len(ds)), "partial")
		})
	}
}
