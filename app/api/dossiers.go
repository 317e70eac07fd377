package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"motcua/app/calendar"
	"motcua/app/catalog"
	"motcua/app/dossier"
	"motcua/app/reception"
)

// Reception is what the API needs from the reception use cases.
type Reception interface {
	Catalog() *catalog.Catalog
	Calendar(ctx context.Context) (*calendar.Calendar, error)
	Receive(ctx context.Context, in reception.Reception, by reception.Actor) (reception.Dossier, bool, error)
	Act(ctx context.Context, id string, in reception.ActionInput, by reception.Actor) (reception.Dossier, dossier.Event, bool, error)
	Get(ctx context.Context, id string) (reception.Dossier, []dossier.Event, error)
	GetByCode(ctx context.Context, code string) (reception.Dossier, []dossier.Event, error)
	List(ctx context.Context, q reception.ListQuery) (reception.Page, error)
	Counts(ctx context.Context) (reception.Counts, error)
	Dashboard(ctx context.Context, from, to time.Time) (reception.Dashboard, error)
	SearchApplicants(ctx context.Context, q string, limit int) ([]reception.Applicant, error)
	GetApplicant(ctx context.Context, id string) (reception.Applicant, []reception.Dossier, error)
	ImportCatalog(ctx context.Context, r io.Reader, merge bool, by reception.Actor) (*catalog.Catalog, error)
	SaveProcedure(ctx context.Context, p catalog.Procedure, by reception.Actor) (*catalog.Catalog, error)
	Form(ctx context.Context, id, form string) ([]byte, error)
	Register(ctx context.Context, from, to time.Time, xlsx bool) ([]byte, error)
	AvailableForms(ctx context.Context, d *reception.Dossier, evs []dossier.Event) []string
	HolidayCalendar(ctx context.Context, year int) (reception.YearCalendar, error)
	SetHolidayOverride(ctx context.Context, year int, raw []byte, by reception.Actor) (reception.YearCalendar, error)
}

// The desk has one local operator until accounts land (security issue).
var deskActor = reception.Actor{ID: "local", Name: "Cán bộ tiếp nhận", Role: "clerk"}

const maxDossierBody = 256 << 10

func (s *server) routeDossiers(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/procedures", s.listProcedures)
	mux.HandleFunc("GET /api/procedures/{code}", s.getProcedure)
	mux.HandleFunc("PUT /api/procedures/{code}", s.putProcedure)
	mux.HandleFunc("GET /api/catalog", s.exportCatalog)
	mux.HandleFunc("POST /api/catalog", s.importCatalog)
	mux.HandleFunc("GET /api/applicants", s.searchApplicants)
	mux.HandleFunc("GET /api/applicants/{id}", s.getApplicant)
	mux.HandleFunc("POST /api/dossiers", s.receive)
	mux.HandleFunc("GET /api/dossiers", s.listDossiers)
	mux.HandleFunc("GET /api/dossiers/{id}", s.getDossier)
	mux.HandleFunc("GET /api/dossiers/by-code/{code}", s.getDossierByCode)
	mux.HandleFunc("POST /api/dossiers/{id}/actions", s.act)
	mux.HandleFunc("GET /api/dossiers/{id}/forms/{form}", s.form)
	mux.HandleFunc("GET /api/register.xlsx", s.register(true))
	mux.HandleFunc("GET /api/register.pdf", s.register(false))
	mux.HandleFunc("GET /api/dashboard", s.dashboard)
	s.routeCalendar(mux)
}

type procedureView struct {
	Code             string                   `json:"code"`
	Name             string                   `json:"name"`
	Field            string                   `json:"field"`
	ProcessingTime   processingTimeView       `json:"processingTime"`
	SupplementPolicy catalog.SupplementPolicy `json:"supplementPolicy"`
	Fees             []feeView                `json:"fees"`
	Components       []catalog.Component      `json:"components"`
	Results          []string                 `json:"results"`
	Channels         []dossier.Channel        `json:"channels"`
	Competence       string                   `json:"competence,omitempty"`
}

