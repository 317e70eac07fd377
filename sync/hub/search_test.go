package hub

import (
	"context"
	"slices"
	"testing"

	"golang.org/x/text/unicode/norm"

	"motcua/sync/wire"
)

// searchEnv adds named dossiers to the scoped province: three in commune
// C, one in D, one in A, each with its own applicant and procedure.
type searchEnv struct {
	*scoped
	byName map[string]wire.Dossier
}

func newSearchEnv(t *testing.T) *searchEnv {
	t.Helper()
	s := &searchEnv{scoped: newScoped(t), byName: map[string]wire.Dossier{}}
	for _, x := range []struct {
		commune, applicant, procedure, state string
	}{
		{communeC, "Nguyễn Văn A", "Đăng ký khai sinh", "received"},
		{communeC, "Nguyễn Văn Bình", "Chứng thực bản sao từ bản chính", "processing"},
		{communeC, "Trần Thị Đào", "Đăng ký kết hôn", "result_ready"},
		{communeD, "Nguyễn Văn An", "Đăng ký khai tử", "received"},
		{communeA, "NGUYỄN VĂN A", "Chứng thực chữ ký", "received"},
	} {
		d := dossier(x.commune)
		d.Applicant.Name, d.Procedure.Name = x.applicant, x.procedure
		if x.state == "result_ready" {
			d.Status = wire.Status{National: wire.StatusDone, State: x.state}
		} else {
			d.Status = wire.Status{National: wire.StatusReceived, State: x.state}
		}
		if resp, _ := s.devices[x.commune].push(wire.PushRequest{Dossiers: []wire.Dossier{d}}); !resp.Dossiers[0].Accepted() {
			t.Fatalf("push: %+v", resp.Dossiers[0])
		}
		s.byName[x.applicant] = d
	}
	return s
}

// find returns the applicants the inbox search finds, sorted, paging
// through with pages of two to check the search survives paging. An empty
// State is the inbox's default: dossiers still open.
func (s *searchEnv) find(st Staff, f InboxFilter) []string {
	s.e.t.Helper()
	f.Limit = 2
	var out []string
	for pages := 0; ; pages++ {
		pg, err := s.e.srv.Inbox(context.Background(), st, f)
		if err != nil {
			s.e.t.Fatal(err)
		}
		for _, r := range pg.Rows {
			out = append(out, r.ApplicantName)
		}
		if pg.Next == "" {
			if pg.Total != len(out) {
				s.e.t.Fatalf("%q: total %d, paged %d", f.Query, pg.Total, len(out))
			}
			break
		}
		if pages > 10 {
			s.e.t.Fatal("paging does not end")
		}
		f.After = pg.Next
	}
	slices.Sort(out)
	return out
}

func names(xs ...string) []string { slices.Sort(xs); return xs }

// TestInboxSearch: code, applicant name without diacritics or case, and
// procedure name; combined with the state and commune filters and paging;
// never outside the official's communes.
func TestInboxSearch(t *testing.T) {
	s := newSearchEnv(t)
	binh := s.byName["Nguyễn Văn Bình"]
	for _, tc := range []struct {
		name  string
		st    Staff
		f     InboxFilter
		found []string
	}{
		{"whole code", s.commune, InboxFilter{Query: binh.Code}, names("Nguyễn Văn Bình")},
		{"code as typed in capitals", s.dist, InboxFilter{Query: "  " + binh.Code[len(binh.Code)-11:] + " "}, names("Nguyễn Văn Bình")},
		{"unaccented name", s.commune, InboxFilter{Query: "nguyen van a"}, names("Nguyễn Văn A")},
		{"unaccented name, district", s.dist, InboxFilter{Query: "nguyen van a"}, names("Nguyễn Văn A", "Nguyễn Văn An")},
		{"unaccented name, province", s.prov, InboxFilter{Query: "nguyen van a"}, names("Nguyễn Văn A", "Nguyễn Văn An", "NGUYỄN VĂN A")},
		{"decomposed input", s.commune, InboxFilter{Query: norm.NFD.String("Nguyễn Văn Bình")}, names("Nguyễn Văn Bình")},
		{"đ folds to d", s.commune, InboxFilter{Query: "DAO", State: InboxAll}, names("Trần Thị Đào")},
		{"procedure", s.commune, InboxFilter{Query: "chung thuc ban sao"}, names("Nguyễn Văn Bình")},
		{"procedure prefix", s.prov, InboxFilter{Query: "chứng th"}, names("Nguyễn Văn Bình", "NGUYỄN VĂN A")},
		{"procedure, commune only", s.commune, InboxFilter{Query: "chung thuc"}, names("Nguyễn Văn Bình")},
		{"with the open filter", s.commune, InboxFilter{Query: "dang ky", State: InboxOpen}, names("Nguyễn Thị Hoà", "Nguyễn Văn A")},
		{"with a state", s.commune, InboxFilter{Query: "dang ky", State: "result_ready"}, names("Trần Thị Đào")},
		{"with a commune", s.dist, InboxFilter{Query: "nguyen van", Commune: communeD}, names("Nguyễn Văn An")},
		{"another subtree's commune", s.commune, InboxFilter{Query: "nguyen", Commune: communeA}, nil},
		{"other subtree's code", s.commune, InboxFilter{Query: s.byName["NGUYỄN VĂN A"].Code}, nil},
		{"no agency", s.none, InboxFilter{Query: "nguyen"}, nil},
		{"admin", s.admin, InboxFilter{Query: "nguyen van a"}, names("Nguyễn Văn A", "Nguyễn Văn An", "NGUYỄN VĂN A")},
		{"no match", s.prov, InboxFilter{Query: "le van"}, nil},
		{"punctuation only: no search", s.commune, InboxFilter{Query: " -- ", State: InboxAll}, names("Nguyễn Thị Hoà", "Nguyễn Văn A", "Nguyễn Văn Bình", "Trần Thị Đào")},
	} {
		if got := s.find(tc.st, tc.f); !slices.Equal(got, tc.found) {
			t.Errorf("%s (%s, %+v): %q, want %q", tc.name, tc.st.Username, tc.f, got, tc.found)
		}
	}
}

