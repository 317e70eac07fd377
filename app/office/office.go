// Package office owns the office settings: who this desk is (commune, unit,
// agency e-ID code, address) and its working hours. Later forms, the
// working calendar and the dossier code all read them.
package office

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"motcua/app/audit"
	"motcua/app/store"
	"motcua/app/vntext"
)

// Form sets the province may use (see domain/regulations.md §2.1).
const (
	FormSet032025 = "03/2025" // Thông tư 03/2025/TT-VPCP
	FormSet012018 = "01/2018" // Thông tư 01/2018/TT-VPCP
)

// Hours are the office's working periods as "HH:MM" strings.
type Hours struct {
	MorningStart   string `json:"morningStart"`
	MorningEnd     string `json:"morningEnd"`
	AfternoonStart string `json:"afternoonStart"`
	AfternoonEnd   string `json:"afternoonEnd"`
}

// Settings describe the office. Field names follow the forms' header block.
type Settings struct {
	Province     string    `json:"province"`     // Tỉnh/Thành phố
	ParentAgency string    `json:"parentAgency"` // cơ quan chủ quản, e.g. "UBND xã Hòa Bình"
	UnitName     string    `json:"unitName"`     // e.g. "Trung tâm Phục vụ hành chính công xã Hòa Bình"
	CommuneName  string    `json:"communeName"`  // place name on forms: "Hòa Bình"
	AgencyCode   string    `json:"agencyCode"`   // mã định danh điện tử, opaque
	Address      string    `json:"address"`
	Phone        string    `json:"phone"`
	Email        string    `json:"email"`
	FormSet      string    `json:"formSet"`
	Hours        Hours     `json:"hours"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// DefaultHours are the usual office hours (domain/regulations.md §3).
func DefaultHours() Hours {
	return Hours{MorningStart: "07:00", MorningEnd: "11:30", AfternoonStart: "13:30", AfternoonEnd: "17:00"}
}

// Defaults returns the values a first-run form starts from.
func Defaults() Settings {
	return Settings{FormSet: FormSet032025, Hours: DefaultHours()}
}

// Problem codes of a ValidationError; the API turns them into messages.
const (
	ProblemRequired = "required"
	ProblemTooLong  = "too_long"
	ProblemFormat   = "format"
	ProblemOrder    = "order"
	ProblemUnknown  = "unknown_value"
)

// ValidationError lists what is wrong, per JSON field name.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid settings:")
	for f, p := range e.Fields {
		fmt.Fprintf(&b, " %s=%s", f, p)
	}
	return b.String()
}

var (
	agencyCodeRE = regexp.MustCompile(`^[0-9A-Z]+(\.[0-9A-Z]+)*$`)
	phoneRE      = regexp.MustCompile(`^\+?[0-9 .-]{6,20}$`)
	emailRE      = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	clockRE      = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// Normalize trims fields and puts text into NFC so that what is stored and
// printed is canonical Vietnamese whatever the input method produced.
func (s Settings) Normalize() Settings {
	for _, p := range []*string{&s.Province, &s.ParentAgency, &s.UnitName, &s.CommuneName, &s.Address} {
		*p = vntext.Clean(*p)
	}
	s.AgencyCode = strings.ToUpper(strings.TrimSpace(s.AgencyCode))
	s.Phone = strings.TrimSpace(s.Phone)
	s.Email = strings.TrimSpace(s.Email)
	if s.FormSet == "" {
		s.FormSet = FormSet032025
	}
	return s
}

// Validate reports every problem at once so the form can mark all fields.
func (s Settings) Validate() error {
	p := map[string]string{}
	text := func(field, v string, required bool, max int) {
		switch {
		case required && v == "":
			p[field] = ProblemRequired
		case utf8.RuneCountInString(v) > max:
			p[field] = ProblemTooLong
		}
	}
	text("province", s.Province, false, 100)
	text("parentAgency", s.ParentAgency, true, 200)
	text("unitName", s.UnitName, true, 200)
	text("communeName", s.CommuneName, true, 100)
	text("address", s.Address, false, 300)
	switch {
	case s.AgencyCode == "":
		p["agencyCode"] = ProblemRequired
	case len(s.AgencyCode) > 35:
		p["agencyCode"] = ProblemTooLong
	case !agencyCodeRE.MatchString(s.AgencyCode):
		p["agencyCode"] = ProblemFormat
	}
	if s.Phone != "" && !phoneRE.MatchString(s.Phone) {
		p["phone"] = ProblemFormat
	}
	if s.Email != "" && (len(s.Email) > 254 || !emailRE.MatchString(s.Email)) {
		p["email"] = ProblemFormat
	}
	if s.FormSet != FormSet032025 && s.FormSet != FormSet012018 {
		p["formSet"] = ProblemUnknown
	}
	h := s.Hours
	clocks := []struct{ field, v string }{
		{"hours.morningStart", h.MorningStart}, {"hours.morningEnd", h.MorningEnd},
		{"hours.afternoonStart", h.AfternoonStart}, {"hours.afternoonEnd", h.AfternoonEnd},
	}
	ok := true
	for _, c := range clocks {
		if !clockRE.MatchString(c.v) {
			p[c.field] = ProblemFormat
			ok = false
		}
	}
	// "HH:MM" strings compare in time order.
	if ok && !(h.MorningStart < h.MorningEnd && h.MorningEnd <= h.AfternoonStart && h.AfternoonStart < h.AfternoonEnd) {
		p["hours"] = ProblemOrder
	}
	if len(p) > 0 {
		return &ValidationError{Fields: p}
	}
	return nil
}

// ErrNotConfigured is returned before the first-run setup saved settings.
var ErrNotConfigured = errors.New("office settings not configured")

// Service reads and writes the settings in the store.
type Service struct {
	st  *store.Store
	now func() time.Time

	// vault is the vault's recovery slot (recovery.go); nil for a store
	// without encryption. rotMu serialises changes of the recovery key.
	vault RecoveryVault
	rotMu sync.Mutex
}

// NewService returns a Service on st.
func NewService(st *store.Store) *Service {
	return &Service{st: st, now: time.Now}
}

// Settings returns the saved settings or ErrNotConfigured.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	var out Settings
	err := s.st.View(func(x *store.Txn) error { return x.GetJSON(store.KeyOfficeSettings(), &out) })
	if errors.Is(err, store.ErrNotFound) {
		return Defaults(), ErrNotConfigured
	}
	return out, err
}

// Save validates and durably stores the settings; nothing is written when
// they are invalid.
func (s *Service) Save(ctx context.Context, in Settings) (Settings, error) {
	in = in.Normalize()
	if err := in.Validate(); err != nil {
		return Settings{}, err
	}
	in.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	err := s.st.Update(func(x *store.Txn) error {
		before, err := x.Get(store.KeyOfficeSettings())
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		after, err := json.Marshal(in)
		if err != nil {
			return err
		}
		if err := x.Set(store.KeyOfficeSettings(), after); err != nil {
			return err
		}
		who := audit.ActorFrom(ctx)
		_, err = audit.Append(x, audit.Entry{At: in.UpdatedAt, Actor: who.ID, Role: who.Role, Action: "save_settings",
			Object: "settings/office", Before: audit.Digest(before), After: audit.Digest(after)})
		return err
	})
	if err != nil {
		return Settings{}, fmt.Errorf("save settings: %w", err)
	}
	return in, nil
}

// SetPendingRecoveryKey keeps the vault's recovery key until the office
// confirms it has written it down. It lives only in the encrypted store.
func (s *Service) SetPendingRecoveryKey(ctx context.Context, key string) error {
	return s.st.Update(func(x *store.Txn) error { return x.Set(store.KeyPendingRecovery(), []byte(key)) })
}

// PendingRecoveryKey returns the recovery key still to be shown, if any.
func (s *Service) PendingRecoveryKey(ctx context.Context) (string, bool, error) {
	var b []byte
	err := s.st.View(func(x *store.Txn) error {
		var err error
		b, err = x.Get(store.KeyPendingRecovery())
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if err := s.ensureInVault(string(b)); err != nil {
		return "", false, err
	}
	return string(b), true, nil
}

// AckRecoveryKey forgets the recovery key after the office confirmed it.
func (s *Service) AckRecoveryKey(ctx context.Context) error {
	return s.st.Update(func(x *store.Txn) error {
		if err := x.Delete(store.KeyPendingRecovery()); err != nil {
			return err
		}
		who := audit.ActorFrom(ctx)
		_, err := audit.Append(x, audit.Entry{At: s.now(), Actor: who.ID, Role: who.Role, Action: "ack_recovery_key", Object: "vault"})
		return err
	})
}
