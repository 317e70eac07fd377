package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"motcua/sync/wire"
)

func (s *Server) handlePush(w http.ResponseWriter, r *http.Request, c *deviceCall) {
	var req wire.PushRequest
	if !s.readDoc(w, r, c, wire.MaxPushBytes, &req) {
		return
	}
	if n := len(req.Dossiers) + len(req.Events); n > wire.MaxPushItems {
		failMsg(w, http.StatusRequestEntityTooLarge, wire.CodeTooLarge,
			fmt.Sprintf("Một lần gửi tối đa %d hồ sơ và sự kiện (nhận %d).", wire.MaxPushItems, n))
		return
	}
	if msg := duplicateIDs(req); msg != "" {
		failMsg(w, http.StatusBadRequest, wire.CodeBadRequest, msg)
		return
	}
	resp, err := s.push(r.Context(), c.dev, req)
	if err != nil {
		s.internal(w, r, "push", err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// duplicateIDs refuses a batch that names one ID twice: its items' answers
// would depend on the order in which the hub happens to store them.
func duplicateIDs(req wire.PushRequest) string {
	seen := map[string]bool{}
	for _, d := range req.Dossiers {
		if seen["d"+d.ID] {
			return "Hồ sơ " + d.ID + " xuất hiện hai lần trong cùng một lần gửi."
		}
		seen["d"+d.ID] = true
	}
	for _, e := range req.Events {
		if seen["e"+e.ID] {
			return "Sự kiện " + e.ID + " xuất hiện hai lần trong cùng một lần gửi."
		}
		seen["e"+e.ID] = true
	}
	return ""
}

// pushItem is one dossier or event on its way into the database.
type pushItem struct {
	hash   []byte // SHA-256 of the canonical JSON: tells a replay from a rewrite
	record []byte
	sums   []string
	result wire.ItemResult // decided before the transaction when Outcome != ""
}

func rejected(id string, status int, code, reason string) wire.ItemResult {
	return wire.ItemResult{ID: id, Outcome: wire.OutcomeRejected, Status: status, Code: code, Reason: reason}
}

// push stores a batch in one transaction: dossiers first, then events in
// order. Items that are wrong on their own (invalid, another commune's,
// blobs missing) are decided before the transaction and never touch it.
func (s *Server) push(ctx context.Context, dev device, req wire.PushRequest) (wire.PushResponse, error) {
	dossiers := make([]pushItem, len(req.Dossiers))
	events := make([]pushItem, len(req.Events))
	var sums []string
	for i := range req.Dossiers {
		d := &req.Dossiers[i]
		it := &dossiers[i]
		switch err := d.Validate(); {
		case err != nil:
			it.result = rejected(d.ID, http.StatusUnprocessableEntity, wire.CodeInvalidRecord, err.Error())
		case d.CommuneCode != dev.CommuneCode:
			it.result = rejected(d.ID, http.StatusForbidden, wire.CodeWrongCommune,
				fmt.Sprintf("Thiết bị của %s không được gửi hồ sơ của đơn vị %s.", dev.CommuneCode, d.CommuneCode))
		}
		it.record, it.hash = canonical(d)
		for _, b := range d.Blobs() {
			it.sums = append(it.sums, b.SHA256)
		}
		sums = append(sums, it.sums...)
	}
	for i := range req.Events {
		e := &req.Events[i]
		it := &events[i]
		if err := e.Validate(); err != nil {
			it.result = rejected(e.ID, http.StatusUnprocessableEntity, wire.CodeInvalidRecord, err.Error())
		}
		it.record, it.hash = canonical(e)
		for _, b := range e.Blobs() {
			it.sums = append(it.sums, b.SHA256)
		}
		sums = append(sums, it.sums...)
	}

	// Files first: every referenced blob must be on the hub, verified, with
	// the size the record claims.
	sizes, err := s.blobSizes(ctx, sums)
	if err != nil {
		return wire.PushResponse{}, err
	}
	checkBlobs := func(id string, refs []wire.BlobRef, it *pushItem) {
		if it.result.Outcome != "" {
			return
		}
		var missing, mismatched []string
		for _, b := range refs {
			size, ok := sizes[b.SHA256]
			switch {
			case !ok:
				missing = append(missing, b.SHA256)
			case size != b.Size:
				mismatched = append(mismatched, b.SHA256)
			}
		}
		switch {
		case len(mismatched) > 0:
			it.result = rejected(id, http.StatusUnprocessableEntity, wire.CodeBlobMismatch,
				fmt.Sprintf("%d tệp đính kèm có kích thước khác với tệp máy chủ tỉnh đã nhận.", len(mismatched)))
			it.result.Missing = mismatched
		case len(missing) > 0:
			it.result = rejected(id, http.StatusUnprocessableEntity, wire.CodeBlobMissing,
				fmt.Sprintf("Máy chủ tỉnh chưa nhận đủ %d tệp đính kèm; cần gửi tệp trước hồ sơ.", len(missing)))
			it.result.Missing = missing
		}
	}
	for i := range req.Dossiers {
		checkBlobs(req.Dossiers[i].ID, req.Dossiers[i].Blobs(), &dossiers[i])
	}
	for i := range req.Events {
		checkBlobs(req.Events[i].ID, req.Events[i].Blobs(), &events[i])
	}

	resp := wire.PushResponse{
		Dossiers: make([]wire.ItemResult, len(req.Dossiers)),
		Events:   make([]wire.ItemResult, len(req.Events)),
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		// Results are rebuilt on every attempt: a retried transaction
		// starts from nothing.
		for i := range req.Dossiers {
			if dossiers[i].result.Outcome != "" {
				resp.Dossiers[i] = dossiers[i].result
				continue
			}
			res, err := s.putDossier(ctx, tx, dev, &req.Dossiers[i], &dossiers[i])
			if err != nil {
				return fmt.Errorf("dossier %s: %w", req.Dossiers[i].ID, err)
			}
			resp.Dossiers[i] = res
		}
		for i := range req.Events {
			if events[i].result.Outcome != "" {
				resp.Events[i] = events[i].result
				continue
			}
			res, err := s.putEvent(ctx, tx, dev, &req.Events[i], &events[i])
			if err != nil {
				return fmt.Errorf("event %s: %w", req.Events[i].ID, err)
			}
			resp.Events[i] = res
		}
		return nil
	})
	if err != nil {
		return wire.PushResponse{}, err
	}
	for _, r := range resp.Dossiers {
		s.metrics.pushItem("dossier", r.Outcome)
	}
	for _, r := range resp.Events {
		s.metrics.pushItem("event", r.Outcome)
	}
	return resp, nil
}

// canonical is the record as the hub stores it and the hash that identifies
// its content. Re-encoding the decoded value (rather than hashing the bytes
// received) makes the hash independent of whitespace, key order and fields a
// newer client added that this hub does not know.
func canonical(v any) ([]byte, []byte) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("encode a decoded wire value: %v", err)) // cannot fail for wire types
	}
	b := bytes.TrimSpace(buf.Bytes())
	sum := sha256.Sum256(b)
	return b, sum[:]
}

