package syncing

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	"motcua/app/office"
	"motcua/app/store"
	"motcua/sync/client"
	"motcua/sync/wire"

	"filippo.io/age"
)

// device is the persisted enrolment. The private key never leaves this
// PC; it lives in the store, which encryption at rest and the encrypted
// backups protect.
type device struct {
	HubURL      string             `json:"hubUrl"`
	DeviceID    string             `json:"deviceId,omitempty"`
	DeviceName  string             `json:"deviceName"`
	PrivateKey  ed25519.PrivateKey `json:"privateKey,omitempty"`
	CommuneCode string             `json:"communeCode,omitempty"`
	CommuneName string             `json:"communeName,omitempty"`
	EnrolledAt  time.Time          `json:"enrolledAt,omitzero"`
	// AgeIdentity is this desk's age X25519 identity ("AGE-SECRET-KEY-1…"):
	// the hub encrypts the changes bundles it writes for the commune to its
	// recipient. Minted at enrolment, or at the first start of a desk
	// enrolled before there was one; kept across enrolments (it belongs to
	// this store, like the data the bundles bring).
	AgeIdentity string `json:"ageIdentity,omitempty"`
	// Pending is an enrolment whose answer has not arrived yet. Its key is
	// stored before the request goes out: the hub binds the code to the
	// first key that uses it, so a retry after a lost answer must use the
	// same key to get the same device back.
	Pending *pendingEnrol `json:"pending,omitempty"`
}

type pendingEnrol struct {
	HubURL string             `json:"hubUrl"`
	Code   string             `json:"code"`
	Key    ed25519.PrivateKey `json:"key"`
}

func loadDevice(st *store.Store) (*device, error) {
	var d device
	err := st.View(func(x *store.Txn) error { return x.GetJSON(store.KeySyncDevice(), &d) })
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load enrolment: %w", err)
	}
	if d.DeviceID != "" && len(d.PrivateKey) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("load enrolment: device %s has a %d-byte key", d.DeviceID, len(d.PrivateKey))
	}
	return &d, nil
}

// ageIdentity parses the device's age identity.
func (d *device) ageIdentity() (*age.X25519Identity, error) {
	id, err := age.ParseX25519Identity(d.AgeIdentity)
	if err != nil {
		return nil, fmt.Errorf("device age identity: %w", err)
	}
	return id, nil
}

// ensureAgeIdentity mints the device's age identity if it has none yet and
// reports whether it did (the caller saves the device).
func (d *device) ensureAgeIdentity() (bool, error) {
	if d.AgeIdentity != "" {
		return false, nil
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return false, fmt.Errorf("generate age identity: %w", err)
	}
	d.AgeIdentity = id.String()
	return true, nil
}

func saveDevice(st *store.Store, d *device) error {
	return st.Update(func(x *store.Txn) error { return x.SetJSON(store.KeySyncDevice(), d) })
}

// Enrolment is the answer to a successful enrolment.
type Enrolment struct {
	HubURL      string    `json:"hubUrl"`
	DeviceID    string    `json:"deviceId"`
	DeviceName  string    `json:"deviceName"`
	CommuneCode string    `json:"communeCode"`
	CommuneName string    `json:"communeName"`
	EnrolledAt  time.Time `json:"enrolledAt"`
}

