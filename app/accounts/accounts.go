// Package accounts owns the desk's local users, their roles and their
// sessions. Passwords are hashed with argon2id; an admin can reset a
// password (the user must then choose a new one) but can never read one.
// Repeated failed logins lock the account for a while.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"motcua/app/audit"
	"motcua/app/store"
	"motcua/app/vntext"
)

// Role is what a user may do at the desk.
type Role string

// Roles of a commune one-stop office.
const (
	RoleClerk      Role = "clerk"      // công chức tiếp nhận và trả kết quả
	RoleSpecialist Role = "specialist" // công chức chuyên môn
	RoleLeader     Role = "leader"     // lãnh đạo
	RoleScanner    Role = "scanner"    // nhân viên số hóa
	RoleAdmin      Role = "admin"      // quản trị hệ thống
)

var roleLabels = map[Role]string{
	RoleClerk: "Công chức tiếp nhận", RoleSpecialist: "Công chức chuyên môn", RoleLeader: "Lãnh đạo",
	RoleScanner: "Nhân viên số hóa", RoleAdmin: "Quản trị hệ thống",
}

// Roles lists every role.
func Roles() []Role { return []Role{RoleClerk, RoleSpecialist, RoleLeader, RoleScanner, RoleAdmin} }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := roleLabels[r]; return ok }

// Label is the Vietnamese name of the role.
func (r Role) Label() string { return roleLabels[r] }

// User is a local account. PasswordHash never leaves this package's API
// except through the store.
type User struct {
	ID                 string    `json:"id"`
	Username           string    `json:"username"`
	FullName           string    `json:"fullName"`
	Roles              []Role    `json:"roles"`
	PasswordHash       string    `json:"passwordHash,omitempty"`
	MustChangePassword bool      `json:"mustChangePassword"`
	Disabled           bool      `json:"disabled"`
	FailedLogins       int       `json:"failedLogins"`
	LockedUntil        time.Time `json:"lockedUntil,omitzero"`
	CreatedAt          time.Time `json:"createdAt"`
	UpdatedAt          time.Time `json:"updatedAt"`
}

// Has reports whether u has one of roles.
func (u User) Has(roles ...Role) bool {
	for _, r := range roles {
		if slices.Contains(u.Roles, r) {
			return true
		}
	}
	return false
}

// Public returns u without its password hash.
func (u User) Public() User { u.PasswordHash = ""; return u }

// Errors.
var (
	ErrBadCredentials = errors.New("wrong username or password")
	ErrLockedOut      = errors.New("account locked after repeated failed logins")
	ErrDisabled       = errors.New("account disabled")
	ErrNoSession      = errors.New("no valid session")
	ErrSetupDone      = errors.New("the first administrator already exists")
	ErrNotFound       = errors.New("user not found")
	ErrUsernameTaken  = errors.New("username already taken")
	ErrLastAdmin      = errors.New("cannot remove the last active administrator")
)

// ValidationError lists invalid fields (problem codes, as elsewhere).
type ValidationError struct{ Fields map[string]string }

func (e *ValidationError) Error() string { return fmt.Sprintf("invalid account: %v", e.Fields) }

// Policy constants.
const (
	MaxFailedLogins = 5
	LockDuration    = 15 * time.Minute
	SessionIdle     = 8 * time.Hour
	MinPassword     = 8
)

// Session is a logged-in user on one browser or window.
type Session struct {
	Token   string
	UserID  string
	Expires time.Time
}

// Service manages users and sessions. Sessions live in memory: a restart
// logs everyone out, and no session token is ever written to disk.
type Service struct {
	st  *store.Store
	now func() time.Time

	mu       sync.Mutex
	sessions map[string]*Session
}

