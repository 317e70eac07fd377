package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"motcua/sync/wire"
)

// handleAudit stores a batch of the device's audit chain (POST /v1/audit).
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request, c *deviceCall) {
	var req wire.AuditRequest
	if !s.readDoc(w, r, c, wire.MaxAuditBytes, &req) {
		return
	}
	if err := req.Check(); err != nil {
		failMsg(w, http.StatusBadRequest, wire.CodeBadRequest, "Lô nhật ký không hợp lệ: "+err.Error())
		return
	}
	resp, err := s.storeAudit(r.Context(), c.dev, req)
	if err != nil {
		s.internal(w, r, "audit", err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// readDoc reads a device's JSON document of at most limit bytes (as sent
// and decompressed) into dst, checking the body against its signature. On
// failure it has answered and returns false.
func (s *Server) readDoc(w http.ResponseWriter, r *http.Request, c *deviceCall, limit int64, dst any) bool {
	raw, ok := s.body(w, r, c, limit)
	return ok && decodeDoc(w, r, raw, limit, c.version, dst)
}

// Reasons of an audit conflict (audit_conflicts.reason).
const (
	auditDifferentHash = "different_hash" // the hub holds another entry with this seq
	auditBrokenLink    = "broken_link"    // prev is not the hub's hash of seq-1
	auditAltered       = "altered"        // the entry does not match its own hash
)

// storeAudit appends the batch to the device's chain in one transaction,
// entry by entry, and stops at the first entry it does not store. The
// device row is locked, so two batches of one device never interleave.
func (s *Server) storeAudit(ctx context.Context, dev device, req wire.AuditRequest) (wire.AuditResponse, error) {
	now := s.cfg.Now()
	resp := wire.AuditResponse{Results: []wire.AuditResult{}}
	var conflicts []wire.AuditResult
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		resp.Results, conflicts = resp.Results[:0], nil
		if _, err := tx.Exec(ctx, "SELECT 1 FROM devices WHERE id = $1 FOR UPDATE", dev.ID); err != nil {
			return err
		}
		last := wire.AuditHead{Hash: wire.AuditGenesis}
		err := tx.QueryRow(ctx, "SELECT seq, hash FROM audit_entries WHERE device_id = $1 ORDER BY seq DESC LIMIT 1", dev.ID).
			Scan(&last.Seq, &last.Hash)
		if err != nil && !noRows(err) {
			return err
		}
		stored := map[uint64]string{}
		if n := len(req.Entries); n > 0 && req.Entries[0].Seq <= last.Seq {
			rows, err := tx.Query(ctx, "SELECT seq, hash FROM audit_entries WHERE device_id = $1 AND seq BETWEEN $2 AND $3",
				dev.ID, req.Entries[0].Seq, req.Entries[n-1].Seq)
			if err != nil {
				return err
			}
			for rows.Next() {
				var seq uint64
				var hash string
				if err := rows.Scan(&seq, &hash); err != nil {
					return err
				}
				stored[seq] = hash
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
		for _, e := range req.Entries {
			res := wire.AuditResult{Seq: e.Seq}
			reason, against := "", ""
			own := e.ComputeHash() == e.Hash
			switch err := e.Validate(); {
			case err != nil:
				res.Outcome, res.Code, res.Reason = wire.OutcomeRejected, wire.CodeInvalidRecord,
					fmt.Sprintf("Mục nhật ký số %d không hợp lệ: %v", e.Seq, err)
			case e.Seq <= last.Seq && stored[e.Seq] == e.Hash && own:
				res.Outcome = wire.OutcomeDuplicate
			case e.Seq <= last.Seq && stored[e.Seq] != e.Hash:
				reason, against = auditDifferentHash, stored[e.Seq]
			case e.Seq <= last.Seq:
				reason, against = auditAltered, stored[e.Seq]
			case e.Seq > last.Seq+1:
				res.Outcome, res.Code, res.Reason = wire.OutcomeRejected, wire.CodeAuditGap,
					fmt.Sprintf("Máy chủ tỉnh mới có nhật ký đến mục số %d; cần gửi tiếp từ mục số %d.", last.Seq, last.Seq+1)
			case !own:
				reason = auditAltered
			case e.Prev != last.Hash:
				reason, against = auditBrokenLink, last.Hash
			default:
				record, _ := json.Marshal(e)
				if _, err := tx.Exec(ctx, `INSERT INTO audit_entries (device_id, seq, hash, prev_hash, record, received_at)
					VALUES ($1, $2, $3, $4, $5, $6)`, dev.ID, e.Seq, e.Hash, e.Prev, record, now); err != nil {
					return err
				}
				last = wire.AuditHead{Seq: e.Seq, Hash: e.Hash}
				res.Outcome = wire.OutcomeCreated
			}
			if reason != "" {
				record, _ := json.Marshal(e)
				if _, err := tx.Exec(ctx, `
					INSERT INTO audit_conflicts (device_id, seq, hash, stored_hash, reason, record, first_at, last_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
					ON CONFLICT (device_id, seq, hash) DO UPDATE SET last_at = excluded.last_at, times = audit_conflicts.times + 1`,
					dev.ID, e.Seq, e.Hash, against, reason, record, now); err != nil {
					return err
				}
				res.Outcome, res.Code, res.Reason = wire.OutcomeConflict, wire.CodeAuditConflict, conflictMessage(e.Seq, reason)
				conflicts = append(conflicts, res)
			}
			resp.Results = append(resp.Results, res)
			if !res.Accepted() {
				break
			}
		}
		resp.Stored = last
		if last.Seq == 0 {
			resp.Stored.Hash = ""
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO audit_heads (device_id, head_seq, head_hash, reported_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (device_id) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash,
				reported_at = excluded.reported_at`,
			dev.ID, req.Head.Seq, req.Head.Hash, now)
		return err
	})
	if err != nil {
		return wire.AuditResponse{}, fmt.Errorf("store audit: %w", err)
	}
	for _, r := range resp.Results {
		s.metrics.pushItem("audit", r.Outcome)
	}
	for _, c := range conflicts {
		s.log.Warn("audit chain conflict: the device's log differs from the copy the hub holds", "device", dev.ID,
			"commune", dev.CommuneCode, "seq", c.Seq, "reason", c.Reason)
	}
	return resp, nil
}

func conflictMessage(seq uint64, reason string) string {
	switch reason {
	case auditDifferentHash:
		return fmt.Sprintf("Mục nhật ký số %d khác với bản máy chủ tỉnh đã nhận: nhật ký trên máy đã bị thay đổi sau khi gửi.", seq)
	case auditBrokenLink:
		return fmt.Sprintf("Mục nhật ký số %d không nối tiếp mục số %d máy chủ tỉnh đã nhận: nhật ký trên máy đã bị viết lại.", seq, seq-1)
	}
	return fmt.Sprintf("Mục nhật ký số %d không khớp với mã băm của chính nó: nội dung đã bị sửa.", seq)
}

// AuditChain is what the hub holds of one device's audit chain, for the
// staff UI.
type AuditChain struct {
	CommuneCode string
	DeviceID    string
	DeviceName  string
	Revoked     bool

	LastSeq    uint64     // last stored entry; 0: none yet
	LastAt     *time.Time // its device time
	ReceivedAt *time.Time // when the hub stored it
	// ReportedSeq is the desk's head at its last batch, ReportedAt when.
	ReportedSeq uint64
	ReportedAt  *time.Time

	Conflicts     int    // distinct contradicting entries received
	ConflictSeq   uint64 // the lowest seq among them
	ConflictCause string // its reason (different_hash, broken_link, altered)
	ConflictAt    *time.Time
	// Acks are the acknowledgements of the device's conflicts, oldest
	// first (auditack.go).
	Acks []AuditAck
}

// LastAck is the latest acknowledgement, or nil.
func (c AuditChain) LastAck() *AuditAck {
	if len(c.Acks) == 0 {
		return nil
	}
	return &c.Acks[len(c.Acks)-1]
}

// Acknowledged reports whether someone acknowledged every conflict the
// device has (a conflict that arrived after the last acknowledgement
// makes it false again).
func (c AuditChain) Acknowledged() bool {
	a := c.LastAck()
	return c.Conflicts > 0 && a != nil && a.Conflicts >= c.Conflicts
}

// Continuous reports whether nothing the device sent contradicts the
// stored chain.
func (c AuditChain) Continuous() bool { return c.Conflicts == 0 }

// Behind is how many entries the desk reported that the hub does not hold.
func (c AuditChain) Behind() uint64 {
	if c.ReportedSeq > c.LastSeq {
		return c.ReportedSeq - c.LastSeq
	}
	return 0
}

// AuditChains lists every device that is active or has sent audit entries,
// by commune code then device, in the whole province; the staff UI asks
// AuditChainsFor.
func (s *Server) AuditChains(ctx context.Context) ([]AuditChain, error) {
	return s.auditChains(ctx, scope{all: true})
}

// AuditChainsFor is AuditChains of the communes st may see (scope.go).
func (s *Server) AuditChainsFor(ctx context.Context, st Staff) ([]AuditChain, error) {
	sc, err := s.scopeOf(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("audit chains: %w", err)
	}
	return s.auditChains(ctx, sc)
}

func (s *Server) auditChains(ctx context.Context, sc scope) ([]AuditChain, error) {
	var args []any
	rows, err := s.db.Query(ctx, `
		SELECT a.code, d.id, d.name, d.status = 'revoked',
			coalesce(le.seq, 0), (le.record->>'at')::timestamptz, le.received_at,
			coalesce(h.head_seq, 0), h.reported_at,
			(SELECT count(*) FROM audit_conflicts c WHERE c.device_id = d.id),
			coalesce(fc.seq, 0), coalesce(fc.reason, ''), fc.first_at
		FROM devices d JOIN agencies a ON a.id = d.agency_id
		LEFT JOIN LATERAL (SELECT seq, record, received_at FROM audit_entries e
			WHERE e.device_id = d.id ORDER BY seq DESC LIMIT 1) le ON true
		LEFT JOIN audit_heads h ON h.device_id = d.id
		LEFT JOIN LATERAL (SELECT seq, reason, first_at FROM audit_conflicts c
			WHERE c.device_id = d.id ORDER BY seq, first_at LIMIT 1) fc ON true
		WHERE (d.status = 'active' OR le.seq IS NOT NULL OR fc.seq IS NOT NULL) AND `+sc.cond("d.agency_id", binder(&args))+`
		ORDER BY a.code, d.enrolled_at, d.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("audit chains: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AuditChain, error) {
		var c AuditChain
		err := row.Scan(&c.CommuneCode, &c.DeviceID, &c.DeviceName, &c.Revoked, &c.LastSeq, &c.LastAt, &c.ReceivedAt,
			&c.ReportedSeq, &c.ReportedAt, &c.Conflicts, &c.ConflictSeq, &c.ConflictCause, &c.ConflictAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("audit chains: %w", err)
	}
	acks, err := s.auditAcks(ctx)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Acks = acks[out[i].DeviceID]
	}
	return out, nil
}
