package hub

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"motcua/sync/wire"
)

// Library errors of the admin functions; the admin endpoints map them to
// HTTP statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrInvalid  = errors.New("invalid")
)

const maxEnrolBody = 16 << 10

// enrol registers a device with a one-time code. The code is bound to the
// first public key that uses it, and a repeat of that same enrolment (its
// answer was lost on a bad line) returns the same device: enrolment is as
// idempotent as everything else on the wire.
func (s *Server) enrol(w http.ResponseWriter, r *http.Request) {
	v, verr := wire.Negotiate(r.Header.Get(wire.HeaderProtocol))
	if verr != nil {
		writeErr(w, verr)
		return
	}
	raw, err := readBody(w, r, maxEnrolBody)
	if errors.Is(err, errTooLarge) {
		fail(w, http.StatusRequestEntityTooLarge, wire.CodeTooLarge)
		return
	}
	if err != nil {
		return
	}
	var req wire.EnrolRequest
	if !decodeDoc(w, r, raw, maxEnrolBody, v, &req) {
		return
	}
	code := wire.NormalizeEnrolCode(req.Code)
	name := strings.TrimSpace(req.DeviceName)
	switch {
	case code == "" || len(code) > 64:
		fail(w, http.StatusForbidden, wire.CodeEnrolCodeBad)
		return
	case name == "" || len(name) > 200 || len(req.AppVersion) > 64:
		failMsg(w, http.StatusBadRequest, wire.CodeBadRequest, "Tên thiết bị phải có và không quá 200 ký tự.")
		return
	case len(req.PublicKey) != ed25519.PublicKeySize || len(req.Proof) != ed25519.SignatureSize:
		failMsg(w, http.StatusBadRequest, wire.CodeBadRequest, "Khóa công khai phải là khóa Ed25519 32 byte, kèm chữ ký 64 byte.")
		return
	case !ed25519.Verify(req.PublicKey, wire.EnrolProofMessage(code, req.PublicKey), req.Proof):
		fail(w, http.StatusUnauthorized, wire.CodeBadSignature)
		return
	}
	sum := sha256.Sum256([]byte(code))
	now := s.cfg.Now()
	var (
		resp    wire.EnrolResponse
		status  int
		failure string
	)
	err = s.inTx(r.Context(), func(tx pgx.Tx) error {
		status, failure = 0, ""
		var (
			agencyID  int64
			expiresAt time.Time
			usedBy    *string
		)
		err := tx.QueryRow(r.Context(), `
			SELECT agency_id, expires_at, device_id FROM enrolment_codes WHERE code_sha256 = $1 FOR UPDATE`,
			sum[:]).Scan(&agencyID, &expiresAt, &usedBy)
		if noRows(err) {
			failure = wire.CodeEnrolCodeBad
			return nil
		}
		if err != nil {
			return err
		}
		if usedBy != nil {
			var pub []byte
			err := tx.QueryRow(r.Context(), `
				SELECT d.id, d.public_key, a.code, a.name, d.enrolled_at
				FROM devices d JOIN agencies a ON a.id = d.agency_id WHERE d.id = $1`, *usedBy).
				Scan(&resp.DeviceID, &pub, &resp.CommuneCode, &resp.CommuneName, &resp.EnrolledAt)
			if err != nil {
				return err
			}
			if !ed25519.PublicKey(pub).Equal(ed25519.PublicKey(req.PublicKey)) {
				failure = wire.CodeEnrolCodeUsed
				return nil
			}
			status = http.StatusOK
			return nil
		}
		if now.After(expiresAt) {
			failure = wire.CodeEnrolCodeExpiry
			return nil
		}
		var taken bool
		if err := tx.QueryRow(r.Context(), "SELECT EXISTS (SELECT 1 FROM devices WHERE public_key = $1)",
			req.PublicKey).Scan(&taken); err != nil {
			return err
		}
		if taken {
			failure = wire.CodeKeyInUse
			return nil
		}
		resp.DeviceID = "dev-" + randomHex(12)
		if err := tx.QueryRow(r.Context(), `
			INSERT INTO devices (id, agency_id, name, public_key, app_version, enrolled_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING enrolled_at`,
			resp.DeviceID, agencyID, name, req.PublicKey, req.AppVersion, now).Scan(&resp.EnrolledAt); err != nil {
			return err
		}
		if _, err := tx.Exec(r.Context(), "UPDATE enrolment_codes SET used_at = $2, device_id = $3 WHERE code_sha256 = $1",
			sum[:], now, resp.DeviceID); err != nil {
			return err
		}
		if err := tx.QueryRow(r.Context(), "SELECT code, name FROM agencies WHERE id = $1", agencyID).
			Scan(&resp.CommuneCode, &resp.CommuneName); err != nil {
			return err
		}
		status = http.StatusCreated
		return nil
	})
	if err != nil {
		s.internal(w, r, "enrol", err)
		return
	}
	switch failure {
	case "":
	case wire.CodeKeyInUse, wire.CodeEnrolCodeUsed:
		fail(w, http.StatusConflict, failure)
		return
	default:
		fail(w, http.StatusForbidden, failure)
		return
	}
	if status == http.StatusCreated {
		s.metrics.inc("motcua_hub_enrolments_total", "")
		s.log.Info("device enrolled", "device", resp.DeviceID, "commune", resp.CommuneCode, "name", name)
	}
	resp.EnrolledAt = resp.EnrolledAt.UTC()
	writeJSON(w, status, resp)
}

