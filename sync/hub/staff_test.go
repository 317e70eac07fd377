package hub

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

const staffPassword = "Mật khẩu cán bộ tỉnh"

// staffUser creates an account for tests.
func (e *env) staffUser(username, role string) Staff {
	e.t.Helper()
	st, err := e.srv.CreateStaff(context.Background(), NewStaff{
		Username: username, FullName: "Lê Thu Hà " + username, Role: role, AgencyCode: "H56", Password: staffPassword,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func TestStaffPasswordHash(t *testing.T) {
	h := hashStaffPassword("Mật khẩu đủ dài")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("hash %q is not a PHC argon2id string with the chosen parameters", h)
	}
	if !staffPasswordMatches(h, "Mật khẩu đủ dài") {
		t.Fatal("the password does not match its own hash")
	}
	if h2 := hashStaffPassword("Mật khẩu đủ dài"); h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=65536,t=3,p=2$AAAA$AAAA", h[:len(h)-4], strings.Replace(h, "p=2", "p=0", 1)} {
		if staffPasswordMatches(bad, "Mật khẩu đủ dài") {
			t.Errorf("hash %q accepted", bad)
		}
	}
	if staffPasswordMatches(h, "mật khẩu đủ dài") {
		t.Fatal("a different password matched")
	}
}

func TestStaffAccountsAndSessions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st := e.staffUser("canbo.tuphap", RoleStaff)
	if st.ID == 0 || st.AgencyName != "UBND tỉnh Thanh Hóa" || st.Admin() {
		t.Fatalf("created %+v", st)
	}
	// The full name is stored in NFC whatever the keyboard sent.
	decomposed, err := e.srv.CreateStaff(ctx, NewStaff{Username: "nfc", FullName: "Nguye\u0302\u0303n  Va\u0306n", Password: "mật khẩu dài"})
	if err != nil || decomposed.FullName != "Nguyễn Văn" || decomposed.Role != RoleStaff {
		t.Fatalf("NFC: %+v %v", decomposed, err)
	}
	for name, n := range map[string]NewStaff{
		"short password":      {Username: "abc", FullName: "A", Password: "ngắn"},
		"password = username": {Username: "hoang", FullName: "A", Password: "hoang12345"},
		"bad username":        {Username: "Cán bộ", FullName: "A", Password: "mật khẩu dài"},
		"no name":             {Username: "abcd", Password: "mật khẩu dài"},
		"bad role":            {Username: "abcd", FullName: "A", Role: "root", Password: "mật khẩu dài"},
	} {
		if _, err := e.srv.CreateStaff(ctx, n); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := e.srv.CreateStaff(ctx, NewStaff{Username: "CANBO.TUPHAP", FullName: "B", Password: "mật khẩu dài"}); !errors.Is(err, ErrConflict) {
		t.Errorf("taken username: %v", err)
	}
	if _, err := e.srv.CreateStaff(ctx, NewStaff{Username: "xyz", FullName: "B", AgencyCode: "nope", Password: "mật khẩu dài"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown agency: %v", err)
	}

	pw := staffPassword
	sess, err := e.srv.StaffLogin(ctx, " CanBo.TuPhap ", pw)
	if err != nil || sess.Staff.ID != st.ID || len(sess.Token) < 40 || len(sess.CSRF) < 40 || sess.Token == sess.CSRF {
		t.Fatalf("login: %+v %v", sess, err)
	}
	got, err := e.srv.StaffSessionOf(ctx, sess.Token)
	if err != nil || got.Staff.Username != st.Username || got.CSRF != sess.CSRF {
		t.Fatalf("session: %+v %v", got, err)
	}
	// Only the token's hash is stored.
	var stored []byte
	if err := e.srv.DB().QueryRow(ctx, "SELECT token_sha256 FROM staff_sessions").Scan(&stored); err != nil ||
		string(stored) != string(tokenHash(sess.Token)) || strings.Contains(string(stored), sess.Token) {
		t.Fatalf("stored session key %x: %v", stored, err)
	}
	for _, bad := range []string{"", "x", sess.CSRF, strings.Repeat("a", 200)} {
		if _, err := e.srv.StaffSessionOf(ctx, bad); !errors.Is(err, ErrNoSession) {
			t.Errorf("token %q: %v", bad, err)
		}
	}

	// Unknown user and wrong password answer alike.
	if _, err := e.srv.StaffLogin(ctx, "khongco", pw); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
	// Lock-out: MaxFailedLogins wrong passwords in a row lock the account,
	// even for the right password, until LockDuration has passed.
	for i := 1; i <= MaxFailedLogins; i++ {
		_, err := e.srv.StaffLogin(ctx, st.Username, "sai mật khẩu")
		want := ErrBadCredentials
		if i == MaxFailedLogins {
			want = ErrLockedOut
		}
		if !errors.Is(err, want) {
			t.Fatalf("attempt %d: %v, want %v", i, err, want)
		}
	}
	if _, err := e.srv.StaffLogin(ctx, st.Username, pw); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("right password while locked: %v", err)
	}
	if _, err := e.srv.StaffSessionOf(ctx, sess.Token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("a locked account keeps its session: %v", err)
	}
	e.srv.cfg.Now = func() time.Time { return time.Now().Add(LockDuration + time.Minute) }
	again, err := e.srv.StaffLogin(ctx, st.Username, pw)
	if err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	// Sessions slide and expire.
	e.srv.cfg.Now = func() time.Time { return time.Now().Add(LockDuration + SessionIdle - time.Minute) }
	if _, err := e.srv.StaffSessionOf(ctx, again.Token); err != nil {
		t.Fatalf("session near its end: %v", err)
	}
	e.srv.cfg.Now = func() time.Time { return time.Now().Add(LockDuration + 2*SessionIdle - 2*time.Minute) }
	if _, err := e.srv.StaffSessionOf(ctx, again.Token); err != nil {
		t.Fatalf("a used session did not slide: %v", err)
	}
	e.srv.cfg.Now = func() time.Time { return time.Now().Add(LockDuration + 4*SessionIdle) }
	if _, err := e.srv.StaffSessionOf(ctx, again.Token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("idle session still valid: %v", err)
	}
	if _, err := e.srv.PurgeExpired(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.count("staff_sessions"); n != 0 {
		t.Fatalf("%d sessions left after the purge, want 0", n)
	}
	e.srv.cfg.Now = time.Now

	// Logout ends one session; a password reset ends them all and unlocks.
	s1, _ := e.srv.StaffLogin(ctx, st.Username, pw)
	s2, _ := e.srv.StaffLogin(ctx, st.Username, pw)
	if err := e.srv.StaffLogout(ctx, s1.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.StaffSessionOf(ctx, s1.Token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("session after logout: %v", err)
	}
	if _, err := e.srv.StaffSessionOf(ctx, s2.Token); err != nil {
		t.Fatalf("logout ended another session: %v", err)
	}
	if err := e.srv.ResetStaffPassword(ctx, st.Username, "ngắn"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short reset: %v", err)
	}
	if err := e.srv.ResetStaffPassword(ctx, "khongco", "mật khẩu mới dài"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("reset unknown: %v", err)
	}
	if err := e.srv.ResetStaffPassword(ctx, st.Username, "mật khẩu mới dài"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.StaffSessionOf(ctx, s2.Token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("session after a password reset: %v", err)
	}
	if _, err := e.srv.StaffLogin(ctx, st.Username, pw); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("old password after reset: %v", err)
	}
	if _, err := e.srv.StaffLogin(ctx, st.Username, "mật khẩu mới dài"); err != nil {
		t.Fatalf("new password: %v", err)
	}
}