// New returns a Service on st.
func New(st *store.Store) *Service {
	return &Service{st: st, now: time.Now, sessions: map[string]*Session{}}
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

var usernameRE = regexp.MustCompile(`^[a-z0-9._-]{3,32}$`)

func normUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

func validate(u User, password string, needPassword bool) error {
	p := map[string]string{}
	if !usernameRE.MatchString(u.Username) {
		p["username"] = "format"
	}
	if n := utf8.RuneCountInString(u.FullName); n == 0 {
		p["fullName"] = "required"
	} else if n > 100 {
		p["fullName"] = "too_long"
	}
	if len(u.Roles) == 0 {
		p["roles"] = "required"
	}
	for _, r := range u.Roles {
		if !r.Valid() {
			p["roles"] = "unknown"
		}
	}
	if needPassword || password != "" {
		if err := checkPassword(password, u.Username); err != "" {
			p["password"] = err
		}
	}
	if len(p) > 0 {
		return &ValidationError{Fields: p}
	}
	return nil
}

func checkPassword(pw, username string) string {
	switch {
	case utf8.RuneCountInString(pw) < MinPassword:
		return "too_short"
	case len(pw) > 256:
		return "too_long"
	case strings.Contains(strings.ToLower(pw), username):
		return "contains_username"
	}
	return ""
}

// hashPassword returns an argon2id hash in the PHC string format.
func hashPassword(pw string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	const t, m, p = 3, 64 << 10, 2
	key := argon2.IDKey([]byte(pw), salt, t, m, p, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, p, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func checkHash(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// HasUsers reports whether any account exists (false means first run).
func (s *Service) HasUsers(ctx context.Context) (bool, error) {
	found := false
	err := s.st.View(func(x *store.Txn) error {
		return x.Scan(store.PrefixUsers(), nil, false, true, func(_, _ []byte) (bool, error) {
			found = true
			return false, nil
		})
	})
	return found, err
}

// Setup creates the first administrator; it fails once any user exists.
func (s *Service) Setup(ctx context.Context, u User, password string) (User, error) {
	u.Roles = []Role{RoleAdmin}
	return s.create(u, password, true, "")
}

// Create adds a user (an admin's action). The password is the user's
// initial one, to be changed at first login.
func (s *Service) Create(ctx context.Context, u User, password, by string) (User, error) {
	u.MustChangePassword = true
	return s.create(u, password, false, by)
}

func (s *Service) create(u User, password string, first bool, by string) (User, error) {
	u.Username = normUsername(u.Username)
	u.FullName = vntext.Clean(u.FullName)
	if err := validate(u, password, true); err != nil {
		return User{}, err
	}
	now := s.now().UTC()
	u.ID, u.CreatedAt, u.UpdatedAt = newID(), now, now
	u.PasswordHash = hashPassword(password)
	err := s.st.Update(func(x *store.Txn) error {
		if first {
			any := false
			if err := x.Scan(store.PrefixUsers(), nil, false, true, func(_, _ []byte) (bool, error) {
				any = true
				return false, nil
			}); err != nil {
				return err
			}
			if any {
				return ErrSetupDone
			}
			by = u.ID
		}
		if ok, err := x.Exists(store.KeyUsername(u.Username)); err != nil {
			return err
		} else if ok {
			return ErrUsernameTaken
		}
		if err := x.Set(store.KeyUsername(u.Username), []byte(u.ID)); err != nil {
			return err
		}
		if err := x.SetJSON(store.KeyUser(u.ID), u); err != nil {
			return err
		}
		_, err := audit.Append(x, audit.Entry{At: now, Actor: by, Action: "create_user", Object: "user/" + u.ID,
			Summary: u.Username + " " + joinRoles(u.Roles)})
		return err
	})
	if err != nil {
		return User{}, err
	}
	return u.Public(), nil
}

func joinRoles(rs []Role) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return strings.Join(out, ",")
}

// Get returns a user by ID.
func (s *Service) Get(ctx context.Context, id string) (User, error) {
	var u User
	err := s.st.View(func(x *store.Txn) error { return x.GetJSON(store.KeyUser(id), &u) })
	if errors.Is(err, store.ErrNotFound) {
		return User{}, ErrNotFound
	}
	return u.Public(), err
}

// List returns every user without password hashes.
func (s *Service) List(ctx context.Context) ([]User, error) {
	var out []User
	err := s.st.View(func(x *store.Txn) error {
		return x.Scan(store.PrefixUsers(), nil, false, false, func(_, v []byte) (bool, error) {
			var u User
			if err := jsonUnmarshal(v, &u); err != nil {
				return false, err
			}
			out = append(out, u.Public())
			return true, nil
		})
	})
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Username, b.Username) })
	return out, err
}

// Login checks a password and opens a session. Failed attempts count
// towards a temporary lock; the answer does not say whether the username
// exists.
func (s *Service) Login(ctx context.Context, username, password string) (Session, User, error) {
	username = normUsername(username)
	now := s.now()
	var u User
	var outcome error
	err := s.st.Update(func(x *store.Txn) error {
		outcome = nil
		id, err := x.Get(store.KeyUsername(username))
		if errors.Is(err, store.ErrNotFound) {
			// Spend the same time as a real check.
			checkHash(dummyHash, password)
			outcome = ErrBadCredentials
			return nil
		}
		if err != nil {
			return err
		}
		if err := x.GetJSON(store.KeyUser(string(id)), &u); err != nil {
			return err
		}
		switch {
		case u.Disabled:
			outcome = ErrDisabled
			return nil
		case now.Before(u.LockedUntil):
			outcome = ErrLockedOut
			return nil
		}
		if !checkHash(u.PasswordHash, password) {
			u.FailedLogins++
			outcome = ErrBadCredentials
			if u.FailedLogins >= MaxFailedLogins {
				u.LockedUntil, u.FailedLogins = now.Add(LockDuration), 0
				outcome = ErrLockedOut
				if _, err := audit.Append(x, audit.Entry{At: now, Actor: u.ID, Action: "lock_account", Object: "user/" + u.ID}); err != nil {
					return err
				}
			}
			return x.SetJSON(store.KeyUser(u.ID), u)
		}
		if u.FailedLogins != 0 || !u.LockedUntil.IsZero() {
			u.FailedLogins, u.LockedUntil = 0, time.Time{}
			return x.SetJSON(store.KeyUser(u.ID), u)
		}
		return nil
	})
	if err != nil {
		return Session{}, User{}, err
	}
	if outcome != nil {
		return Session{}, User{}, outcome
	}
	tok := make([]byte, 32)
	rand.Read(tok)
	sess := Session{Token: base64.RawURLEncoding.EncodeToString(tok), UserID: u.ID, Expires: now.Add(SessionIdle)}
	s.mu.Lock()
	s.sessions[sess.Token] = &sess
	s.mu.Unlock()
	return sess, u.Public(), nil
}