// Enrol registers this desk with the hub at hubURL using the one-time code
// a hub admin gave the commune. The key pair is generated here and the
// private key stored before the code is sent. The hub's commune must be
// the office's agency code. Enrolling again (a new code, after a
// revocation or to move to another hub) replaces the identity only once
// the hub has accepted the new one, and re-queues items parked because the
// old identity was refused.
func (s *Service) Enrol(ctx context.Context, hubURL, code string) (Enrolment, error) {
	hubURL = strings.TrimRight(strings.TrimSpace(hubURL), "/")
	code = wire.NormalizeEnrolCode(code)
	if code == "" || len(code) > 64 {
		return Enrolment{}, fmt.Errorf("%w: empty or overlong code", ErrEnrolCode)
	}
	set, err := s.cfg.Office.Settings(ctx)
	if errors.Is(err, office.ErrNotConfigured) || (err == nil && set.AgencyCode == "") {
		return Enrolment{}, ErrNotConfigured
	}
	if err != nil {
		return Enrolment{}, err
	}
	cl, err := s.newClient(hubURL)
	if err != nil {
		return Enrolment{}, err
	}

	// Stop a running cycle: it would keep using the old identity.
	s.mu.Lock()
	if s.cancelCycle != nil {
		s.cancelCycle()
	}
	s.mu.Unlock()
	s.cycleMu.Lock()
	defer s.cycleMu.Unlock()

	dev, err := loadDevice(s.st)
	if err != nil {
		return Enrolment{}, err
	}
	if dev == nil {
		dev = &device{}
	}
	if dev.Pending == nil || dev.Pending.HubURL != hubURL || dev.Pending.Code != code {
		_, key, err := ed25519.GenerateKey(nil)
		if err != nil {
			return Enrolment{}, fmt.Errorf("enrol: generate key: %w", err)
		}
		dev.Pending = &pendingEnrol{HubURL: hubURL, Code: code, Key: key}
		if err := saveDevice(s.st, dev); err != nil {
			return Enrolment{}, fmt.Errorf("enrol: %w", err)
		}
	}
	resp, err := cl.Enrol(ctx, code, s.cfg.DeviceName, s.cfg.AppVersion, dev.Pending.Key)
	if err != nil {
		s.log.Warn("enrolment failed", "hub", hubURL, "err", err)
		return Enrolment{}, classify(err)
	}
	if resp.CommuneCode != set.AgencyCode {
		// The code is bound to our pending key now; after the settings or
		// the code are put right, the same request gets the same answer.
		return Enrolment{}, fmt.Errorf("%w: the hub enrolled this device for %s (%s), the office settings say %s",
			ErrCommuneMismatch, resp.CommuneCode, resp.CommuneName, set.AgencyCode)
	}
	moved := dev.HubURL != "" && dev.HubURL != hubURL
	next := &device{HubURL: hubURL, DeviceID: resp.DeviceID, DeviceName: s.cfg.DeviceName, PrivateKey: dev.Pending.Key,
		CommuneCode: resp.CommuneCode, CommuneName: resp.CommuneName, EnrolledAt: resp.EnrolledAt, AgeIdentity: dev.AgeIdentity}
	if _, err := next.ensureAgeIdentity(); err != nil {
		return Enrolment{}, fmt.Errorf("enrol: %w", err)
	}
	if err := saveDevice(s.st, next); err != nil {
		return Enrolment{}, fmt.Errorf("enrol: %w", err)
	}
	if moved {
		// A cursor means nothing to another hub.
		if err := s.updateState(func(st *syncState) { st.Cursor, st.CursorHub = "", "" }); err != nil {
			return Enrolment{}, err
		}
	}
	cl.SetIdentity(client.Identity{DeviceID: next.DeviceID, Key: next.PrivateKey})
	s.mu.Lock()
	s.dev, s.cl, s.blocked, s.problem, s.problemMsg = next, cl, false, "", ""
	s.recipNext, s.recipFor = time.Time{}, ""
	s.mu.Unlock()
	// Tell the hub at once, so a results bundle can be written for this
	// desk right after enrolment; the sync cycle tries again if this fails.
	s.tellRecipient(ctx, cl)
	codes := make([]string, 0, len(authCodes))
	for c := range authCodes {
		codes = append(codes, c)
	}
	if n, err := s.ob.RetryWhere(codes...); err != nil {
		s.log.Error("re-queue items refused under the old identity", "err", err)
	} else if n > 0 {
		s.log.Info("items refused under the old identity are pending again", "count", n)
	}
	s.log.Info("device enrolled", "hub", hubURL, "device", next.DeviceID, "commune", next.CommuneCode)
	s.poke(s.kick)
	return Enrolment{HubURL: hubURL, DeviceID: next.DeviceID, DeviceName: next.DeviceName, CommuneCode: next.CommuneCode,
		CommuneName: next.CommuneName, EnrolledAt: next.EnrolledAt}, nil
}