type processingTimeView struct {
	Amount      int          `json:"amount"`
	Unit        catalog.Unit `json:"unit"`
	Label       string       `json:"label"`
	Note        string       `json:"note,omitempty"`
	Provisional bool         `json:"provisional"`
}

type feeView struct {
	Name        string `json:"name"`
	Amount      int64  `json:"amount"`
	Per         string `json:"per"`
	Note        string `json:"note,omitempty"`
	Provisional bool   `json:"provisional"`
}

func viewProcedure(p catalog.Procedure) procedureView {
	v := procedureView{Code: p.Code, Name: p.Name, Field: p.Field, SupplementPolicy: p.SupplementPolicy,
		Components: p.Components, Results: p.Results, Channels: p.Channels, Competence: p.Competence,
		ProcessingTime: processingTimeView{Amount: p.ProcessingTime.Amount, Unit: p.ProcessingTime.Unit,
			Label: p.ProcessingTime.Duration.Label(false), Note: p.ProcessingTime.Note, Provisional: p.ProcessingTime.Provisional},
		Fees: []feeView{}}
	for _, f := range p.Fees {
		v.Fees = append(v.Fees, feeView{Name: f.Name, Amount: f.Amount, Per: f.Per, Note: f.Note, Provisional: f.Provisional})
	}
	if v.Components == nil {
		v.Components = []catalog.Component{}
	}
	if v.Results == nil {
		v.Results = []string{}
	}
	return v
}

func (s *server) listProcedures(w http.ResponseWriter, r *http.Request) {
	cat := s.cfg.Reception.Catalog()
	var ps []catalog.Procedure
	if q := strings.TrimSpace(r.URL.Query().Get("q")); q != "" {
		ps = cat.Search(q)
	} else {
		for _, p := range cat.Procedures {
			if p.Active {
				ps = append(ps, p)
			}
		}
	}
	out := make([]procedureView, 0, len(ps))
	for _, p := range ps {
		out = append(out, viewProcedure(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"procedures": out})
}

func (s *server) getProcedure(w http.ResponseWriter, r *http.Request) {
	p, err := s.cfg.Reception.Catalog().Lookup(r.PathValue("code"))
	if err != nil {
		writeErrorMsg(w, http.StatusNotFound, codeProcedureUnknown, messages[codeProcedureUnknown])
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"procedure": viewProcedure(p)})
}

func (s *server) searchApplicants(w http.ResponseWriter, r *http.Request) {
	as, err := s.cfg.Reception.SearchApplicants(r.Context(), r.URL.Query().Get("q"), 20)
	if err != nil {
		s.internal(w, r, "search applicants", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"applicants": as})
}

func (s *server) getApplicant(w http.ResponseWriter, r *http.Request) {
	a, ds, err := s.cfg.Reception.GetApplicant(r.Context(), r.PathValue("id"))
	if err != nil {
		s.receptionError(w, r, "get applicant", err)
		return
	}
	views, err := s.dossierViews(r.Context(), ds)
	if err != nil {
		s.internal(w, r, "get applicant", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"applicant": a, "dossiers": views})
}

type actionView struct {
	Action dossier.Action `json:"action"`
	Label  string         `json:"label"`
}

type dossierView struct {
	reception.Dossier
	ChannelLabel   string       `json:"channelLabel"`
	StateLabel     string       `json:"stateLabel"`
	NationalStatus int          `json:"nationalStatus"`
	AllowedActions []actionView `json:"allowedActions"`
	Deadline       string       `json:"deadline"`
	OriginalDueAt  *time.Time   `json:"originalDueAt,omitempty"`
}

type eventView struct {
	dossier.Event
	ActionLabel string `json:"actionLabel"`
	FromLabel   string `json:"fromLabel"`
	ToLabel     string `json:"toLabel"`
}

