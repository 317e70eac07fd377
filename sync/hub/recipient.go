package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"filippo.io/age"

	"motcua/sync/wire"
)

// Device recipients: each desk mints an age X25519 identity and tells the
// hub its recipient under its own signature — online (PUT
// /v1/device/recipient) and in every outbox bundle's manifest — so that the
// changes bundles carried back on a USB stick are encrypted to the commune
// (bundle.go). Telling it again is harmless; a desk enrolled before schema 6
// tells it at its next online cycle or in its next outbox bundle.

// ErrNoRecipient is wrapped when a changes bundle cannot be written because
// the device it is for has not told its age recipient yet.
var ErrNoRecipient = errors.New("the device has not told its age recipient yet")

// handleDeviceRecipient is PUT /v1/device/recipient.
func (s *Server) handleDeviceRecipient(w http.ResponseWriter, r *http.Request, c *deviceCall) {
	var req wire.DeviceRecipient
	if !s.readDoc(w, r, c, 4<<10, &req) {
		return
	}
	if _, err := age.ParseX25519Recipient(req.AgeRecipient); err != nil || !wire.ValidAgeRecipient(req.AgeRecipient) {
		failMsg(w, http.StatusBadRequest, wire.CodeBadRequest, "Khóa mã hóa (age_recipient) không hợp lệ.")
		return
	}
	if err := s.setDeviceRecipient(r.Context(), c.dev.ID, req.AgeRecipient, s.cfg.Now(), true); err != nil {
		s.internal(w, r, "device recipient", err)
		return
	}
	writeJSON(w, http.StatusOK, req)
}

// setDeviceRecipient records the device's recipient as told at time at: the
// hub's clock when the device says it online (now: it wins), the bundle's
// writing time when it comes off a USB stick, which replaces only an older
// telling (a stick can arrive after the desk has been online).
func (s *Server) setDeviceRecipient(ctx context.Context, deviceID, rcpt string, at time.Time, online bool) error {
	tag, err := s.db.Exec(ctx, `UPDATE devices SET age_recipient = $2, age_recipient_at = $3
		WHERE id = $1 AND age_recipient IS DISTINCT FROM $2 AND ($4 OR age_recipient_at IS NULL OR age_recipient_at <= $3)`,
		deviceID, rcpt, at, online)
	if err != nil {
		return fmt.Errorf("device %s recipient: %w", deviceID, err)
	}
	if tag.RowsAffected() > 0 {
		s.log.Info("device age recipient recorded; its commune's changes bundles are encrypted to it", "device", deviceID, "recipient", rcpt)
	}
	return nil
}

// bundleRecipients returns the age recipients a changes bundle for dev is
// encrypted to: every active device of its commune that told one (any desk
// of the commune may carry the stick), provided dev itself did — the bundle
// is for dev, and a file it cannot open helps nobody.
func (s *Server) bundleRecipients(ctx context.Context, dev device) ([]age.Recipient, error) {
	rows, err := s.db.Query(ctx, `SELECT id, age_recipient FROM devices
		WHERE agency_id = $1 AND status = 'active' AND age_recipient IS NOT NULL ORDER BY id`, dev.AgencyID)
	if err != nil {
		return nil, fmt.Errorf("recipients: %w", err)
	}
	defer rows.Close()
	var (
		out  []age.Recipient
		seen = map[string]bool{}
		own  bool
	)
	for rows.Next() {
		var id, text string
		if err := rows.Scan(&id, &text); err != nil {
			return nil, fmt.Errorf("recipients: %w", err)
		}
		own = own || id == dev.ID
		if seen[text] {
			continue
		}
		seen[text] = true
		rcpt, err := age.ParseX25519Recipient(text)
		if err != nil {
			s.log.Warn("stored device recipient does not parse; left out", "device", id, "err", err)
			continue
		}
		out = append(out, rcpt)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recipients: %w", err)
	}
	if !own {
		return nil, fmt.Errorf("device %s: %w", dev.ID, ErrNoRecipient)
	}
	return out, nil
}
