package hub

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"

	"motcua/sync/wire"
)

func pdf(n int) []byte { return append([]byte("%PDF-1.7\n"), randomBytes(n)...) }

// pulledOnce fails unless the commune's pull log holds exactly the changes
// of ids, in that order, each once.
func pulledOnce(t *testing.T, c *client, ids ...string) []wire.Change {
	t.Helper()
	got := c.pull("", wire.MaxPullLimit).Changes
	if len(got) != len(ids) {
		t.Fatalf("pull log has %d changes, want %d: %+v", len(got), len(ids), got)
	}
	for i, ch := range got {
		if ch.ID != ids[i] {
			t.Fatalf("change %d is %s, want %s", i, ch.ID, ids[i])
		}
	}
	return got
}

// TestStaffActions: each action of the web UI records exactly one change
// in the commune's pull log, in the desk's vocabulary; a double submit
// records once; an action on a dossier that moved, or that another
// official took, is refused and records nothing.
func TestStaffActions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.enrol(communeA)
	scan := pdf(4000)
	c.upload(scan, 1<<20)
	d := dossier(communeA, ref(scan))
	if resp, _ := c.push(wire.PushRequest{Dossiers: []wire.Dossier{d}}); !resp.Dossiers[0].Accepted() {
		t.Fatalf("push: %+v", resp.Dossiers[0])
	}
	me, other := e.staffUser("canbo", RoleStaff), e.staffUser("canbo2", RoleStaff)
	act := func(st Staff, expect string) StaffAction {
		return StaffAction{ChangeID: newID(), DossierID: d.ID, ExpectState: expect, Staff: st}
	}

	// Take a received dossier: start_processing, and it is mine.
	take := act(me, "received")
	ch, err := e.srv.Take(ctx, take)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Kind != wire.ChangeStatus || ch.Action != "start_processing" || ch.From != "received" || ch.To != "processing" ||
		ch.NationalStatus != wire.StatusProcessing || ch.Actor != "canbo" || ch.ActorName != me.FullName ||
		ch.Agency == nil || ch.Agency.Code != "H56" || ch.DossierCode != d.Code {
		t.Fatalf("take: %+v", ch)
	}
	if again, err := e.srv.Take(ctx, take); err != nil || again.ID != ch.ID || !again.At.Equal(ch.At) {
		t.Fatalf("double submit: %+v %v", again, err)
	}
	v, err := e.srv.Dossier(ctx, me, d.ID)
	if err != nil || v.State != "processing" || v.TakenByID != me.ID || v.TakenBy != me.FullName || v.TakenAt == nil {
		t.Fatalf("after take: %+v %v", v, err)
	}
	if a := AllowedFor(v, me); a.Take || !a.Result || !a.Supplement || !a.Note {
		t.Fatalf("allowed for the taker: %+v", a)
	}
	if a := AllowedFor(v, other); a.Take || a.Result || a.Supplement || !a.Note {
		t.Fatalf("allowed for another official: %+v", a)
	}
	if _, err := e.srv.Take(ctx, act(other, "processing")); !errors.Is(err, ErrTaken) || !errors.Is(err, ErrConflict) {
		t.Fatalf("second take: %v", err)
	}
	if _, err := e.srv.RequestSupplement(ctx, act(other, "processing"), []string{"Tờ khai"}, "Thiếu"); !errors.Is(err, ErrTaken) {
		t.Fatalf("supplement by another official: %v", err)
	}

	// A note, by anyone; it does not move the dossier.
	note, err := e.srv.AddNote(ctx, act(other, "processing"), "  Đã xác minh nhân thân qua CSDL quốc gia về dân cư. ")
	if err != nil || note.Kind != wire.ChangeNote || note.To != "" || note.Note != "Đã xác minh nhân thân qua CSDL quốc gia về dân cư." {
		t.Fatalf("note: %+v %v", note, err)
	}
	if _, err := e.srv.AddNote(ctx, act(me, "processing"), "   "); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty note: %v", err)
	}

	// Supplement: the missing items (blank lines dropped) and the reason.
	if _, err := e.srv.RequestSupplement(ctx, act(me, "processing"), []string{" ", ""}, "Thiếu"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("supplement without items: %v", err)
	}
	if _, err := e.srv.RequestSupplement(ctx, act(me, "processing"), []string{"Tờ khai"}, " "); !errors.Is(err, ErrInvalid) {
		t.Fatalf("supplement without a reason: %v", err)
	}
	sup, err := e.srv.RequestSupplement(ctx, act(me, "processing"), []string{"Giấy chứng sinh (bản rõ)", "", "Tờ khai có chữ ký"},
		"Giấy chứng sinh bị mờ số định danh")
	if err != nil || sup.Action != "request_supplement" || sup.To != "awaiting_supplement" || sup.NationalStatus != wire.StatusSupplement ||
		len(sup.SupplementItems) != 2 || sup.SupplementItems[1] != "Tờ khai có chữ ký" || sup.Reason != "Giấy chứng sinh bị mờ số định danh" {
		t.Fatalf("supplement: %+v %v", sup, err)
	}

	// The dossier moved: an action on what the official saw before is a
	// conflict; one the state does not allow is refused.
	paper, err := e.srv.PutResultPaper(ctx, bytes.NewReader(pdf(2000)), "ket-qua.pdf", "")
	if err != nil {
		t.Fatal(err)
	}
	result := []wire.ResultPaper{{Name: "Giấy khai sinh (bản chính)", Blob: paper}}
	if _, err := e.srv.RecordResult(ctx, act(me, "processing"), result, ""); !errors.Is(err, ErrConflict) || errors.Is(err, ErrNotAllowed) {
		t.Fatalf("result on a moved dossier: %v", err)
	}
	if _, err := e.srv.RecordResult(ctx, act(me, "awaiting_supplement"), result, ""); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("result while awaiting a supplement: %v", err)
	}
	if _, err := e.srv.Take(ctx, StaffAction{ChangeID: "not-a-uuid", DossierID: d.ID, ExpectState: "received", Staff: me}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad change id: %v", err)
	}
	pulledOnce(t, c, ch.ID, note.ID, sup.ID)

	// A transferred dossier (liên thông): taking it keeps the commune's
	// state and travels as a note; then the result marks it done.
	d2 := dossier(communeA)
	tr := event(d2, "transfer", "received", "transferred", wire.StatusProcessing)
	tr.Agency = &wire.Agency{Code: "H56", Name: "UBND tỉnh Thanh Hóa"}
	if resp, _ := c.push(wire.PushRequest{Dossiers: []wire.Dossier{d2}, Events: []wire.Event{tr}}); !resp.Events[0].Accepted() {
		t.Fatalf("push transfer: %+v", resp.Events[0])
	}
	take2 := StaffAction{ChangeID: newID(), DossierID: d2.ID, ExpectState: "transferred", Staff: me}
	tn, err := e.srv.Take(ctx, take2)
	if err != nil || tn.Kind != wire.ChangeNote || tn.Note != TakeNote || tn.To != "" {
		t.Fatalf("take a transferred dossier: %+v %v", tn, err)
	}
	done := StaffAction{ChangeID: newID(), DossierID: d2.ID, ExpectState: "transferred", Staff: me}
	res, err := e.srv.RecordResult(ctx, done, result, "Đã ký số")
	if err != nil || res.Kind != wire.ChangeResult || res.Action != "record_result" || res.From != "transferred" ||
		res.To != "result_ready" || res.NationalStatus != wire.StatusDone || len(res.Results) != 1 ||
		res.Results[0].Blob.SHA256 != paper.SHA256 || res.Results[0].Blob.MediaType != "application/pdf" || res.Note != "Đã ký số" {
		t.Fatalf("result: %+v %v", res, err)
	}
	if again, err := e.srv.RecordResult(ctx, done, result, "Đã ký số"); err != nil || again.ID != res.ID {
		t.Fatalf("double submit of the result: %+v %v", again, err)
	}
	v2, err := e.srv.Dossier(ctx, me, d2.ID)
	if err != nil || v2.State != "result_ready" || v2.ResultAt == nil || !v2.ResultAt.Equal(res.At) {
		t.Fatalf("after the result: %+v %v", v2, err)
	}
	if len(v2.Files) != 1 || !v2.Files[0].Result || v2.Files[0].SHA256 != paper.SHA256 {
		t.Fatalf("files: %+v", v2.Files)
	}
	pulledOnce(t, c, ch.ID, note.ID, sup.ID, tn.ID, res.ID)
	// The commune may download its result paper through the signed API.
	if a := c.do(http.MethodGet, wire.BlobPath(paper.SHA256), nil, nil); a.status != http.StatusOK || a.header.Get("Content-Length") != itoa(int(paper.Size)) {
		t.Fatalf("device download of the result: %d", a.status)
	}
	if n := e.count("changes"); n != 5 {
		t.Fatalf("%d changes in the log, want 5", n)
	}
}