func (s *server) dossierViews(ctx context.Context, ds []reception.Dossier) ([]dossierView, error) {
	cal, err := s.cfg.Reception.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]dossierView, 0, len(ds))
	for _, d := range ds {
		v := dossierView{Dossier: d, ChannelLabel: d.Channel.Label(), StateLabel: d.State.Label(),
			NationalStatus: d.State.NationalStatus(), AllowedActions: []actionView{},
			Deadline: reception.Deadline(cal, &d, now), OriginalDueAt: d.FirstDueAt}
		for _, a := range dossier.Allowed(d.State) {
			v.AllowedActions = append(v.AllowedActions, actionView{Action: a, Label: a.Label()})
		}
		out = append(out, v)
	}
	return out, nil
}

func viewEvents(evs []dossier.Event) []eventView {
	out := make([]eventView, 0, len(evs))
	for _, e := range evs {
		out = append(out, eventView{Event: e, ActionLabel: e.Action.Label(), FromLabel: e.From.Label(), ToLabel: e.To.Label()})
	}
	return out
}

func (s *server) writeDossier(w http.ResponseWriter, r *http.Request, status int, d reception.Dossier, extra map[string]any) {
	views, err := s.dossierViews(r.Context(), []reception.Dossier{d})
	if err != nil {
		s.internal(w, r, "dossier view", err)
		return
	}
	body := map[string]any{"dossier": views[0]}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, status, body)
}

func (s *server) receive(w http.ResponseWriter, r *http.Request) {
	var in reception.Reception
	if !decodeJSON(w, r, maxDossierBody, &in) {
		return
	}
	d, dup, err := s.cfg.Reception.Receive(r.Context(), in, actor(r))
	if err != nil {
		s.receptionError(w, r, "receive", err)
		return
	}
	status := http.StatusCreated
	if dup {
		status = http.StatusOK
	}
	s.writeDossier(w, r, status, d, map[string]any{"duplicate": dup})
}

func (s *server) act(w http.ResponseWriter, r *http.Request) {
	var in reception.ActionInput
	if !decodeJSON(w, r, maxDossierBody, &in) {
		return
	}
	if roles, ok := s.allowedAction(r, in.Action); !ok {
		writeErrorMsg(w, http.StatusForbidden, codeForbidden, forbiddenMessage(roles))
		return
	}
	d, ev, dup, err := s.cfg.Reception.Act(r.Context(), r.PathValue("id"), in, actor(r))
	if err != nil {
		s.receptionError(w, r, "act", err)
		return
	}
	s.writeDossier(w, r, http.StatusOK, d, map[string]any{"event": viewEvents([]dossier.Event{ev})[0], "duplicate": dup})
}

func (s *server) getDossier(w http.ResponseWriter, r *http.Request) {
	d, evs, err := s.cfg.Reception.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.receptionError(w, r, "get dossier", err)
		return
	}
	s.writeDossier(w, r, http.StatusOK, d, map[string]any{"events": viewEvents(evs),
		"availableForms": s.cfg.Reception.AvailableForms(r.Context(), &d, evs)})
}

func (s *server) getDossierByCode(w http.ResponseWriter, r *http.Request) {
	d, evs, err := s.cfg.Reception.GetByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		s.receptionError(w, r, "get dossier by code", err)
		return
	}
	s.writeDossier(w, r, http.StatusOK, d, map[string]any{"events": viewEvents(evs),
		"availableForms": s.cfg.Reception.AvailableForms(r.Context(), &d, evs)})
}

