package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"motcua/sync/wire"
)

const defaultPullLimit = 200

// handlePull answers GET /v1/changes?since=CURSOR&limit=N with the commune's
// changes after the cursor. The cursor is "EPOCH.SEQ": a cursor from another
// epoch (the hub's database was rebuilt or restored) restarts from the
// beginning, which is safe because communes apply changes idempotently by
// ID, where trusting the old number would silently skip changes.
func (s *Server) handlePull(w http.ResponseWriter, r *http.Request, c *deviceCall) {
	if _, ok := s.body(w, r, c, 0); !ok {
		return
	}
	q := r.URL.Query()
	limit := defaultPullLimit
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > wire.MaxPullLimit {
			failMsg(w, http.StatusBadRequest, wire.CodeBadRequest, fmt.Sprintf("limit phải từ 1 đến %d.", wire.MaxPullLimit))
			return
		}
		limit = n
	}
	since, ok := s.parseCursor(q.Get("since"))
	if !ok {
		failMsg(w, http.StatusBadRequest, wire.CodeBadRequest, "Con trỏ đồng bộ (since) không hợp lệ.")
		return
	}
	resp, err := s.Pull(r.Context(), c.dev.AgencyID, since, limit)
	if err != nil {
		s.internal(w, r, "pull", err)
		return
	}
	if resp.Reference, err = s.referenceDocs(); err != nil {
		// The province's files are unreadable: the commune's own changes
		// still flow; the documents wait for the fix.
		s.log.Error("reference documents", "err", err)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) parseCursor(c string) (int64, bool) {
	if c == "" {
		return 0, true
	}
	epoch, seq, ok := strings.Cut(c, ".")
	n, valid := parseInt64(seq)
	if !ok || !valid {
		return 0, false
	}
	if epoch != s.epoch {
		s.log.Warn("pull cursor from another hub epoch: restarting from the beginning", "cursor", c, "epoch", s.epoch)
		return 0, true
	}
	return n, true
}