// Agency is a node of the agency tree. Communes are agencies; devices
// belong to one.
type Agency struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`  // province, commune, department …
	Level      int    `json:"level"` // 1 = top of the tree
	ParentCode string `json:"parent_code,omitempty"`
}

// UpsertAgency creates or renames an agency. The parent must exist.
func (s *Server) UpsertAgency(ctx context.Context, a Agency) error {
	if strings.TrimSpace(a.Code) == "" || strings.TrimSpace(a.Name) == "" || a.Level < 1 {
		return fmt.Errorf("agency %q: %w: code, name and a level ≥ 1 are required", a.Code, ErrInvalid)
	}
	var parent *int64
	if a.ParentCode != "" {
		var id int64
		err := s.db.QueryRow(ctx, "SELECT id FROM agencies WHERE code = $1", a.ParentCode).Scan(&id)
		if noRows(err) {
			return fmt.Errorf("agency %q: parent %q: %w", a.Code, a.ParentCode, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("agency %q: %w", a.Code, err)
		}
		parent = &id
	}
	_, err := s.db.Exec(ctx, `
		INSERT INTO agencies (code, name, kind, level, parent_id) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (code) DO UPDATE SET name = $2, kind = $3, level = $4, parent_id = $5, updated_at = now()`,
		a.Code, a.Name, a.Kind, a.Level, parent)
	if err != nil {
		return fmt.Errorf("agency %q: %w", a.Code, err)
	}
	return nil
}

// EnrolmentCode is a one-time code as shown to the admin, once.
type EnrolmentCode struct {
	Code        string    `json:"code"` // XXXX-XXXX-XXXX
	CommuneCode string    `json:"commune_code"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// crockford is the alphabet of enrolment codes: no I, L, O, U to misread.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// CreateEnrolmentCode mints a one-time code for a device of the commune;
// ttl ≤ 0 takes the configured default. Only the code's hash is stored.
func (s *Server) CreateEnrolmentCode(ctx context.Context, communeCode, createdBy string, ttl time.Duration) (EnrolmentCode, error) {
	if ttl <= 0 {
		ttl = s.cfg.EnrolCodeTTL
	}
	var raw [12]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return EnrolmentCode{}, fmt.Errorf("enrolment code: %w", err)
	}
	// 12 characters of 5 bits: 60 bits, far beyond guessing within a TTL.
	var b strings.Builder
	for i, x := range raw {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(crockford[x&31])
	}
	ec := EnrolmentCode{Code: b.String(), CommuneCode: communeCode, ExpiresAt: s.cfg.Now().Add(ttl).UTC().Truncate(time.Second)}
	sum := sha256.Sum256([]byte(wire.NormalizeEnrolCode(ec.Code)))
	tag, err := s.db.Exec(ctx, `
		INSERT INTO enrolment_codes (code_sha256, agency_id, created_by, expires_at)
		SELECT $1, id, $3, $4 FROM agencies WHERE code = $2`, sum[:], communeCode, createdBy, ec.ExpiresAt)
	if err != nil {
		return EnrolmentCode{}, fmt.Errorf("enrolment code: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return EnrolmentCode{}, fmt.Errorf("enrolment code: commune %q: %w", communeCode, ErrNotFound)
	}
	return ec, nil
}

// Device is a device as hub admins see it.
type Device struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	CommuneCode string     `json:"commune_code"`
	Status      string     `json:"status"`
	AppVersion  string     `json:"app_version,omitempty"`
	EnrolledAt  time.Time  `json:"enrolled_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	LastSeenAt  *time.Time `json:"last_seen_at,omitempty"`
	// AgeRecipientAt is when the device last told a new age recipient;
	// nil until it did (no changes bundle can be written for it yet).
	AgeRecipientAt *time.Time `json:"age_recipient_at,omitempty"`
}

// Devices lists the devices of a commune, or of every commune when
// communeCode is empty.
func (s *Server) Devices(ctx context.Context, communeCode string) ([]Device, error) {
	rows, err := s.db.Query(ctx, `
		SELECT d.id, d.name, a.code, d.status, d.app_version, d.enrolled_at, d.revoked_at, d.last_seen_at, d.age_recipient_at
		FROM devices d JOIN agencies a ON a.id = d.agency_id
		WHERE $1 = '' OR a.code = $1 ORDER BY a.code, d.enrolled_at`, communeCode)
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Device, error) {
		var d Device
		err := row.Scan(&d.ID, &d.Name, &d.CommuneCode, &d.Status, &d.AppVersion, &d.EnrolledAt, &d.RevokedAt, &d.LastSeenAt, &d.AgeRecipientAt)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	return out, nil
}

// RevokeDevice stops a device from syncing; its next request is refused.
// Revoking twice keeps the first time and reason.
func (s *Server) RevokeDevice(ctx context.Context, deviceID, reason string) error {
	tag, err := s.db.Exec(ctx, `
		UPDATE devices SET status = 'revoked', revoked_at = coalesce(revoked_at, $2),
		revoke_reason = CASE WHEN revoked_at IS NULL THEN $3 ELSE revoke_reason END
		WHERE id = $1`, deviceID, s.cfg.Now(), reason)
	if err != nil {
		return fmt.Errorf("revoke %s: %w", deviceID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke %s: %w", deviceID, ErrNotFound)
	}
	s.log.Info("device revoked", "device", deviceID, "reason", reason)
	return nil
}