func (s *Server) blobSizes(ctx context.Context, sums []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(sums) == 0 {
		return out, nil
	}
	rows, err := s.db.Query(ctx, "SELECT sha256, size FROM blobs WHERE sha256 = ANY($1)", sums)
	if err != nil {
		return nil, fmt.Errorf("blob sizes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sum string
		var size int64
		if err := rows.Scan(&sum, &size); err != nil {
			return nil, fmt.Errorf("blob sizes: %w", err)
		}
		out[sum] = size
	}
	return out, rows.Err()
}

func utcPtr(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}

// putDossier gets-or-creates one dossier. ON CONFLICT DO NOTHING (without
// a target) absorbs both a replayed ID and a dossier code already used by
// another ID without aborting the batch's transaction; which of the two it
// was is read afterwards. Two pushes racing on one ID serialise on the
// unique index: the second waits for the first to commit, then sees it.
func (s *Server) putDossier(ctx context.Context, tx pgx.Tx, dev device, d *wire.Dossier, it *pushItem) (wire.ItemResult, error) {
	var hubAt time.Time
	err := tx.QueryRow(ctx, `
		INSERT INTO dossiers (id, agency_id, code, procedure_code, state, national_status,
			received_at, due_at, legal_due_at, record, content_sha256, device_id, has_scan, search_words)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13)
		ON CONFLICT DO NOTHING RETURNING hub_received_at`,
		d.ID, dev.AgencyID, d.Code, d.Procedure.Code, d.Status.State, d.Status.National,
		d.ReceivedAt, d.DueAt, it.record, it.hash, dev.ID, len(it.sums) > 0,
		searchWords(d.Code, d.Procedure.Code, d.Applicant.Name, d.Procedure.Name)).Scan(&hubAt)
	if err == nil {
		if len(it.sums) > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO blob_refs (sha256, dossier_id)
				SELECT DISTINCT unnest($1::text[]), $2 ON CONFLICT DO NOTHING`, it.sums, d.ID); err != nil {
				return wire.ItemResult{}, err
			}
		}
		return wire.ItemResult{ID: d.ID, Outcome: wire.OutcomeCreated, Status: http.StatusCreated, HubReceivedAt: utcPtr(hubAt)}, nil
	}
	if !noRows(err) {
		return wire.ItemResult{}, err
	}
	var hash []byte
	err = tx.QueryRow(ctx, "SELECT content_sha256, hub_received_at FROM dossiers WHERE id = $1", d.ID).Scan(&hash, &hubAt)
	if noRows(err) {
		return wire.ItemResult{ID: d.ID, Outcome: wire.OutcomeConflict, Status: http.StatusConflict, Code: wire.CodeDossierCodeUsed,
			Reason: fmt.Sprintf("Mã hồ sơ %s đã được dùng cho một hồ sơ khác trên máy chủ tỉnh.", d.Code)}, nil
	}
	if err != nil {
		return wire.ItemResult{}, err
	}
	return replayResult(d.ID, hash, it.hash, hubAt,
		"Hồ sơ này đã được gửi trước đó với nội dung khác; thay đổi sau khi tiếp nhận phải gửi dưới dạng sự kiện."), nil
}

func replayResult(id string, stored, got []byte, hubAt time.Time, conflictReason string) wire.ItemResult {
	if bytes.Equal(stored, got) {
		return wire.ItemResult{ID: id, Outcome: wire.OutcomeDuplicate, Status: http.StatusOK, HubReceivedAt: utcPtr(hubAt)}
	}
	return wire.ItemResult{ID: id, Outcome: wire.OutcomeConflict, Status: http.StatusConflict, Code: wire.CodeContentConflict,
		Reason: conflictReason, HubReceivedAt: utcPtr(hubAt)}
}

const eventConflictReason = "Sự kiện này đã được gửi trước đó với nội dung khác."

// storedEvent answers an event whose ID the hub already holds as a replay
// (or a conflicting rewrite); ok is false when it holds no such event.
func storedEvent(ctx context.Context, tx pgx.Tx, id string, hash []byte) (res wire.ItemResult, ok bool, err error) {
	var (
		stored []byte
		hubAt  time.Time
	)
	err = tx.QueryRow(ctx, "SELECT content_sha256, hub_received_at FROM events WHERE id = $1", id).Scan(&stored, &hubAt)
	if noRows(err) {
		return wire.ItemResult{}, false, nil
	}
	if err != nil {
		return wire.ItemResult{}, false, err
	}
	return replayResult(id, stored, hash, hubAt, eventConflictReason), true, nil
}

// putEvent gets-or-creates one commune event and moves the hub's copy of
// the dossier, in two statements on the common path: the first locks the
// dossier row (so events on one dossier apply one at a time) and reads
// whether the event is already stored; the second inserts the event and,
// only if it was inserted, moves the dossier. An event that expects a state
// the dossier has left (the processing agency moved it) is a conflict for a
// person.
func (s *Server) putEvent(ctx context.Context, tx pgx.Tx, dev device, e *wire.Event, it *pushItem) (wire.ItemResult, error) {
	var (
		agencyID int64
		state    string
		hash     []byte
		hubAt    *time.Time
	)
	err := tx.QueryRow(ctx, `
		SELECT d.agency_id, d.state, e.content_sha256, e.hub_received_at
		FROM dossiers d LEFT JOIN events e ON e.id = $2
		WHERE d.id = $1 FOR UPDATE OF d`, e.DossierID, e.ID).Scan(&agencyID, &state, &hash, &hubAt)
	if noRows(err) {
		// No such dossier here; the ID may still be a stored event's.
		if res, ok, err := storedEvent(ctx, tx, e.ID, it.hash); ok || err != nil {
			return res, err
		}
		return rejected(e.ID, http.StatusUnprocessableEntity, wire.CodeUnknownDossier,
			"Máy chủ tỉnh chưa có hồ sơ của sự kiện này; cần gửi hồ sơ trước."), nil
	}
	if err != nil {
		return wire.ItemResult{}, err
	}
	if hash != nil {
		return replayResult(e.ID, hash, it.hash, *hubAt, eventConflictReason), nil
	}
	if agencyID != dev.AgencyID {
		return rejected(e.ID, http.StatusForbidden, wire.CodeWrongCommune,
			"Hồ sơ của sự kiện này thuộc đơn vị khác."), nil
	}
	attach := e.Action == wire.ActionAttachScans
	if attach {
		// Scans join the dossier wherever processing has taken it.
		e.To, e.NationalStatus = state, 0
	}
	if state != e.From && !attach {
		// The row lock may have waited for a concurrent push of this very
		// event, which moved the dossier: that is a replay, not a conflict.
		if res, ok, err := storedEvent(ctx, tx, e.ID, it.hash); ok || err != nil {
			return res, err
		}
		return wire.ItemResult{ID: e.ID, Outcome: wire.OutcomeConflict, Status: http.StatusConflict, Code: wire.CodeStateConflict,
			Reason: fmt.Sprintf("Hồ sơ trên máy chủ tỉnh đang ở trạng thái %q, không phải %q như khi thao tác; cần cập nhật từ máy chủ tỉnh rồi xem lại.",
				state, e.From)}, nil
	}
	// An apology's new date is not the legal deadline (QĐ 766 measures
	// against the appointment before it); a supplement's is. The dossier
	// moves only if the event was inserted: ON CONFLICT DO NOTHING means
	// the same ID raced in (whatever it is, not this content's first
	// arrival).
	move := `UPDATE dossiers SET state = $5, national_status = $11, due_at = coalesce($12, due_at),
			legal_due_at = CASE WHEN $3 = 'apologize_extend' THEN coalesce(legal_due_at, due_at)
				ELSE coalesce($12, legal_due_at) END,
			result_at = CASE WHEN $5 = 'result_ready' AND result_at IS NULL THEN $6 ELSE result_at END,
			has_scan = has_scan OR $13,
			updated_at = now(), export_xid = pg_current_xact_id()
		WHERE id = $2 AND EXISTS (SELECT 1 FROM ins)`
	args := []any{e.ID, e.DossierID, e.Action, e.From, e.To, e.At, e.Actor, it.record, it.hash, dev.ID,
		e.NationalStatus, e.DueAt, len(it.sums) > 0}
	if attach {
		move = `UPDATE dossiers SET has_scan = has_scan OR $11, updated_at = now(), export_xid = pg_current_xact_id()
		WHERE id = $2 AND EXISTS (SELECT 1 FROM ins)`
		args = append(args[:10], len(it.sums) > 0)
	}
	var at time.Time
	err = tx.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO events (id, dossier_id, origin, action, from_state, to_state, at, actor, record, content_sha256, device_id)
			VALUES ($1, $2, 'commune', $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (id) DO NOTHING RETURNING hub_received_at),
		moved AS (`+move+`)
		SELECT hub_received_at FROM ins`, args...).Scan(&at)
	if noRows(err) {
		res, ok, err := storedEvent(ctx, tx, e.ID, it.hash)
		if err == nil && !ok {
			err = fmt.Errorf("event %s neither inserted nor stored", e.ID)
		}
		return res, err
	}
	if err != nil {
		return wire.ItemResult{}, err
	}
	if len(it.sums) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO blob_refs (sha256, dossier_id)
			SELECT DISTINCT unnest($1::text[]), $2 ON CONFLICT DO NOTHING`, it.sums, e.DossierID); err != nil {
			return wire.ItemResult{}, err
		}
	}
	return wire.ItemResult{ID: e.ID, Outcome: wire.OutcomeCreated, Status: http.StatusCreated, HubReceivedAt: utcPtr(at)}, nil
}