// Pull returns up to limit changes of a commune after sequence since.
func (s *Server) Pull(ctx context.Context, agencyID, since int64, limit int) (wire.PullResponse, error) {
	rows, err := s.db.Query(ctx, `
		SELECT seq, record FROM changes WHERE agency_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		agencyID, since, limit+1)
	if err != nil {
		return wire.PullResponse{}, fmt.Errorf("pull: %w", err)
	}
	defer rows.Close()
	resp := wire.PullResponse{Changes: []wire.Change{}}
	last := since
	for rows.Next() {
		if len(resp.Changes) == limit {
			resp.More = true
			break
		}
		var (
			seq    int64
			record []byte
			ch     wire.Change
		)
		if err := rows.Scan(&seq, &record); err != nil {
			return wire.PullResponse{}, fmt.Errorf("pull: %w", err)
		}
		if err := json.Unmarshal(record, &ch); err != nil {
			return wire.PullResponse{}, fmt.Errorf("pull: change %d: %w", seq, err)
		}
		resp.Changes = append(resp.Changes, ch)
		last = seq
	}
	if err := rows.Err(); err != nil {
		return wire.PullResponse{}, fmt.Errorf("pull: %w", err)
	}
	resp.Cursor = s.epoch + "." + strconv.FormatInt(last, 10)
	return resp, nil
}

// ChangeInput is a hub-side action on a dossier: what staff record in the
// hub's web UI (or an admin through the API).
type ChangeInput struct {
	// ID makes recording idempotent: the UI mints it when the form opens,
	// so a double submit records once. Empty: the hub mints one.
	ID        string `json:"id,omitempty"`
	DossierID string `json:"dossier_id"`
	Kind      string `json:"kind"` // wire.ChangeStatus, ChangeResult or ChangeNote
	// Action, To and NationalStatus say where the dossier goes (status and
	// result changes), in the commune's vocabulary.
	Action         string `json:"action,omitempty"`
	To             string `json:"to,omitempty"`
	NationalStatus int    `json:"national_status,omitempty"`
	// ExpectState, when set, refuses the change if the dossier has moved
	// since the staff member looked at it.
	ExpectState     string             `json:"expect_state,omitempty"`
	Actor           string             `json:"actor"`
	ActorName       string             `json:"actor_name,omitempty"`
	Agency          *wire.Agency       `json:"agency,omitempty"`
	Reason          string             `json:"reason,omitempty"`
	Note            string             `json:"note,omitempty"`
	DueAt           *time.Time         `json:"due_at,omitempty"`
	SupplementItems []string           `json:"supplement_items,omitempty"`
	Amount          int64              `json:"amount,omitempty"`
	Results         []wire.ResultPaper `json:"results,omitempty"`
}

func (in *ChangeInput) validate() error {
	var problems []string
	add := func(p string) { problems = append(problems, p) }
	if in.ID != "" && !wire.ValidID(in.ID) {
		add("id is not a UUID or ULID")
	}
	if !wire.ValidID(in.DossierID) {
		add("dossier_id is not a UUID or ULID")
	}
	if strings.TrimSpace(in.Actor) == "" {
		add("actor is required")
	}
	switch in.Kind {
	case wire.ChangeStatus, wire.ChangeResult:
		if in.Action == "" || in.To == "" {
			add("action and to are required")
		}
		if in.NationalStatus < wire.StatusRegistered || in.NationalStatus > wire.StatusResultsReturned {
			add("national_status must be 1–10")
		}
		if in.Kind == wire.ChangeResult && len(in.Results) == 0 {
			add("a result change needs results")
		}
	case wire.ChangeNote:
		if strings.TrimSpace(in.Note) == "" {
			add("a note change needs a note")
		}
		if in.To != "" || in.NationalStatus != 0 {
			add("a note does not change the status")
		}
	default:
		add("kind must be status, result or note")
	}
	for i, r := range in.Results {
		if !wire.ValidSHA256(r.Blob.SHA256) || r.Blob.Size <= 0 || r.Name == "" {
			add(fmt.Sprintf("results[%d] needs a name and a blob with sha256 and size", i))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("change: %w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

// RecordChange applies a hub-side change to a dossier and appends it to the
// owning commune's pull log. Incrementing the commune's change_seq locks its
// agency row until commit, so log entries commit in sequence order and a
// pull can never see seq n+1 before n. Recording the same ID again returns
// the first record.
func (s *Server) RecordChange(ctx context.Context, in ChangeInput) (wire.Change, error) {
	return s.recordChange(ctx, in, nil)
}

// lockedDossier is the dossier row RecordChange locked.
type lockedDossier struct {
	id       string
	agencyID int64
	state    string
	code     string
	takenBy  *int64
}

// changeHook runs inside RecordChange's transaction after the dossier row
// is locked and its state checked, before the change is written: a staff
// action's own checks and writes commit or fail with its change. It is not
// run for a replayed change ID.
type changeHook func(ctx context.Context, tx pgx.Tx, d lockedDossier) error

func (s *Server) recordChange(ctx context.Context, in ChangeInput, hook changeHook) (wire.Change, error) {
	if err := in.validate(); err != nil {
		return wire.Change{}, err
	}
	if in.ID == "" {
		in.ID = newUUIDv7(s.cfg.Now())
	}
	var sums []string
	for _, r := range in.Results {
		sums = append(sums, r.Blob.SHA256)
	}
	sizes, err := s.blobSizes(ctx, sums)
	if err != nil {
		return wire.Change{}, err
	}
	for _, r := range in.Results {
		if size, ok := sizes[r.Blob.SHA256]; !ok || size != r.Blob.Size {
			return wire.Change{}, fmt.Errorf("change: result %q: blob %s: %w (missing or another size)", r.Name, r.Blob.SHA256, ErrInvalid)
		}
	}
	var out wire.Change
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var record []byte
		err := tx.QueryRow(ctx, "SELECT record FROM changes WHERE id = $1", in.ID).Scan(&record)
		if err == nil {
			if err := json.Unmarshal(record, &out); err != nil {
				return err
			}
			if out.DossierID != in.DossierID {
				// A change ID is never reused for another dossier: answering
				// the first record would report a change that did not happen.
				return fmt.Errorf("change %s is of another dossier: %w", in.ID, ErrConflict)
			}
			return nil
		}
		if !noRows(err) {
			return err
		}
		d := lockedDossier{id: in.DossierID}
		err = tx.QueryRow(ctx, "SELECT agency_id, state, code, taken_by FROM dossiers WHERE id = $1 FOR UPDATE", in.DossierID).
			Scan(&d.agencyID, &d.state, &d.code, &d.takenBy)
		if noRows(err) {
			return fmt.Errorf("change: dossier %s: %w", in.DossierID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		agencyID, state, code := d.agencyID, d.state, d.code
		if in.ExpectState != "" && in.ExpectState != state {
			return fmt.Errorf("change: dossier %s is %q, not %q: %w", in.DossierID, state, in.ExpectState, ErrConflict)
		}
		if hook != nil {
			if err := hook(ctx, tx, d); err != nil {
				return err
			}
		}
		out = wire.Change{
			ID: in.ID, Kind: in.Kind, DossierID: in.DossierID, DossierCode: code,
			Action: in.Action, To: in.To, NationalStatus: in.NationalStatus,
			At: s.cfg.Now().UTC().Truncate(time.Millisecond), Actor: in.Actor, ActorName: in.ActorName,
			Agency: in.Agency, Reason: in.Reason, Note: in.Note, SupplementItems: in.SupplementItems,
			Amount: in.Amount, Results: in.Results,
		}
		if in.To != "" {
			out.From = state
		}
		if in.DueAt != nil {
			due := in.DueAt.UTC()
			out.DueAt = &due
			// The commune's Mẫu 04 and the export both want the old date.
			var prev *time.Time
			if err := tx.QueryRow(ctx, "SELECT due_at FROM dossiers WHERE id = $1", in.DossierID).Scan(&prev); err != nil {
				return err
			}
			if prev != nil {
				p := prev.UTC()
				out.PrevDueAt = &p
			}
		}
		record, hash := canonical(out)
		var seq int64
		if err := tx.QueryRow(ctx, "UPDATE agencies SET change_seq = change_seq + 1 WHERE id = $1 RETURNING change_seq",
			agencyID).Scan(&seq); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO changes (agency_id, seq, id, dossier_id, record) VALUES ($1, $2, $3, $4, $5)",
			agencyID, seq, out.ID, out.DossierID, record); err != nil {
			return err
		}
		action := out.Action
		if action == "" {
			action = "note"
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO events (id, dossier_id, origin, action, from_state, to_state, at, actor, record, content_sha256)
			VALUES ($1, $2, 'hub', $3, $4, $5, $6, $7, $8, $9)`,
			out.ID, out.DossierID, action, out.From, out.To, out.At, out.Actor, record, hash); err != nil {
			return err
		}
		// As for commune events: an apology's date is not the legal one.
		if _, err := tx.Exec(ctx, `
			UPDATE dossiers SET state = coalesce(nullif($2, ''), state),
				national_status = CASE WHEN $3 > 0 THEN $3 ELSE national_status END,
				due_at = coalesce($4, due_at),
				legal_due_at = CASE WHEN $5 = 'apologize_extend' THEN coalesce(legal_due_at, due_at)
					ELSE coalesce($4, legal_due_at) END,
				result_at = CASE WHEN $2 = 'result_ready' AND result_at IS NULL THEN $6 ELSE result_at END,
				updated_at = now(), export_xid = pg_current_xact_id()
			WHERE id = $1`, out.DossierID, out.To, out.NationalStatus, out.DueAt, out.Action, out.At); err != nil {
			return err
		}
		if len(sums) > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO blob_refs (sha256, dossier_id)
				SELECT DISTINCT unnest($1::text[]), $2 ON CONFLICT DO NOTHING`, sums, out.DossierID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return wire.Change{}, err
	}
	return out, nil
}
