package reception

import (
	"context"
	"errors"
	"testing"
	"time"

	"motcua/app/dossier"
	"motcua/app/store"
)

func TestApplyHubChange(t *testing.T) {
	f := newFixture(t, "2026-03-02 08:00")
	ctx := context.Background()
	d := f.receive(t, reception("2.000815"))
	hubAt := at("2026-03-02 10:00")
	due := at("2026-03-10 16:00")
	for _, tc := range []struct {
		name    string
		ch      HubChange
		want    HubOutcome
		problem string
		state   dossier.State
		events  int
	}{
		{"start processing", HubChange{ID: "c-1", DossierID: d.ID, Action: dossier.ActionStartProcessing, To: dossier.StateProcessing},
			HubApplied, "", dossier.StateProcessing, 2},
		{"same change again", HubChange{ID: "c-1", DossierID: d.ID, Action: dossier.ActionStartProcessing, To: dossier.StateProcessing},
			HubDuplicate, "", dossier.StateProcessing, 2},
		{"a step the desk already did", HubChange{ID: "c-2", DossierID: d.ID, Action: dossier.ActionStartProcessing, To: dossier.StateProcessing},
			HubAlready, "", dossier.StateProcessing, 2},
		{"note", HubChange{ID: "c-3", DossierID: d.ID, Note: "Đang thẩm định"}, HubNoted, "", dossier.StateProcessing, 2},
		{"does not fit", HubChange{ID: "c-4", DossierID: d.ID, Action: dossier.ActionReturnResult, To: dossier.StateReturned},
			HubConflict, HubProblemTransition, dossier.StateProcessing, 2},
		{"result with a new appointment", HubChange{ID: "c-5", DossierID: d.ID, Action: dossier.ActionRecordResult, To: dossier.StateResultReady,
			DueAt: &due, ResultDocs: []string{"Giấy chứng nhận"}}, HubApplied, "", dossier.StateResultReady, 3},
		{"unknown dossier", HubChange{ID: "c-6", DossierID: "nope", Action: dossier.ActionStop, To: dossier.StateStopped},
			HubConflict, HubProblemUnknownDossier, dossier.StateResultReady, 3},
	} {
		tc.ch.At, tc.ch.Actor, tc.ch.ActorName, tc.ch.AgencyName = hubAt, "staff-1", "Lê Mai", "Phòng Tư pháp"
		var seen []HubOutcome
		res, err := f.svc.ApplyHubChange(ctx, tc.ch, func(x *store.Txn, r HubResult) error {
			seen = append(seen, r.Outcome)
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if res.Outcome != tc.want || res.Problem != tc.problem {
			t.Fatalf("%s: outcome %s/%s, want %s/%s", tc.name, res.Outcome, res.Problem, tc.want, tc.problem)
		}
		if tc.want == HubDuplicate && len(seen) != 0 || tc.want != HubDuplicate && (len(seen) != 1 || seen[0] != tc.want) {
			t.Fatalf("%s: hook saw %v", tc.name, seen)
		}
		got, evs, err := f.svc.Get(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != tc.state || len(evs) != tc.events {
			t.Fatalf("%s: state %s with %d events, want %s with %d", tc.name, got.State, len(evs), tc.state, tc.events)
		}
	}
	got, evs, _ := f.svc.Get(ctx, d.ID)
	last := evs[len(evs)-1]
	if last.ID != "c-5" || last.Actor != "hub:staff-1" || last.ActorName != "Lê Mai (Phòng Tư pháp)" || !last.At.Equal(hubAt) ||
		last.DueDate == nil || !last.DueDate.Equal(due) || len(got.ResultDocs) != 1 || !got.DueAt.Equal(due) {
		t.Fatalf("last event %+v, dossier due %v docs %v", last, got.DueAt, got.ResultDocs)
	}
	// The work list follows the state: the dossier is ready to return.
	page, err := f.svc.List(ctx, ListQuery{List: "ready_to_return"})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("ready to return: %d %v", len(page.Items), err)
	}
}

func TestApplyHubChangeIsAllOrNothingWithTheCallersRecord(t *testing.T) {
	f := newFixture(t, "2026-03-02 08:00")
	ctx := context.Background()
	d := f.receive(t, reception("2.000815"))
	ch := HubChange{ID: "c-1", DossierID: d.ID, Action: dossier.ActionStartProcessing, To: dossier.StateProcessing,
		At: time.Now(), Actor: "staff-1"}
	boom := errors.New("conflict record failed")
	if _, err := f.svc.ApplyHubChange(ctx, ch, func(*store.Txn, HubResult) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	got, evs, _ := f.svc.Get(ctx, d.ID)
	if got.State != dossier.StateReceived || len(evs) != 1 {
		t.Fatalf("a failed apply left state %s and %d events", got.State, len(evs))
	}
	// Not marked applied either: the next pull applies it.
	res, err := f.svc.ApplyHubChange(ctx, ch, nil)
	if err != nil || res.Outcome != HubApplied {
		t.Fatalf("second try: %+v %v", res, err)
	}
}
