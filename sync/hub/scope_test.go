package hub

import (
	"context"
	"errors"
	"slices"
	"testing"

	"motcua/sync/wire"
)

// Agencies of the scope tests, beside the province H56 and its communes A
// and B of newEnv: a district under the province with two communes.
const (
	district = "000.00.30.H56"
	communeC = "000.31.30.H56"
	communeD = "000.32.30.H56"
)

// scoped is a province with a district: one pushed dossier (with its own
// scan) per commune A, C and D, and an official at every level.
type scoped struct {
	e                                *env
	dossiers                         map[string]wire.Dossier // by commune
	scans                            map[string]string       // scan SHA-256 by commune
	devices                          map[string]*client
	commune, dist, prov, admin, none Staff
	provDept, distDept               Staff // departments: their parent's communes
}

func newScoped(t *testing.T) *scoped {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	for _, a := range []Agency{
		{Code: district, Name: "UBND huyện Quảng Xương", Kind: "district", Level: 2, ParentCode: "H56"},
		{Code: communeC, Name: "UBND xã Quảng Ninh", Kind: "commune", Level: 3, ParentCode: district},
		{Code: communeD, Name: "UBND xã Quảng Bình", Kind: "commune", Level: 3, ParentCode: district},
		{Code: "000.00.12.H56", Name: "Sở Tư pháp tỉnh Thanh Hóa", Kind: "department", Level: 2, ParentCode: "H56"},
		{Code: "000.01.30.H56", Name: "Phòng Tư pháp huyện Quảng Xương", Kind: "department", Level: 3, ParentCode: district},
	} {
		if err := e.srv.UpsertAgency(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	s := &scoped{e: e, dossiers: map[string]wire.Dossier{}, scans: map[string]string{}, devices: map[string]*client{}}
	for _, code := range []string{communeA, communeC, communeD} {
		c := e.enrol(code)
		scan := pdf(3000)
		c.upload(scan, 1<<20)
		d := dossier(code, ref(scan))
		if resp, _ := c.push(wire.PushRequest{Dossiers: []wire.Dossier{d}}); !resp.Dossiers[0].Accepted() {
			t.Fatalf("push %s: %+v", code, resp.Dossiers[0])
		}
		c.audit(auditChain(1, "", 2), 2)
		s.dossiers[code], s.scans[code], s.devices[code] = d, wire.SumHex(scan), c
	}
	mk := func(username, role, agency string) Staff {
		st, err := e.srv.CreateStaff(ctx, NewStaff{Username: username, FullName: "Cán bộ " + username, Role: role,
			AgencyCode: agency, Password: staffPassword})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	s.commune = mk("can.bo.xa", RoleStaff, communeC)
	s.dist = mk("can.bo.huyen", RoleStaff, district)
	s.prov = mk("can.bo.tinh", RoleStaff, "H56")
	s.admin = mk("quan.tri", RoleAdmin, "")
	s.none = mk("chua.gan", RoleStaff, "")
	s.provDept = mk("so.tu.phap", RoleStaff, "000.00.12.H56")
	s.distDept = mk("phong.tu.phap", RoleStaff, "000.01.30.H56")
	return s
}

func (s *scoped) inboxCodes(st Staff, f InboxFilter) []string {
	s.e.t.Helper()
	f.State = InboxAll
	pg, err := s.e.srv.Inbox(context.Background(), st, f)
	if err != nil {
		s.e.t.Fatal(err)
	}
	var out []string
	for _, r := range pg.Rows {
		out = append(out, r.CommuneCode)
	}
	if pg.Total != len(out) {
		s.e.t.Fatalf("total %d, rows %d", pg.Total, len(out))
	}
	slices.Sort(out)
	return out
}

// TestStaffScope: each official sees and acts on the communes of their
// agency's subtree only; anything else answers ErrNotFound as if it did
// not exist, and nothing is recorded.
func TestStaffScope(t *testing.T) {
	s := newScoped(t)
	e, ctx := s.e, context.Background()
	sorted := func(xs ...string) []string { slices.Sort(xs); return xs }
	cases := []struct {
		name string
		st   Staff
		sees []string
	}{
		{"commune", s.commune, sorted(communeC)},
		{"district", s.dist, sorted(communeC, communeD)},
		{"province", s.prov, sorted(communeA, communeC, communeD)},
		{"admin", s.admin, sorted(communeA, communeC, communeD)},
		{"no agency", s.none, nil},
		{"provincial department", s.provDept, sorted(communeA, communeC, communeD)},
		{"district department", s.distDept, sorted(communeC, communeD)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.inboxCodes(tc.st, InboxFilter{}); !slices.Equal(got, tc.sees) {
				t.Errorf("inbox: %v, want %v", got, tc.sees)
			}
			// Asking for a commune outside the scope by name shows nothing.
			if got := s.inboxCodes(tc.st, InboxFilter{Commune: communeA}); len(got) > 0 && !slices.Contains(tc.sees, communeA) {
				t.Errorf("inbox of commune A: %v", got)
			}
			cs, err := e.srv.Communes(ctx, tc.st)
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, c := range cs {
				if _, ok := s.dossiers[c.Code]; ok {
					codes = append(codes, c.Code)
				}
			}
			if slices.Sort(codes); !slices.Equal(codes, tc.sees) {
				t.Errorf("communes: %v, want %v", codes, tc.sees)
			}
			ind, err := e.srv.Indicators(ctx, tc.st, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			codes = nil
			for _, c := range ind {
				if c.Received > 0 {
					codes = append(codes, c.Code)
				}
			}
			if slices.Sort(codes); !slices.Equal(codes, tc.sees) {
				t.Errorf("indicators: %v, want %v", codes, tc.sees)
			}
			chains, err := e.srv.AuditChainsFor(ctx, tc.st)
			if err != nil {
				t.Fatal(err)
			}
			codes = nil
			for _, c := range chains {
				codes = append(codes, c.CommuneCode)
			}
			if slices.Sort(codes); !slices.Equal(codes, tc.sees) {
				t.Errorf("audit chains: %v, want %v", codes, tc.sees)
			}
			for commune, d := range s.dossiers {
				visible := slices.Contains(tc.sees, commune)
				_, err := e.srv.Dossier(ctx, tc.st, d.ID)
				if visible != (err == nil) || !visible && !errors.Is(err, ErrNotFound) {
					t.Errorf("dossier of %s: %v (visible %v)", commune, err, visible)
				}
				f, _, err := e.srv.OpenDossierBlob(ctx, tc.st, s.scans[commune])
				if err == nil {
					f.Close()
				}
				if visible != (err == nil) || !visible && !errors.Is(err, ErrNotFound) {
					t.Errorf("scan of %s: %v (visible %v)", commune, err, visible)
				}
				if err := e.srv.CheckDossierScope(ctx, tc.st, d.ID); visible != (err == nil) {
					t.Errorf("scope check of %s: %v", commune, err)
				}
			}
		})
	}
}

// TestStaffActionsOutsideScope: an official of commune C cannot take,
// note, request a supplement on or record a result for a dossier of
// commune A or D — not even by replaying a change ID that exists — and
// nothing reaches those communes' pull logs.
func TestStaffActionsOutsideScope(t *testing.T) {
	s := newScoped(t)
	e, ctx := s.e, context.Background()
	paper := pdf(2000)
	ref, err := e.srv.PutResultPaper(ctx, bytesReader(paper), "kq.pdf", "")
	if err != nil {
		t.Fatal(err)
	}
	papers := []wire.ResultPaper{{Name: "Giấy khai sinh", Blob: ref}}
	for _, st := range []Staff{s.commune, s.none} {
		for _, commune := range []string{communeA, communeD} {
			d := s.dossiers[commune]
			act := StaffAction{ChangeID: newID(), DossierID: d.ID, ExpectState: "received", Staff: st}
			for name, do := range map[string]func() error{
				"take": func() error { _, err := e.srv.Take(ctx, act); return err },
				"note": func() error { _, err := e.srv.AddNote(ctx, act, "ghi chú"); return err },
				"supplement": func() error {
					_, err := e.srv.RequestSupplement(ctx, act, []string{"Tờ khai"}, "thiếu")
					return err
				},
				"result": func() error { _, err := e.srv.RecordResult(ctx, act, papers, ""); return err },
			} {
				if err := do(); !errors.Is(err, ErrNotFound) {
					t.Errorf("%s: %s on commune %s: %v, want not found", st.Username, name, commune, err)
				}
			}
		}
	}
	if n := e.count("changes"); n != 0 {
		t.Fatalf("%d changes recorded outside the officials' scope", n)
	}
	// The district official takes D's dossier; C's official cannot reach
	// that change by replaying its ID on D's dossier or on C's own.
	take := StaffAction{ChangeID: newID(), DossierID: s.dossiers[communeD].ID, ExpectState: "received", Staff: s.dist}
	if _, err := e.srv.Take(ctx, take); err != nil {
		t.Fatal(err)
	}
	replay := take
	replay.Staff = s.commune
	if _, err := e.srv.Take(ctx, replay); !errors.Is(err, ErrNotFound) {
		t.Fatalf("replay on D by C: %v", err)
	}
	replay.DossierID = s.dossiers[communeC].ID
	if _, err := e.srv.Take(ctx, replay); !errors.Is(err, ErrConflict) {
		t.Fatalf("replay of D's change ID on C's dossier: %v", err)
	}
	if got := s.devices[communeD].pull("", wire.MaxPullLimit).Changes; len(got) != 1 || got[0].ID != take.ChangeID {
		t.Fatalf("D's pull log: %+v", got)
	}
	for _, c := range []string{communeA, communeC} {
		if got := s.devices[c].pull("", wire.MaxPullLimit).Changes; len(got) != 0 {
			t.Fatalf("%s's pull log: %+v", c, got)
		}
	}
	// Within the scope the commune official acts as before.
	own := StaffAction{ChangeID: newID(), DossierID: s.dossiers[communeC].ID, ExpectState: "received", Staff: s.commune}
	if _, err := e.srv.Take(ctx, own); err != nil {
		t.Fatalf("take in scope: %v", err)
	}
}

// TestSetStaffAgency: an admin moves an official without an agency into
// one; the scope follows at once.
func TestSetStaffAgency(t *testing.T) {
	s := newScoped(t)
	ctx := context.Background()
	if err := s.e.srv.SetStaffAgency(ctx, "chua.gan", communeC); err != nil {
		t.Fatal(err)
	}
	sess, err := s.e.srv.StaffLogin(ctx, "chua.gan", staffPassword)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Staff.Unassigned() || sess.Staff.AgencyCode != communeC {
		t.Fatalf("after set: %+v", sess.Staff)
	}
	if got := s.inboxCodes(sess.Staff, InboxFilter{}); !slices.Equal(got, []string{communeC}) {
		t.Fatalf("inbox after set: %v", got)
	}
	for _, bad := range [][2]string{{"chua.gan", "nope"}, {"khong.co", communeC}} {
		if err := s.e.srv.SetStaffAgency(ctx, bad[0], bad[1]); !errors.Is(err, ErrNotFound) {
			t.Errorf("set %v: %v", bad, err)
		}
	}
}