// TestMigration8BackfillsSearchWords: dossiers stored before schema 8 are
// found once the hub migrates.
func TestMigration8BackfillsSearchWords(t *testing.T) {
	s := newSearchEnv(t)
	ctx, db := context.Background(), s.e.srv.DB()
	// Back to schema 7, as an older hub left the database.
	if _, err := db.Exec(ctx, "DROP INDEX dossiers_search; ALTER TABLE dossiers DROP COLUMN search_words; DELETE FROM schema_migrations WHERE version >= 8"); err != nil {
		t.Fatal(err)
	}
	if v, err := Migrate(ctx, db); err != nil || v != 9 {
		t.Fatalf("migrate: %d %v", v, err)
	}
	var empty int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM dossiers WHERE search_words = '{}'").Scan(&empty); err != nil || empty != 0 {
		t.Fatalf("%d dossiers without search words (%v)", empty, err)
	}
	d := s.byName["Trần Thị Đào"]
	var got []string
	if err := db.QueryRow(ctx, "SELECT search_words FROM dossiers WHERE id = $1", d.ID).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := searchWords(d.Code, d.Procedure.Code, d.Applicant.Name, d.Procedure.Name); !slices.Equal(got, want) {
		t.Fatalf("backfilled %q, want %q", got, want)
	}
	if found := s.find(s.prov, InboxFilter{Query: "tran thi dao", State: InboxAll}); !slices.Equal(found, []string{"Trần Thị Đào"}) {
		t.Fatalf("after the backfill: %q", found)
	}
}

// TestMigration9AddsPrefixes: a database filled by schema 8 (whole words
// only) gets the prefixes, and the word being typed is found through them.
func TestMigration9AddsPrefixes(t *testing.T) {
	s := newSearchEnv(t)
	ctx, db := context.Background(), s.e.srv.DB()
	if _, err := db.Exec(ctx, `UPDATE dossiers SET search_words = ARRAY(SELECT w FROM unnest(search_words) w WHERE left(w, 1) <> '>');
		DELETE FROM schema_migrations WHERE version = 9`); err != nil {
		t.Fatal(err)
	}
	if found := s.find(s.prov, InboxFilter{Query: "tran thi da", State: InboxAll}); found != nil {
		t.Fatalf("without prefixes the word being typed should find nothing: %q", found)
	}
	if v, err := Migrate(ctx, db); err != nil || v != 9 {
		t.Fatalf("migrate: %d %v", v, err)
	}
	d := s.byName["Trần Thị Đào"]
	var got []string
	if err := db.QueryRow(ctx, "SELECT search_words FROM dossiers WHERE id = $1", d.ID).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got, prefixMark+"da") || !slices.Contains(got, prefixMark+"dao") || !slices.Contains(got, "dao") {
		t.Fatalf("after 0009: %q", got)
	}
	if found := s.find(s.prov, InboxFilter{Query: "tran thi da", State: InboxAll}); !slices.Equal(found, []string{"Trần Thị Đào"}) {
		t.Fatalf("after 0009: %q", found)
	}
}