func (s *server) listDossiers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	page, err := s.cfg.Reception.List(r.Context(), reception.ListQuery{List: q.Get("list"), Q: q.Get("q"), Limit: limit, Cursor: q.Get("cursor")})
	if err != nil {
		s.receptionError(w, r, "list dossiers", err)
		return
	}
	counts, err := s.cfg.Reception.Counts(r.Context())
	if err != nil {
		s.internal(w, r, "counts", err)
		return
	}
	items, err := s.dossierViews(r.Context(), page.Items)
	if err != nil {
		s.internal(w, r, "list dossiers", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next": page.Next, "counts": counts})
}

var formFiles = map[string]string{
	reception.FormReceipt: "giay-tiep-nhan", reception.FormSupplement: "phieu-yeu-cau-bo-sung",
	reception.FormRefusal: "phieu-tu-choi", reception.FormApology: "phieu-xin-loi",
	reception.FormStop: "thong-bao-dung", reception.FormControl: "phieu-kiem-soat",
}

func (s *server) form(w http.ResponseWriter, r *http.Request) {
	form := strings.TrimSuffix(r.PathValue("form"), ".pdf")
	name, ok := formFiles[form]
	if !ok {
		writeError(w, r, http.StatusNotFound, codeNotFound, nil)
		return
	}
	pdf, err := s.cfg.Reception.Form(r.Context(), r.PathValue("id"), form)
	if err != nil {
		s.receptionError(w, r, "form", err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-%s.pdf"`, name, r.PathValue("id")))
	w.Write(pdf)
}

// dateRange reads from/to (YYYY-MM-DD, office time); to is inclusive. The
// default is the current month.
func (s *server) dateRange(r *http.Request) (time.Time, time.Time, bool) {
	cal, err := s.cfg.Reception.Calendar(r.Context())
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	loc := cal.Location()
	now := time.Now().In(loc)
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	to := from.AddDate(0, 1, 0)
	q := r.URL.Query()
	if v := q.Get("from"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			return from, to, false
		}
		from = t
	}
	if v := q.Get("to"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			return from, to, false
		}
		to = t.AddDate(0, 0, 1)
	}
	return from, to, to.After(from) && to.Sub(from) <= 366*24*time.Hour
}

func (s *server) register(xlsx bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		from, to, ok := s.dateRange(r)
		if !ok {
			writeErrorMsg(w, http.StatusBadRequest, codeValidation, "Khoảng ngày không hợp lệ (dạng NNNN-TT-NN, tối đa một năm).")
			return
		}
		b, err := s.cfg.Reception.Register(r.Context(), from, to, xlsx)
		if err != nil {
			s.receptionError(w, r, "register", err)
			return
		}
		ext, ctype := "pdf", "application/pdf"
		if xlsx {
			ext, ctype = "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="so-theo-doi-ho-so-%s.%s"`, from.Format("20060102"), ext))
		w.Write(b)
	}
}

func (s *server) dashboard(w http.ResponseWriter, r *http.Request) {
	from, to, ok := s.dateRange(r)
	if !ok {
		writeErrorMsg(w, http.StatusBadRequest, codeValidation, "Khoảng ngày không hợp lệ (dạng NNNN-TT-NN, tối đa một năm).")
		return
	}
	db, err := s.cfg.Reception.Dashboard(r.Context(), from, to)
	if err != nil {
		s.internal(w, r, "dashboard", err)
		return
	}
	writeJSON(w, http.StatusOK, db)
}

// receptionError maps use-case errors to answers.
func (s *server) receptionError(w http.ResponseWriter, r *http.Request, op string, err error) {
	var te *dossier.TransitionError
	switch {
	case errors.As(err, &te):
		writeErrorMsg(w, http.StatusConflict, codeInvalidTransition, fmt.Sprintf(
			"Không thể thực hiện \"%s\" khi hồ sơ đang ở trạng thái \"%s\".", actionName(te.Action), stateName(te.From)))
	case errors.Is(err, reception.ErrNotFound):
		writeErrorMsg(w, http.StatusNotFound, codeNotFound, "Không tìm thấy hồ sơ.")
	case errors.Is(err, reception.ErrNotConfigured):
		writeErrorMsg(w, http.StatusConflict, codeNotConfigured, messages[codeNotConfigured])
	case errors.Is(err, reception.ErrRequestReused):
		writeErrorMsg(w, http.StatusConflict, codeDuplicateRequest, messages[codeDuplicateRequest])
	case errors.Is(err, reception.ErrBadList):
		writeErrorMsg(w, http.StatusBadRequest, codeValidation, "Danh sách hoặc vị trí trang không hợp lệ.")
	case errors.Is(err, reception.ErrFormNotApplicable):
		writeErrorMsg(w, http.StatusConflict, codeFormNotApplicable, messages[codeFormNotApplicable])
	default:
		if ve, ok := reception.Problems(err); ok {
			fields := map[string]string{}
			for f, p := range ve.Fields {
				fields[f] = receptionProblem(f, p)
			}
			if f, ok := ve.Fields["procedureCode"]; ok && f == reception.ProblemUnknown {
				writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: errorDetail{
					Code: codeProcedureUnknown, Message: messages[codeProcedureUnknown], Fields: fields}})
				return
			}
			writeError(w, r, http.StatusUnprocessableEntity, codeValidation, fields)
			return
		}
		s.internal(w, r, op, err)
	}
}

