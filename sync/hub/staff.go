package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/argon2"

	"motcua/app/vntext"
)

// Staff accounts of the hub's web UI: district and provincial officials.
// They are a different kind of caller from devices: a session cookie opens
// the staff pages only, and a device signature opens the sync API only.

// Roles of a staff account.
const (
	RoleStaff = "staff" // cán bộ xử lý
	RoleAdmin = "admin" // quản trị máy chủ tỉnh
)

// Login policy, as on the commune desk (app/accounts).
const (
	MaxFailedLogins = 5
	LockDuration    = 15 * time.Minute
	SessionIdle     = 8 * time.Hour
	MinPassword     = 8
)

// Errors of staff logins and sessions.
var (
	ErrBadCredentials = errors.New("wrong username or password")
	ErrLockedOut      = errors.New("account locked after repeated failed logins")
	ErrNoSession      = errors.New("no valid session")
)

// Staff is a staff account as the UI sees it (never its password hash).
type Staff struct {
	ID         int64
	Username   string
	FullName   string
	Role       string
	AgencyID   int64  // the agency the official acts for; 0: none (sees nothing unless admin)
	AgencyCode string // its code; empty when none
	AgencyName string
}

// Admin reports whether the account administers the hub.
func (s Staff) Admin() bool { return s.Role == RoleAdmin }

// NewStaff is what an administrator gives to create an account.
type NewStaff struct {
	Username   string
	FullName   string
	Role       string // RoleStaff when empty
	AgencyCode string // optional
	Password   string
}

var staffUsernameRE = regexp.MustCompile(`^[a-z0-9._-]{3,32}$`)

func normUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

// passwordProblem says what is wrong with a new password, or "".
func passwordProblem(pw, username string) string {
	switch {
	case utf8.RuneCountInString(pw) < MinPassword:
		return fmt.Sprintf("password needs at least %d characters", MinPassword)
	case len(pw) > 256:
		return "password is longer than 256 bytes"
	case strings.Contains(strings.ToLower(pw), username):
		return "password contains the username"
	}
	return ""
}

// argon2id parameters: 64 MiB, 3 passes, 2 lanes (RFC 9106's second
// recommended option, and the commune desk's).
const (
	argonTime    = 3
	argonMemory  = 64 << 10
	argonThreads = 2
	argonKeyLen  = 32
)

