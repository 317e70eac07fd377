package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"motcua/sync/hub/dvcqg"
	"motcua/sync/wire"
)

const maxAdminBody = 1 << 20

// adminDecode strictly decodes an admin request body.
func adminDecode(w http.ResponseWriter, r *http.Request, dst any) bool {
	raw, err := readBody(w, r, maxAdminBody)
	if err != nil {
		fail(w, http.StatusRequestEntityTooLarge, wire.CodeTooLarge)
		return false
	}
	return decodeDoc(w, r, raw, maxAdminBody, wire.Current, dst)
}

// adminError maps the library's errors to statuses.
func (s *Server) adminError(w http.ResponseWriter, r *http.Request, op string, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		failMsg(w, http.StatusNotFound, wire.CodeNotFound, err.Error())
	case errors.Is(err, ErrConflict):
		failMsg(w, http.StatusConflict, wire.CodeStateConflict, err.Error())
	case errors.Is(err, ErrInvalid):
		failMsg(w, http.StatusUnprocessableEntity, wire.CodeInvalidRecord, err.Error())
	default:
		s.internal(w, r, op, err)
	}
}

func (s *Server) adminPutAgency(w http.ResponseWriter, r *http.Request) {
	var a Agency
	if !adminDecode(w, r, &a) {
		return
	}
	a.Code = r.PathValue("code")
	if err := s.UpsertAgency(r.Context(), a); err != nil {
		s.adminError(w, r, "put agency", err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// EnrolCodeRequest asks for a one-time enrolment code.
type EnrolCodeRequest struct {
	CommuneCode string `json:"commune_code"`
	TTLSeconds  int64  `json:"ttl_seconds,omitempty"`
	CreatedBy   string `json:"created_by,omitempty"`
}

func (s *Server) adminEnrolCode(w http.ResponseWriter, r *http.Request) {
	var req EnrolCodeRequest
	if !adminDecode(w, r, &req) {
		return
	}
	ec, err := s.CreateEnrolmentCode(r.Context(), req.CommuneCode, req.CreatedBy, time.Duration(req.TTLSeconds)*time.Second)
	if err != nil {
		s.adminError(w, r, "enrolment code", err)
		return
	}
	writeJSON(w, http.StatusCreated, ec)
}

func (s *Server) adminDevices(w http.ResponseWriter, r *http.Request) {
	ds, err := s.Devices(r.Context(), r.URL.Query().Get("commune"))
	if err != nil {
		s.adminError(w, r, "devices", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": ds})
}

// RevokeRequest says why a device is revoked.
type RevokeRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) adminRevoke(w http.ResponseWriter, r *http.Request) {
	var req RevokeRequest
	if !adminDecode(w, r, &req) {
		return
	}
	if err := s.RevokeDevice(r.Context(), r.PathValue("id"), req.Reason); err != nil {
		s.adminError(w, r, "revoke", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminChange(w http.ResponseWriter, r *http.Request) {
	var in ChangeInput
	if !adminDecode(w, r, &in) {
		return
	}
	if in.DossierID != "" && in.DossierID != r.PathValue("id") {
		failMsg(w, http.StatusBadRequest, wire.CodeBadRequest, "dossier_id khác với đường dẫn.")
		return
	}
	in.DossierID = r.PathValue("id")
	ch, err := s.RecordChange(r.Context(), in)
	if err != nil {
		s.adminError(w, r, "record change", err)
		return
	}
	writeJSON(w, http.StatusOK, ch)
}

// adminPutBlob stores the request body as a blob (a result paper).
func (s *Server) adminPutBlob(w http.ResponseWriter, r *http.Request) {
	ref, err := s.PutBlob(r.Context(), r.Body, r.Header.Get("Content-Type"), r.URL.Query().Get("name"))
	if err != nil {
		s.adminError(w, r, "put blob", err)
		return
	}
	writeJSON(w, http.StatusCreated, ref)
}

// adminGetBlob serves any blob to the provincial side (the export's file
// links point here).
func (s *Server) adminGetBlob(w http.ResponseWriter, r *http.Request) {
	sum, ok := blobSum(w, r)
	if !ok {
		return
	}
	f, err := s.blobs.Open(r.Context(), sum)
	if errors.Is(err, fs.ErrNotExist) {
		fail(w, http.StatusNotFound, wire.CodeNotFound)
		return
	}
	if err != nil {
		s.internal(w, r, "admin blob", err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"`+sum+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
}

// ExportPage is one page of the national export.
type ExportPage struct {
	Service string       `json:"service"`
	Data    []dvcqg.HoSo `json:"data"`
	Cursor  string       `json:"cursor"`
	More    bool         `json:"more"`
}

func (s *Server) adminExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 100
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			failMsg(w, http.StatusBadRequest, wire.CodeBadRequest, "limit phải từ 1 đến 1000.")
			return
		}
		limit = n
	}
	page, err := s.Export(r.Context(), q.Get("cursor"), limit)
	if err != nil {
		s.adminError(w, r, "export", err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// Export returns dossiers changed after cursor in the national portal's
// field set, oldest change first. A dossier changed again later appears
// again (the portal upserts by MaHoSo). The cursor is "XID:ID" of the last
// row's writing transaction; only rows of transactions older than every
// transaction still running are returned, so a slow transaction that
// commits later can never land behind a cursor already handed out.
func (s *Server) Export(ctx context.Context, cursor string, limit int) (ExportPage, error) {
	xid, lastID := "0", ""
	if cursor != "" {
		var ok bool
		xid, lastID, ok = strings.Cut(cursor, ":")
		if _, valid := parseInt64(xid); !ok || !valid {
			return ExportPage{}, fmt.Errorf("export: cursor %q: %w", cursor, ErrInvalid)
		}
	}
	page := ExportPage{Service: dvcqg.Service, Data: []dvcqg.HoSo{}, Cursor: cursor}
	type row struct {
		id, xid  string
		record   []byte
		national int
		due      *time.Time
	}
	var rows []row
	err := pgx.BeginTxFunc(ctx, s.db, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		rs, err := tx.Query(ctx, `
			SELECT id, export_xid::text, record, national_status, due_at FROM dossiers
			WHERE (export_xid, id) > ($1::text::xid8, $2)
			  AND export_xid < pg_snapshot_xmin(pg_current_snapshot())
			ORDER BY export_xid, id LIMIT $3`, xid, lastID, limit+1)
		if err != nil {
			return err
		}
		rows, err = pgx.CollectRows(rs, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.xid, &x.record, &x.national, &x.due)
			return x, err
		})
		if err != nil {
			return err
		}
		if len(rows) > limit {
			rows, page.More = rows[:limit], true
		}
		for _, x := range rows {
			var d wire.Dossier
			if err := json.Unmarshal(x.record, &d); err != nil {
				return fmt.Errorf("dossier %s: %w", x.id, err)
			}
			steps, err := s.steps(ctx, tx, x.id)
			if err != nil {
				return err
			}
			page.Data = append(page.Data, dvcqg.Map(dvcqg.Input{
				Dossier: d, NationalStatus: x.national, DueAt: x.due, Steps: steps, FileURL: s.fileURL,
			}))
			page.Cursor = x.xid + ":" + x.id
		}
		return nil
	})
	if err != nil {
		return ExportPage{}, fmt.Errorf("export: %w", err)
	}
	return page, nil
}

func (s *Server) fileURL(sum string) string {
	if s.cfg.PublicURL == "" {
		return ""
	}
	return strings.TrimRight(s.cfg.PublicURL, "/") + "/admin/v1/blobs/" + sum
}

// steps reads a dossier's events and hub changes as export steps.
func (s *Server) steps(ctx context.Context, tx pgx.Tx, dossierID string) ([]dvcqg.Step, error) {
	rs, err := tx.Query(ctx, "SELECT origin, record FROM events WHERE dossier_id = $1 ORDER BY ord", dossierID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rs, func(r pgx.CollectableRow) (dvcqg.Step, error) {
		var (
			origin string
			record []byte
		)
		if err := r.Scan(&origin, &record); err != nil {
			return dvcqg.Step{}, err
		}
		if origin == "hub" {
			var c wire.Change
			if err := json.Unmarshal(record, &c); err != nil {
				return dvcqg.Step{}, err
			}
			return dvcqg.Step{ID: c.ID, Action: c.Action, At: c.At, Actor: c.Actor, ActorName: c.ActorName,
				Agency: c.Agency, Reason: c.Reason, Note: c.Note, DueAt: c.DueAt, PrevDueAt: c.PrevDueAt,
				SupplementItems: c.SupplementItems, Results: c.Results}, nil
		}
		var e wire.Event
		if err := json.Unmarshal(record, &e); err != nil {
			return dvcqg.Step{}, err
		}
		return dvcqg.Step{ID: e.ID, Action: e.Action, At: e.At, Actor: e.Actor, ActorName: e.ActorName,
			Agency: e.Agency, Reason: e.Reason, Note: e.Note, DueAt: e.DueAt, PrevDueAt: e.PrevDueAt,
			SupplementItems: e.SupplementItems, ReturnMethod: e.ReturnMethod, ReceiverName: e.ReceiverName,
			Components: e.Components}, nil
	})
}