func actionName(a dossier.Action) string {
	if l := a.Label(); l != "" {
		return l
	}
	return string(a)
}

func stateName(st dossier.State) string {
	if st == dossier.StateNone {
		return "chưa tiếp nhận"
	}
	if l := st.Label(); l != "" {
		return l
	}
	return string(st)
}

func (s *server) exportCatalog(w http.ResponseWriter, r *http.Request) {
	b, err := s.cfg.Reception.Catalog().Marshal()
	if err != nil {
		s.internal(w, r, "export catalog", err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="danh-muc-thu-tuc.json"`)
	w.Write(b)
}

func (s *server) importCatalog(w http.ResponseWriter, r *http.Request) {
	merge := r.URL.Query().Get("mode") != "replace"
	body := http.MaxBytesReader(w, r.Body, catalog.MaxSize)
	c, err := s.cfg.Reception.ImportCatalog(r.Context(), body, merge, actor(r))
	if err != nil {
		s.catalogError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": c.Version, "source": c.Source, "procedures": len(c.Procedures)})
}

func (s *server) putProcedure(w http.ResponseWriter, r *http.Request) {
	var p catalog.Procedure
	if !decodeJSON(w, r, maxDossierBody, &p) {
		return
	}
	if p.Code != r.PathValue("code") {
		writeErrorMsg(w, http.StatusUnprocessableEntity, codeValidation, "Mã thủ tục trong nội dung không khớp với địa chỉ.")
		return
	}
	c, err := s.cfg.Reception.SaveProcedure(r.Context(), p, actor(r))
	if err != nil {
		s.catalogError(w, r, err)
		return
	}
	saved, _ := c.Lookup(p.Code)
	writeJSON(w, http.StatusOK, map[string]any{"procedure": viewProcedure(saved)})
}

func (s *server) catalogError(w http.ResponseWriter, r *http.Request, err error) {
	var maxErr *http.MaxBytesError
	var pe *catalog.ProcedureError
	switch {
	case errors.As(err, &maxErr), errors.Is(err, catalog.ErrTooLarge):
		writeErrorMsg(w, http.StatusRequestEntityTooLarge, codeTooLarge, "Tệp danh mục quá lớn.")
	case errors.Is(err, catalog.ErrOlderVersion):
		writeErrorMsg(w, http.StatusConflict, codeCatalogVersion, "Danh mục nhập vào cũ hơn danh mục đang dùng; không thay đổi gì.")
	case errors.Is(err, catalog.ErrVersionConflict):
		writeErrorMsg(w, http.StatusConflict, codeCatalogVersion,
			"Danh mục cùng phiên bản nhưng nội dung khác với danh mục đang dùng (có thể do đã chỉnh sửa tại xã). Cần phiên bản mới hơn.")
	case errors.As(err, &pe):
		writeErrorMsg(w, http.StatusUnprocessableEntity, codeValidation,
			fmt.Sprintf("Thủ tục thứ %d (mã %q) không hợp lệ: %v.", pe.Index+1, pe.Code, pe.Err))
	case errors.Is(err, catalog.ErrMalformed):
		writeErrorMsg(w, http.StatusBadRequest, codeInvalidJSON, "Tệp danh mục không đúng định dạng JSON của Một Cửa Xã.")
	case errors.Is(err, catalog.ErrInvalid), errors.Is(err, catalog.ErrDuplicateCode):
		writeErrorMsg(w, http.StatusUnprocessableEntity, codeValidation, "Danh mục không hợp lệ: "+err.Error())
	default:
		s.internal(w, r, "catalog", err)
	}
}