// hashStaffPassword returns an argon2id hash in the PHC string format.
func hashStaffPassword(pw string) string {
	var salt [16]byte
	if _, err := rand.Read(salt[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	key := argon2.IDKey([]byte(pw), salt[:], argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return "$argon2id$v=" + fmt.Sprint(argon2.Version) +
		fmt.Sprintf("$m=%d,t=%d,p=%d$", argonMemory, argonTime, argonThreads) +
		enc.EncodeToString(salt[:]) + "$" + enc.EncodeToString(key)
}

// staffPasswordMatches checks pw against a PHC argon2id hash, reading the
// parameters from the hash so they can be raised later.
func staffPasswordMatches(phc, pw string) bool {
	f := strings.Split(phc, "$")
	if len(f) != 6 || f[1] != "argon2id" || f[2] != "v="+fmt.Sprint(argon2.Version) {
		return false
	}
	var mem, iters uint32
	var lanes uint8
	if n, err := fmt.Sscanf(f[3], "m=%d,t=%d,p=%d", &mem, &iters, &lanes); n != 3 || err != nil || lanes == 0 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(f[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(f[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, iters, mem, lanes, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyStaffHash is checked against when the username is unknown, so a
// login takes as long whether or not the account exists.
var dummyStaffHash = hashStaffPassword("not a password of anyone")

// CreateStaff adds a staff account. Errors wrap ErrInvalid (with what is
// wrong), ErrNotFound (unknown agency) or ErrConflict (username taken).
func (s *Server) CreateStaff(ctx context.Context, n NewStaff) (Staff, error) {
	st := Staff{Username: normUsername(n.Username), FullName: vntext.Clean(n.FullName), Role: n.Role, AgencyCode: strings.TrimSpace(n.AgencyCode)}
	if st.Role == "" {
		st.Role = RoleStaff
	}
	var problems []string
	if !staffUsernameRE.MatchString(st.Username) {
		problems = append(problems, "username must be 3–32 of a-z 0-9 . _ -")
	}
	if st.FullName == "" || utf8.RuneCountInString(st.FullName) > 100 {
		problems = append(problems, "full name needs 1–100 characters")
	}
	if st.Role != RoleStaff && st.Role != RoleAdmin {
		problems = append(problems, "role must be staff or admin")
	}
	if p := passwordProblem(n.Password, st.Username); p != "" {
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		return Staff{}, fmt.Errorf("staff %q: %w: %s", st.Username, ErrInvalid, strings.Join(problems, "; "))
	}
	var agencyID *int64
	if st.AgencyCode != "" {
		var id int64
		err := s.db.QueryRow(ctx, "SELECT id, name FROM agencies WHERE code = $1", st.AgencyCode).Scan(&id, &st.AgencyName)
		if noRows(err) {
			return Staff{}, fmt.Errorf("staff %q: agency %q: %w", st.Username, st.AgencyCode, ErrNotFound)
		}
		if err != nil {
			return Staff{}, fmt.Errorf("staff %q: %w", st.Username, err)
		}
		agencyID, st.AgencyID = &id, id
	}
	err := s.db.QueryRow(ctx, `
		INSERT INTO staff_users (username, full_name, password_hash, role, agency_id) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (username) DO NOTHING RETURNING id`,
		st.Username, st.FullName, hashStaffPassword(n.Password), st.Role, agencyID).Scan(&st.ID)
	if noRows(err) {
		return Staff{}, fmt.Errorf("staff %q: username taken: %w", st.Username, ErrConflict)
	}
	if err != nil {
		return Staff{}, fmt.Errorf("staff %q: %w", st.Username, err)
	}
	s.log.Info("staff account created", "username", st.Username, "role", st.Role)
	return st, nil
}

// ResetStaffPassword sets a new password, lifts a lock and ends the
// account's sessions.
func (s *Server) ResetStaffPassword(ctx context.Context, username, password string) error {
	username = normUsername(username)
	if p := passwordProblem(password, username); p != "" {
		return fmt.Errorf("staff %q: %w: %s", username, ErrInvalid, p)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `
			UPDATE staff_users SET password_hash = $2, failed_logins = 0, locked_until = NULL, updated_at = now()
			WHERE username = $1 RETURNING id`, username, hashStaffPassword(password)).Scan(&id)
		if noRows(err) {
			return fmt.Errorf("staff %q: %w", username, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("staff %q: %w", username, err)
		}
		_, err = tx.Exec(ctx, "DELETE FROM staff_sessions WHERE user_id = $1", id)
		return err
	})
}

// StaffSession is a logged-in official on one browser. Token goes into the
// session cookie; CSRF into every form the session posts.
type StaffSession struct {
	Token   string
	CSRF    string
	Staff   Staff
	Expires time.Time
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// StaffLogin checks a password and opens a session. MaxFailedLogins wrong
// passwords in a row lock the account for LockDuration; the answer never
// says whether the username exists (ErrBadCredentials either way).
func (s *Server) StaffLogin(ctx context.Context, username, password string) (StaffSession, error) {
	username = normUsername(username)
	now := s.cfg.Now()
	var (
		sess    StaffSession
		outcome error
	)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		sess, outcome = StaffSession{}, nil
		var (
			hash     string
			disabled bool
			failed   int
			locked   *time.Time
		)
		err := tx.QueryRow(ctx, `
			SELECT u.id, u.username, u.full_name, u.role, coalesce(a.id, 0), coalesce(a.code, ''), coalesce(a.name, ''),
				u.password_hash, u.disabled, u.failed_logins, u.locked_until
			FROM staff_users u LEFT JOIN agencies a ON a.id = u.agency_id
			WHERE u.username = $1 FOR UPDATE OF u`, username).
			Scan(&sess.Staff.ID, &sess.Staff.Username, &sess.Staff.FullName, &sess.Staff.Role, &sess.Staff.AgencyID,
				&sess.Staff.AgencyCode, &sess.Staff.AgencyName, &hash, &disabled, &failed, &locked)
		if noRows(err) {
			staffPasswordMatches(dummyStaffHash, password)
			outcome = ErrBadCredentials
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case locked != nil && now.Before(*locked):
			outcome = ErrLockedOut
			return nil
		case disabled:
			outcome = ErrBadCredentials
			return nil
		}
		if !staffPasswordMatches(hash, password) {
			failed++
			outcome = ErrBadCredentials
			var until *time.Time
			if failed >= MaxFailedLogins {
				t := now.Add(LockDuration)
				until, failed, outcome = &t, 0, ErrLockedOut
				s.log.Warn("staff account locked after failed logins", "username", username)
			}
			_, err := tx.Exec(ctx, "UPDATE staff_users SET failed_logins = $2, locked_until = $3 WHERE id = $1",
				sess.Staff.ID, failed, until)
			return err
		}
		if failed != 0 || locked != nil {
			if _, err := tx.Exec(ctx, "UPDATE staff_users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
				sess.Staff.ID); err != nil {
				return err
			}
		}
		sess.Token, sess.CSRF, sess.Expires = randomToken(), randomToken(), now.Add(SessionIdle)
		_, err = tx.Exec(ctx, `INSERT INTO staff_sessions (token_sha256, user_id, csrf_token, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, tokenHash(sess.Token), sess.Staff.ID, sess.CSRF, now, sess.Expires)
		return err
	})
	if err != nil {
		return StaffSession{}, fmt.Errorf("staff login: %w", err)
	}
	if outcome != nil {
		return StaffSession{}, outcome
	}
	return sess, nil
}

// StaffSessionOf returns the live session of a cookie token and slides its
// expiry (at most once a minute, to spare the database). A disabled or
// locked account has no live session.
func (s *Server) StaffSessionOf(ctx context.Context, token string) (StaffSession, error) {
	if token == "" || len(token) > 128 {
		return StaffSession{}, ErrNoSession
	}
	now := s.cfg.Now()
	sess := StaffSession{Token: token}
	err := s.db.QueryRow(ctx, `
		SELECT ss.csrf_token, ss.expires_at, u.id, u.username, u.full_name, u.role, coalesce(a.id, 0), coalesce(a.code, ''),
			coalesce(a.name, '')
		FROM staff_sessions ss JOIN staff_users u ON u.id = ss.user_id LEFT JOIN agencies a ON a.id = u.agency_id
		WHERE ss.token_sha256 = $1 AND ss.expires_at > $2 AND NOT u.disabled
		  AND (u.locked_until IS NULL OR u.locked_until <= $2)`, tokenHash(token), now).
		Scan(&sess.CSRF, &sess.Expires, &sess.Staff.ID, &sess.Staff.Username, &sess.Staff.FullName, &sess.Staff.Role,
			&sess.Staff.AgencyID, &sess.Staff.AgencyCode, &sess.Staff.AgencyName)
	if noRows(err) {
		return StaffSession{}, ErrNoSession
	}
	if err != nil {
		return StaffSession{}, fmt.Errorf("staff session: %w", err)
	}
	if next := now.Add(SessionIdle); next.Sub(sess.Expires) > time.Minute {
		if _, err := s.db.Exec(ctx, "UPDATE staff_sessions SET expires_at = $2 WHERE token_sha256 = $1",
			tokenHash(token), next); err != nil {
			return StaffSession{}, fmt.Errorf("staff session: %w", err)
		}
		sess.Expires = next
	}
	return sess, nil
}

// StaffLogout ends a session; ending one that does not exist is no error.
func (s *Server) StaffLogout(ctx context.Context, token string) error {
	if _, err := s.db.Exec(ctx, "DELETE FROM staff_sessions WHERE token_sha256 = $1", tokenHash(token)); err != nil {
		return fmt.Errorf("staff logout: %w", err)
	}
	return nil
}

// SetStaffAgency assigns the agency an official acts for, which is also
// the subtree of communes they see (scope.go). Sessions read the agency on
// every request, so the new scope applies at the official's next page.
func (s *Server) SetStaffAgency(ctx context.Context, username, agencyCode string) error {
	username = normUsername(username)
	tag, err := s.db.Exec(ctx, `UPDATE staff_users SET agency_id = (SELECT id FROM agencies WHERE code = $2), updated_at = now()
		WHERE username = $1 AND EXISTS (SELECT 1 FROM agencies WHERE code = $2)`, username, strings.TrimSpace(agencyCode))
	if err != nil {
		return fmt.Errorf("staff %q: agency %q: %w", username, agencyCode, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("staff %q or agency %q: %w", username, agencyCode, ErrNotFound)
	}
	s.log.Info("staff agency set", "username", username, "agency", agencyCode)
	return nil
}
