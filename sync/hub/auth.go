package hub

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"motcua/sync/wire"
)

// device is an authenticated caller.
type device struct {
	ID          string
	AgencyID    int64
	CommuneCode string
	CommuneName string
}

// deviceCall is a request that passed authentication: who sent it, the
// protocol it speaks and what its signature covers (for the body hash).
type deviceCall struct {
	dev     device
	version wire.Version
	signed  wire.Signed
}

type deviceHandler func(w http.ResponseWriter, r *http.Request, c *deviceCall)

// device wraps h with the checks every device request passes, cheapest
// first: protocol version, signature headers, timestamp window, the device
// and its signature, revocation, and finally the nonce, which is recorded
// only for requests that proved who sent them (so junk cannot fill the
// table). The body hash is checked by the handler when it reads the body.
func (s *Server) device(h deviceHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, verr := wire.Negotiate(r.Header.Get(wire.HeaderProtocol))
		if verr != nil {
			s.metrics.authFailure("protocol")
			writeErr(w, verr)
			return
		}
		sg, sig, err := wire.SignedFromRequest(r)
		if err != nil {
			s.metrics.authFailure("unsigned")
			failMsg(w, http.StatusUnauthorized, wire.CodeUnauthenticated, messages[wire.CodeUnauthenticated]+" ("+err.Error()+")")
			return
		}
		now := s.cfg.Now()
		if _, err := wire.CheckTimestamp(sg.Timestamp, now, s.cfg.MaxClockSkew); err != nil {
			s.metrics.authFailure("stale")
			hubTime := now.UTC()
			code, msg := wire.CodeStaleTimestamp, fmt.Sprintf("Đồng hồ của máy lệch quá %d phút so với máy chủ tỉnh.", int(s.cfg.MaxClockSkew.Minutes()))
			if errors.Is(err, wire.ErrUnsigned) {
				code, msg = wire.CodeUnauthenticated, err.Error()
			}
			writeErr(w, &wire.Error{Status: http.StatusUnauthorized, Code: code, Message: msg, HubTime: &hubTime})
			return
		}
		var (
			dev    device
			pub    []byte
			status string
		)
		err = s.db.QueryRow(r.Context(), `
			SELECT d.id, d.agency_id, a.code, a.name, d.public_key, d.status
			FROM devices d JOIN agencies a ON a.id = d.agency_id WHERE d.id = $1`, sg.Device).
			Scan(&dev.ID, &dev.AgencyID, &dev.CommuneCode, &dev.CommuneName, &pub, &status)
		if noRows(err) {
			s.metrics.authFailure("unknown_device")
			fail(w, http.StatusUnauthorized, wire.CodeUnknownDevice)
			return
		}
		if err != nil {
			s.internal(w, r, "auth: load device", err)
			return
		}
		if !sg.Verify(ed25519.PublicKey(pub), sig) {
			s.metrics.authFailure("bad_signature")
			fail(w, http.StatusUnauthorized, wire.CodeBadSignature)
			return
		}
		if status != "active" {
			s.metrics.authFailure("revoked")
			fail(w, http.StatusForbidden, wire.CodeDeviceRevoked)
			return
		}
		// The nonce must outlive the whole window in which its timestamp is
		// acceptable: ±skew around the signed time.
		//
		// Its commit does not wait for the disk (synchronous_commit off for
		// this statement's own transaction): a single-event push otherwise
		// pays two WAL flushes, this one and its change's. Nothing is lost
		// that matters — the handler's own synchronous commit flushes the
		// WAL up to and past this insert, and a crash in between can at
		// worst forget the nonce of a request that changed nothing, whose
		// replay changes nothing either.
		tag, err := s.db.Exec(r.Context(), `
			WITH async AS (SELECT set_config('synchronous_commit', 'off', true)),
			seen AS (
				UPDATE devices SET last_seen_at = $4 WHERE id = $1
				AND (last_seen_at IS NULL OR last_seen_at < $4::timestamptz - interval '1 minute'))
			INSERT INTO nonces (device_id, nonce, expires_at) SELECT $1, $2, $3 FROM async
			ON CONFLICT DO NOTHING`,
			dev.ID, sg.Nonce, now.Add(2*s.cfg.MaxClockSkew+wire.MaxClockSkew), now)
		if err != nil {
			s.internal(w, r, "auth: record nonce", err)
			return
		}
		if tag.RowsAffected() == 0 {
			s.metrics.authFailure("replayed_nonce")
			fail(w, http.StatusUnauthorized, wire.CodeReplayedNonce)
			return
		}
		h(w, r, &deviceCall{dev: dev, version: v, signed: sg})
	}
}

// body reads the request body (up to limit) and checks it against the
// signed hash. On failure it has answered and returns false.
func (s *Server) body(w http.ResponseWriter, r *http.Request, c *deviceCall, limit int64) ([]byte, bool) {
	raw, err := readBody(w, r, limit)
	if errors.Is(err, errTooLarge) {
		failMsg(w, http.StatusRequestEntityTooLarge, wire.CodeTooLarge,
			fmt.Sprintf("Dữ liệu gửi lên quá lớn (tối đa %d KB).", limit/1024))
		return nil, false
	}
	if err != nil {
		// The client went away mid-body: nothing to answer, nothing stored.
		s.log.Info("request body cut", "device", c.dev.ID, "path", r.URL.Path, "err", err)
		s.metrics.inc("motcua_hub_bodies_cut_total", "")
		return nil, false
	}
	if wire.SumHex(raw) != c.signed.BodySHA256 {
		s.metrics.authFailure("body_hash")
		fail(w, http.StatusBadRequest, wire.CodeBodyHash)
		return nil, false
	}
	return raw, true
}

// admin wraps h with the admin token check. The comparison is on hashes so
// it takes the same time whatever the token's length.
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	want := sha256.Sum256([]byte(s.cfg.AdminToken))
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.AdminToken == "" {
			failMsg(w, http.StatusForbidden, wire.CodeForbidden, "Chức năng quản trị chưa được bật (chưa cấu hình admin token).")
			return
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(token))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			s.metrics.authFailure("admin_token")
			fail(w, http.StatusUnauthorized, wire.CodeUnauthenticated)
			return
		}
		h(w, r)
	}
}