func TestPutResultPaper(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	good := pdf(5000)
	if _, err := e.srv.PutResultPaper(ctx, bytes.NewReader([]byte("<html>not a pdf")), "x.pdf", ""); !errors.Is(err, ErrNotPDF) {
		t.Fatalf("HTML as a result: %v", err)
	}
	if _, err := e.srv.PutResultPaper(ctx, bytes.NewReader([]byte("%PD")), "x.pdf", ""); !errors.Is(err, ErrNotPDF) {
		t.Fatalf("three bytes: %v", err)
	}
	if _, err := e.srv.PutResultPaper(ctx, bytes.NewReader(good), "x.pdf", wire.SumHex([]byte("other"))); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("hash mismatch: %v", err)
	}
	if n := e.count("blobs"); n != 0 {
		t.Fatalf("a refused paper became a blob: %d", n)
	}
	ref, err := e.srv.PutResultPaper(ctx, bytes.NewReader(good), "Kết quả.pdf", wire.SumHex(good))
	if err != nil || ref.SHA256 != wire.SumHex(good) || ref.Size != int64(len(good)) || ref.Name != "Kết quả.pdf" {
		t.Fatalf("put: %+v %v", ref, err)
	}
	f, err := e.store.Open(ctx, ref.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	buf.ReadFrom(f)
	if !bytes.Equal(buf.Bytes(), good) {
		t.Fatal("stored bytes differ")
	}
}
