package hub

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"motcua/app/vntext"
)

// Acknowledging audit conflicts. A conflict is evidence that a desk's log
// changed after the hub received it; once someone has looked into it (a
// restore from an older backup, say), an admin records that with a short
// note. The acknowledgement is appended (audit_conflict_acks, migration 7:
// the table refuses UPDATE, DELETE and TRUNCATE) and covers the conflicts
// the device had then; the conflicts stay, and a new one makes the device
// unacknowledged again.

// MaxAckNote bounds an acknowledgement's note, in characters.
const MaxAckNote = 500

// ErrAuditChanged is wrapped when the device's conflicts changed since the
// official saw them: they must look at the new ones before acknowledging.
var ErrAuditChanged = fmt.Errorf("%w: the device's audit conflicts changed", ErrConflict)

// AuditAck is one acknowledgement of a device's audit conflicts.
type AuditAck struct {
	ID        int64
	DeviceID  string
	Conflicts int    // how many distinct conflicting entries it covers
	FirstSeq  uint64 // the lowest of them
	Note      string
	Username  string // the official, as they were then
	FullName  string
	At        time.Time
}

// AcknowledgeAuditConflicts records that staff looked into the device's
// audit conflicts, of which they saw seen. Only an admin may; the note is
// required. A double submit returns the first acknowledgement; conflicts
// that changed since the page was shown are refused (ErrAuditChanged).
func (s *Server) AcknowledgeAuditConflicts(ctx context.Context, deviceID string, seen int, note string, staff Staff) (AuditAck, error) {
	if !staff.Admin() {
		return AuditAck{}, fmt.Errorf("acknowledge audit conflicts: %w: %s is not an admin", ErrNotAllowed, staff.Username)
	}
	note = vntext.Clean(note)
	if note == "" || utf8.RuneCountInString(note) > MaxAckNote {
		return AuditAck{}, fmt.Errorf("acknowledge audit conflicts: %w: the note must have 1 to %d characters", ErrInvalid, MaxAckNote)
	}
	ack := AuditAck{DeviceID: deviceID, Note: note, Username: staff.Username, FullName: staff.FullName, At: s.cfg.Now().UTC()}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var first *int64
		if err := tx.QueryRow(ctx, "SELECT count(*), min(seq) FROM audit_conflicts WHERE device_id = $1", deviceID).
			Scan(&ack.Conflicts, &first); err != nil {
			return err
		}
		switch {
		case ack.Conflicts == 0:
			return fmt.Errorf("%w: device %q has no audit conflict", ErrNotFound, deviceID)
		case ack.Conflicts != seen:
			return fmt.Errorf("%w: %d conflicts now, %d seen", ErrAuditChanged, ack.Conflicts, seen)
		}
		ack.FirstSeq = uint64(*first)
		err := tx.QueryRow(ctx, `INSERT INTO audit_conflict_acks
			(device_id, conflicts, first_seq, note, staff_id, staff_username, staff_name, acked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (device_id, conflicts) DO NOTHING RETURNING id`,
			deviceID, ack.Conflicts, int64(ack.FirstSeq), note, staff.ID, staff.Username, staff.FullName, ack.At).Scan(&ack.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			// Acknowledged already (a double submit, or a colleague): the first stands.
			ack, err = scanAck(tx.QueryRow(ctx, ackColumns+" WHERE device_id = $1 AND conflicts = $2", deviceID, ack.Conflicts))
			return err
		}
		return err
	})
	if err != nil {
		return AuditAck{}, fmt.Errorf("acknowledge audit conflicts of %s: %w", deviceID, err)
	}
	s.log.Info("audit conflicts acknowledged", "device", deviceID, "conflicts", ack.Conflicts, "first_seq", ack.FirstSeq,
		"staff", ack.Username, "ack", ack.ID)
	return ack, nil
}

const ackColumns = `SELECT id, device_id, conflicts, first_seq, note, staff_username, staff_name, acked_at FROM audit_conflict_acks`

func scanAck(row pgx.Row) (AuditAck, error) {
	var (
		a     AuditAck
		first int64
	)
	err := row.Scan(&a.ID, &a.DeviceID, &a.Conflicts, &first, &a.Note, &a.Username, &a.FullName, &a.At)
	a.FirstSeq = uint64(first)
	return a, err
}

// auditAcks returns every acknowledgement, oldest first, by device.
func (s *Server) auditAcks(ctx context.Context) (map[string][]AuditAck, error) {
	rows, err := s.db.Query(ctx, ackColumns+" ORDER BY device_id, id")
	if err != nil {
		return nil, fmt.Errorf("audit acknowledgements: %w", err)
	}
	acks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AuditAck, error) { return scanAck(row) })
	if err != nil {
		return nil, fmt.Errorf("audit acknowledgements: %w", err)
	}
	out := map[string][]AuditAck{}
	for _, a := range acks {
		out[a.DeviceID] = append(out[a.DeviceID], a)
	}
	return out, nil
}