var dummyHash = hashPassword("not a real password")

// Authenticate returns the user of a live session and extends it.
func (s *Service) Authenticate(ctx context.Context, token string) (User, error) {
	now := s.now()
	s.mu.Lock()
	sess, ok := s.sessions[token]
	if ok && now.After(sess.Expires) {
		delete(s.sessions, token)
		ok = false
	}
	if ok {
		sess.Expires = now.Add(SessionIdle)
	}
	s.mu.Unlock()
	if !ok {
		return User{}, ErrNoSession
	}
	u, err := s.Get(ctx, sess.UserID)
	if err != nil || u.Disabled {
		s.Logout(token)
		return User{}, ErrNoSession
	}
	return u, nil
}

// Logout ends a session.
func (s *Service) Logout(token string) {
	s.mu.Lock()
	delete(s.sessions, token)
	s.mu.Unlock()
}

func (s *Service) endSessionsOf(userID string) {
	s.mu.Lock()
	for t, sess := range s.sessions {
		if sess.UserID == userID {
			delete(s.sessions, t)
		}
	}
	s.mu.Unlock()
}

// ChangePassword changes the user's own password after checking the old one.
func (s *Service) ChangePassword(ctx context.Context, userID, old, next string) error {
	return s.update(userID, userID, "change_password", func(u *User) error {
		if !checkHash(u.PasswordHash, old) {
			return ErrBadCredentials
		}
		if p := checkPassword(next, u.Username); p != "" {
			return &ValidationError{Fields: map[string]string{"password": p}}
		}
		u.PasswordHash, u.MustChangePassword = hashPassword(next), false
		return nil
	})
}

// ResetPassword sets a temporary password chosen by an admin; the user
// must change it at the next login, and their sessions end.
func (s *Service) ResetPassword(ctx context.Context, userID, temp, by string) error {
	err := s.update(userID, by, "reset_password", func(u *User) error {
		if p := checkPassword(temp, u.Username); p != "" {
			return &ValidationError{Fields: map[string]string{"password": p}}
		}
		u.PasswordHash, u.MustChangePassword = hashPassword(temp), true
		u.FailedLogins, u.LockedUntil = 0, time.Time{}
		return nil
	})
	if err == nil {
		s.endSessionsOf(userID)
	}
	return err
}

// Update changes a user's name, roles and disabled flag (an admin's
// action). The last active admin cannot lose the role or be disabled.
func (s *Service) Update(ctx context.Context, userID, fullName string, roles []Role, disabled bool, by string) (User, error) {
	var out User
	err := s.update(userID, by, "update_user", func(u *User) error {
		u.FullName = vntext.Clean(fullName)
		u.Roles, u.Disabled = roles, disabled
		if err := validate(*u, "", false); err != nil {
			return err
		}
		out = *u
		return nil
	})
	if err == nil && disabled {
		s.endSessionsOf(userID)
	}
	return out.Public(), err
}

func (s *Service) update(userID, by, action string, f func(*User) error) error {
	return s.st.Update(func(x *store.Txn) error {
		var u User
		if err := x.GetJSON(store.KeyUser(userID), &u); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrNotFound
			}
			return err
		}
		wasAdmin := u.Has(RoleAdmin) && !u.Disabled
		if err := f(&u); err != nil {
			return err
		}
		if wasAdmin && (!u.Has(RoleAdmin) || u.Disabled) {
			n, err := activeAdmins(x)
			if err != nil {
				return err
			}
			if n <= 1 {
				return ErrLastAdmin
			}
		}
		u.UpdatedAt = s.now().UTC()
		if err := x.SetJSON(store.KeyUser(u.ID), u); err != nil {
			return err
		}
		_, err := audit.Append(x, audit.Entry{At: u.UpdatedAt, Actor: by, Action: action, Object: "user/" + u.ID,
			Summary: u.Username + " " + joinRoles(u.Roles)})
		return err
	})
}

func activeAdmins(x *store.Txn) (int, error) {
	n := 0
	err := x.Scan(store.PrefixUsers(), nil, false, false, func(_, v []byte) (bool, error) {
		var u User
		if err := jsonUnmarshal(v, &u); err != nil {
			return false, err
		}
		if u.Has(RoleAdmin) && !u.Disabled {
			n++
		}
		return true, nil
	})
	return n, err
}

// CheckNew validates a would-be user and password without storing them.
func CheckNew(u User, password string) error {
	u.Username = normUsername(u.Username)
	u.FullName = strings.TrimSpace(u.FullName)
	return validate(u, password, true)
}
