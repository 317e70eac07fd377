package office

import (
	"context"
	"errors"
	"strings"
	"testing"

	"motcua/app/store"
)

func valid() Settings {
	s := Defaults()
	s.Province = "Khánh Hòa"
	s.ParentAgency = "UBND xã Cam Hải Đông"
	s.UnitName = "Trung tâm Phục vụ hành chính công xã Cam Hải Đông"
	s.CommuneName = "Cam Hải Đông"
	s.AgencyCode = "000.17.22.H56"
	s.Phone = "0258 3854 123"
	s.Email = "motcua@camhaidong.gov.vn"
	return s
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Settings)
		field string
		prob  string
	}{
		{"ok", func(*Settings) {}, "", ""},
		{"missing unit", func(s *Settings) { s.UnitName = "" }, "unitName", ProblemRequired},
		{"missing code", func(s *Settings) { s.AgencyCode = "" }, "agencyCode", ProblemRequired},
		{"bad code chars", func(s *Settings) { s.AgencyCode = "000 XX" }, "agencyCode", ProblemFormat},
		{"code too long", func(s *Settings) { s.AgencyCode = strings.Repeat("A", 36) }, "agencyCode", ProblemTooLong},
		{"bad phone", func(s *Settings) { s.Phone = "gọi tôi" }, "phone", ProblemFormat},
		{"bad email", func(s *Settings) { s.Email = "a@b" }, "email", ProblemFormat},
		{"bad clock", func(s *Settings) { s.Hours.MorningStart = "7h" }, "hours.morningStart", ProblemFormat},
		{"hours order", func(s *Settings) { s.Hours.AfternoonStart = "11:00" }, "hours", ProblemOrder},
		{"form set", func(s *Settings) { s.FormSet = "99/2030" }, "formSet", ProblemUnknown},
		{"name too long", func(s *Settings) { s.CommuneName = strings.Repeat("ệ", 101) }, "communeName", ProblemTooLong},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := valid()
			c.edit(&s)
			err := s.Normalize().Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Fields[c.field] != c.prob {
				t.Fatalf("got %v, want %s=%s", err, c.field, c.prob)
			}
		})
	}
}

func TestNormalizeNFC(t *testing.T) {
	s := valid()
	s.CommuneName = "  Cam Ha\u0309i \u0110o\u0302ng  " // NFD input from some IMEs
	got := s.Normalize().CommuneName
	if got != "Cam Hải Đông" {
		t.Fatalf("got %q", got)
	}
}

func TestServiceSaveAndLoad(t *testing.T) {
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := NewService(st)
	ctx := context.Background()
	if _, err := svc.Settings(ctx); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("fresh store: %v", err)
	}
	bad := valid()
	bad.AgencyCode = ""
	if _, err := svc.Save(ctx, bad); err == nil {
		t.Fatal("invalid settings saved")
	}
	if _, err := svc.Settings(ctx); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("invalid save changed the store: %v", err)
	}
	saved, err := svc.Save(ctx, valid())
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != saved || got.UpdatedAt.IsZero() {
		t.Fatalf("got %+v, want %+v", got, saved)
	}
}
