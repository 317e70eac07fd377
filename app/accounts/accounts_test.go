package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"motcua/app/audit"
	"motcua/app/store"
)

func newSvc(t *testing.T) (*Service, *store.Store, *time.Time) {
	t.Helper()
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := New(st)
	now := time.Date(2026, 11, 18, 8, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	return s, st, &now
}

func TestSetupOnlyOnce(t *testing.T) {
	s, _, _ := newSvc(t)
	ctx := context.Background()
	if has, _ := s.HasUsers(ctx); has {
		t.Fatal("fresh store has users")
	}
	a, err := s.Setup(ctx, User{Username: "QuanTri", FullName: "Lê Văn Quản"}, "mật-khẩu-dài-123")
	if err != nil || a.Username != "quantri" || !a.Has(RoleAdmin) || a.PasswordHash != "" {
		t.Fatalf("%+v %v", a, err)
	}
	if _, err := s.Setup(ctx, User{Username: "khac", FullName: "Khác"}, "mật-khẩu-dài-123"); !errors.Is(err, ErrSetupDone) {
		t.Fatalf("second setup: %v", err)
	}
}

func TestLoginLockAndSessions(t *testing.T) {
	s, st, now := newSvc(t)
	ctx := context.Background()
	admin, _ := s.Setup(ctx, User{Username: "admin1", FullName: "Quản trị"}, "correct horse 1")
	clerk, err := s.Create(ctx, User{Username: "tiepnhan", FullName: "Trần Thị Mai", Roles: []Role{RoleClerk}}, "tam-thoi-2026", admin.ID)
	if err != nil || !clerk.MustChangePassword {
		t.Fatalf("%+v %v", clerk, err)
	}
	if _, _, err := s.Login(ctx, "nobody", "whatever1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
	for i := 1; i < MaxFailedLogins; i++ {
		if _, _, err := s.Login(ctx, "tiepnhan", "sai-mat-khau"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, _, err := s.Login(ctx, "tiepnhan", "sai-mat-khau"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("attempt %d: %v", MaxFailedLogins, err)
	}
	// Locked: even the right password is refused until the lock expires.
	if _, _, err := s.Login(ctx, "tiepnhan", "tam-thoi-2026"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("locked: %v", err)
	}
	*now = now.Add(LockDuration + time.Second)
	sess, u, err := s.Login(ctx, "TiepNhan", "tam-thoi-2026")
	if err != nil || u.ID != clerk.ID || len(sess.Token) < 40 {
		t.Fatalf("after lock: %v", err)
	}
	got, err := s.Authenticate(ctx, sess.Token)
	if err != nil || got.ID != clerk.ID || got.PasswordHash != "" {
		t.Fatalf("authenticate: %v", err)
	}
	// Idle sessions expire; activity extends them.
	*now = now.Add(SessionIdle - time.Minute)
	if _, err := s.Authenticate(ctx, sess.Token); err != nil {
		t.Fatal("session expired early")
	}
	*now = now.Add(SessionIdle + time.Minute)
	if _, err := s.Authenticate(ctx, sess.Token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("idle session alive: %v", err)
	}
	// An admin reset ends the user's sessions and forces a change.
	sess, _, _ = s.Login(ctx, "tiepnhan", "tam-thoi-2026")
	if err := s.ResetPassword(ctx, clerk.ID, "mat-khau-moi-1", admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, sess.Token); !errors.Is(err, ErrNoSession) {
		t.Fatal("session survived a reset")
	}
	if err := s.ChangePassword(ctx, clerk.ID, "sai", "mat-khau-cua-toi"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("change with a wrong old password: %v", err)
	}
	if err := s.ChangePassword(ctx, clerk.ID, "mat-khau-moi-1", "mat-khau-cua-toi"); err != nil {
		t.Fatal(err)
	}
	if _, u, err := s.Login(ctx, "tiepnhan", "mat-khau-cua-toi"); err != nil || u.MustChangePassword {
		t.Fatalf("after change: %+v %v", u, err)
	}
	// The hash is argon2id and the plain password is stored nowhere.
	st.View(func(x *store.Txn) error {
		var raw User
		x.GetJSON(store.KeyUser(clerk.ID), &raw)
		if !strings.HasPrefix(raw.PasswordHash, "$argon2id$") || strings.Contains(raw.PasswordHash, "mat-khau") {
			t.Errorf("stored hash %q", raw.PasswordHash)
		}
		return nil
	})
	if r, _ := audit.Verify(st); !r.OK() || r.Entries < 5 {
		t.Fatalf("audit %+v", r)
	}
}

func TestAdminRules(t *testing.T) {
	s, _, _ := newSvc(t)
	ctx := context.Background()
	admin, _ := s.Setup(ctx, User{Username: "admin1", FullName: "Quản trị"}, "correct horse 1")
	if _, err := s.Update(ctx, admin.ID, "Quản trị", []Role{RoleClerk}, false, admin.ID); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("last admin demoted: %v", err)
	}
	if _, err := s.Update(ctx, admin.ID, "Quản trị", []Role{RoleAdmin}, true, admin.ID); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("last admin disabled: %v", err)
	}
	cases := []struct {
		u    User
		pw   string
		want string
	}{
		{User{Username: "ab", FullName: "X", Roles: []Role{RoleClerk}}, "long enough 1", "username"},
		{User{Username: "nguoi dung", FullName: "X", Roles: []Role{RoleClerk}}, "long enough 1", "username"},
		{User{Username: "canbo", FullName: "", Roles: []Role{RoleClerk}}, "long enough 1", "fullName"},
		{User{Username: "canbo", FullName: "X", Roles: []Role{"boss"}}, "long enough 1", "roles"},
		{User{Username: "canbo", FullName: "X", Roles: []Role{RoleClerk}}, "short", "password"},
		{User{Username: "canbo", FullName: "X", Roles: []Role{RoleClerk}}, "canbo-2026-xx", "password"},
	}
	for _, c := range cases {
		_, err := s.Create(ctx, c.u, c.pw, admin.ID)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields[c.want] == "" {
			t.Errorf("%+v: got %v, want a problem with %s", c.u, err, c.want)
		}
	}
	if _, err := s.Create(ctx, User{Username: "admin1", FullName: "Trùng", Roles: []Role{RoleClerk}}, "long enough 1", admin.ID); !errors.Is(err, ErrUsernameTaken) {
		t.Fatalf("duplicate username: %v", err)
	}
	u, _ := s.Create(ctx, User{Username: "canbo", FullName: "Cán bộ", Roles: []Role{RoleClerk}}, "long enough 1", admin.ID)
	sess, _, _ := s.Login(ctx, "canbo", "long enough 1")
	if _, err := s.Update(ctx, u.ID, "Cán bộ", []Role{RoleClerk}, true, admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, sess.Token); !errors.Is(err, ErrNoSession) {
		t.Fatal("disabled user's session still works")
	}
	if _, _, err := s.Login(ctx, "canbo", "long enough 1"); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled login: %v", err)
	}
}
