package digitize

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"motcua/app/store"
	"motcua/internal/scantest"
)

// Listing archive batches counts the pages waiting for review from the
// jobs' counters, kept where pages are stored and reviewed; they agree with
// a reading of every page, before and after reviews, a review repeated,
// and for a job begun before the counters (read page by page).
func TestReviewCountsKeptWithPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Every OCR'd page is under a bar this high: all wait for review.
	f.svc.opts.LowConfidence = 99.9
	batch, err := f.svc.CreateBatch(ctx, BatchInput{Name: "Sổ hộ tịch 1995", RecordType: "Sổ đăng ký khai sinh",
		OrganName: "UBND xã An Bình", Year: 1995}, operator)
	if err != nil {
		t.Fatal(err)
	}
	pages := make([][]string, 3)
	for i := range pages {
		pages[i] = append([]string{fmt.Sprintf("TRANG SỐ %d", i+1)}, scantest.Page(i, 3)...)
	}
	job, _, err := f.svc.Import(ctx, bytes.NewReader(scan(t, pages, nil, 200)), "so-1995.pdf", ImportOptions{BatchID: batch.ID}, operator)
	if err != nil {
		t.Fatal(err)
	}
	j := f.runUntil(t, job.ID)[job.ID]
	if !j.ReviewCounted || j.ToReview != 3 || j.OCRPages != 3 {
		t.Fatalf("job after run: counted %v, to review %d, OCR'd %d", j.ReviewCounted, j.ToReview, j.OCRPages)
	}
	check := func(want int) {
		t.Helper()
		bs, err := f.svc.Batches(ctx)
		if err != nil || len(bs) != 1 {
			t.Fatalf("batches %+v %v", bs, err)
		}
		review, err := f.svc.Review(ctx, batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if bs[0].LowConfidence != want || len(review) != want {
			t.Fatalf("batch lists %d to review, the review pane %d, want %d", bs[0].LowConfidence, len(review), want)
		}
	}
	check(3)
	if _, err := f.svc.CorrectText(ctx, job.ID, 2, "TRANG SỐ 2 — đã soát", operator); err != nil {
		t.Fatal(err)
	}
	check(2)
	// Reviewing the same page again counts nothing twice.
	if _, err := f.svc.CorrectText(ctx, job.ID, 2, "TRANG SỐ 2 — đã soát lại", operator); err != nil {
		t.Fatal(err)
	}
	check(2)

	// A job stored by a version without the counters is read page by page.
	j, _, err = f.svc.Get(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	j.ReviewCounted, j.ToReview = false, 0
	if err := f.st.Update(func(x *store.Txn) error { return f.svc.saveJob(x, &j) }); err != nil {
		t.Fatal(err)
	}
	check(2)
	if _, err := f.svc.CorrectText(ctx, job.ID, 1, "TRANG SỐ 1", operator); err != nil {
		t.Fatal(err)
	}
	check(1)
}
