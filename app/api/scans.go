package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"motcua/app/blobs"
	"motcua/app/digitize"
	"motcua/app/forms"
	"motcua/app/reception"
	"motcua/scanning"
	"motcua/scanning/sane"
)

// Digitize is what the API needs from the digitisation use case.
type Digitize interface {
	Import(ctx context.Context, r io.Reader, name string, o digitize.ImportOptions, by digitize.Actor) (digitize.Job, bool, error)
	List(ctx context.Context, q digitize.ListQuery) ([]digitize.Job, digitize.Counts, error)
	Get(ctx context.Context, id string) (digitize.Job, []digitize.Page, error)
	OpenPDF(ctx context.Context, id string) (*blobs.Reader, digitize.Job, error)
	OpenOriginal(ctx context.Context, id string) (*blobs.Reader, digitize.Job, error)
	OpenPageImage(ctx context.Context, id string, n int) (*blobs.Reader, scanning.Format, error)
	Bind(ctx context.Context, jobID, dossierID, component string, by digitize.Actor) (digitize.Job, error)
	Retry(ctx context.Context, id string, by digitize.Actor) (digitize.Job, error)
	CorrectText(ctx context.Context, jobID string, n int, text string, by digitize.Actor) (digitize.Page, error)
	Search(ctx context.Context, q string, limit int) ([]digitize.Hit, bool, error)
	CreateBatch(ctx context.Context, in digitize.BatchInput, by digitize.Actor) (digitize.Batch, error)
	Batches(ctx context.Context) ([]digitize.Batch, error)
	GetBatch(ctx context.Context, id string) (digitize.Batch, []digitize.BatchDocument, error)
	SetMetadata(ctx context.Context, batchID, jobID string, m digitize.Metadata, by digitize.Actor) (digitize.Metadata, error)
	Review(ctx context.Context, batchID string) ([]digitize.ReviewPage, error)
	Export(ctx context.Context, batchID string, w io.Writer) error
	OpenResult(ctx context.Context, dossierID, sha string) (*blobs.Reader, reception.ResultFile, error)
	Intake(ctx context.Context, refresh bool) (digitize.IntakeStatus, error)
	SetIntakeSettings(ctx context.Context, in digitize.IntakeSettings, by digitize.Actor) (digitize.IntakeSettings, error)
	ScanFromDevice(ctx context.Context, o digitize.ScanOptions, imp digitize.ImportOptions, by digitize.Actor) (digitize.Job, bool, error)
}

// maxUpload bounds one imported file at the HTTP layer; the use case has
// the same limit and says so in Vietnamese.
const maxUpload = 512 << 20

const codeNotReady = "not_ready"

func (s *server) routeScans(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/scans", s.importScan)
	mux.HandleFunc("GET /api/scans", s.listScans)
	mux.HandleFunc("GET /api/scans/{id}", s.getScan)
	mux.HandleFunc("GET /api/scans/separator.pdf", s.separatorSheet)
	mux.HandleFunc("GET /api/scans/{id}/pdf", s.scanFile("pdf"))
	mux.HandleFunc("GET /api/scans/{id}/original", s.scanFile("original"))
	mux.HandleFunc("GET /api/scans/{id}/pages/{n}/image", s.pageImage)
	mux.HandleFunc("POST /api/scans/{id}/bind", s.bindScan)
	mux.HandleFunc("POST /api/scans/{id}/retry", s.retryScan)
	mux.HandleFunc("PUT /api/scans/{id}/pages/{n}/text", s.correctPage)
	mux.HandleFunc("GET /api/search", s.search)
	mux.HandleFunc("GET /api/dossiers/{id}/results/{sha}", s.resultFile)
	mux.HandleFunc("GET /api/intake", s.getIntake)
	mux.HandleFunc("PUT /api/intake", s.putIntake)
	mux.HandleFunc("POST /api/intake/scan", s.scanDevice)
	mux.HandleFunc("POST /api/archive/batches", s.createBatch)
	mux.HandleFunc("GET /api/archive/batches", s.listBatches)
	mux.HandleFunc("GET /api/archive/batches/{id}", s.getBatch)
	mux.HandleFunc("PUT /api/archive/batches/{id}/documents/{jobId}", s.putMetadata)
	mux.HandleFunc("GET /api/archive/batches/{id}/review", s.reviewBatch)
	mux.HandleFunc("GET /api/archive/batches/{id}/export.zip", s.exportBatch)
}

func scanActor(r *http.Request) digitize.Actor {
	a := actor(r)
	return digitize.Actor{ID: a.ID, Name: a.Name, Role: a.Role}
}

var scanMessages = map[string]string{
	codeNotReady: "Bản số hóa chưa xử lý xong.",
}

// scanError maps the digitisation use case's errors to the envelope.
func (s *server) scanError(w http.ResponseWriter, r *http.Request, op string, err error) {
	var maxErr *http.MaxBytesError
	var fe digitize.FieldError
	var ee *digitize.ExportError
	switch {
	case errors.As(err, &maxErr):
		writeErrorMsg(w, http.StatusRequestEntityTooLarge, "file_too_large",
			fmt.Sprintf("Tệp quá lớn (tối đa %d MB).", maxUpload>>20))
	case errors.As(err, &fe):
		fields := map[string]string{}
		for f, p := range fe {
			fields[f] = scanProblem(f, p)
		}
		writeJSON(w, http.StatusBadRequest, errorBody{Error: errorDetail{Code: codeValidation, Message: messages[codeValidation], Fields: fields}})
	case errors.As(err, &ee):
		msg := "Lô chưa xuất được."
		if len(ee.Unfinished) > 0 {
			msg += fmt.Sprintf(" %d tài liệu chưa số hóa xong.", len(ee.Unfinished))
		}
		if len(ee.Missing) > 0 {
			msg += fmt.Sprintf(" %d tài liệu còn thiếu thông tin bắt buộc (mã, tên loại, số, ký hiệu, ngày ban hành, cơ quan ban hành, trích yếu).", len(ee.Missing))
		}
		if len(ee.Unfinished) == 0 && len(ee.Missing) == 0 {
			msg += " Lô chưa có tài liệu nào."
		}
		writeErrorMsg(w, http.StatusConflict, codeNotReady, msg)
	case errors.Is(err, digitize.ErrNotReady):
		writeErrorMsg(w, http.StatusConflict, codeNotReady, scanMessages[codeNotReady])
	case errors.Is(err, digitize.ErrNotFailed):
		writeErrorMsg(w, http.StatusConflict, codeInvalidTransition, "Chỉ xử lý lại được bản số hóa bị lỗi.")
	case errors.Is(err, digitize.ErrNotFound), errors.Is(err, blobs.ErrNotFound):
		writeErrorMsg(w, http.StatusNotFound, codeNotFound, "Không tìm thấy bản số hóa.")
	case errors.Is(err, digitize.ErrBatchNotFound):
		writeErrorMsg(w, http.StatusNotFound, codeNotFound, "Không tìm thấy lô số hóa.")
	case errors.Is(err, reception.ErrNotFound):
		writeErrorMsg(w, http.StatusNotFound, codeNotFound, "Không tìm thấy hồ sơ để gắn bản số hóa.")
	case errors.Is(err, reception.ErrNoComponent):
		writeJSON(w, http.StatusBadRequest, errorBody{Error: errorDetail{Code: codeValidation, Message: messages[codeValidation],
			Fields: map[string]string{"component": "Hồ sơ không có thành phần này."}}})
	case errors.Is(err, sane.ErrUnavailable):
		writeErrorMsg(w, http.StatusConflict, "scanner_unavailable", "Máy này chưa cài trình điều khiển máy quét (SANE). Hãy quét bằng phần mềm của máy quét rồi nhập tệp.")
	case errors.Is(err, sane.ErrNoPages):
		s.log.Warn(op, "err", err)
		writeErrorMsg(w, http.StatusConflict, "scanner_no_pages", "Máy quét không trả về trang nào. Kiểm tra giấy trong khay, nắp máy và kết nối rồi thử lại.")
	case errors.Is(err, digitize.ErrInvalid):
		writeError(w, r, http.StatusBadRequest, codeValidation, nil)
	default:
		if code, msg := digitize.Classify(err); code != "" {
			s.log.Info(op+" refused", "code", code, "err", err)
			status := http.StatusBadRequest
			if code == "file_too_large" || code == "too_many_pages" {
				status = http.StatusRequestEntityTooLarge
			}
			writeErrorMsg(w, status, code, msg)
			return
		}
		s.internal(w, r, op, err)
	}
}

var scanFieldLabels = map[string]string{
	"name": "Tên lô", "recordType": "Loại hồ sơ, tài liệu", "organName": "Cơ quan, đơn vị", "year": "Năm",
	"note": "Ghi chú", "docCode": "Mã hồ sơ/tài liệu", "typeName": "Tên loại", "codeNumber": "Số",
	"codeNotation": "Ký hiệu", "issuedDate": "Ngày ban hành", "subject": "Trích yếu", "description": "Mô tả",
	"keyword": "Từ khóa", "pageAmount": "Số trang", "watchFolder": "Thư mục quét",
}

func scanProblem(field, problem string) string {
	label := scanFieldLabels[field]
	if label == "" {
		label = field
	}
	switch problem {
	case digitize.ProblemRequired:
		return label + " không được để trống."
	case digitize.ProblemTooLong:
		return label + " quá dài."
	case digitize.ProblemUnusable:
		return label + " không tồn tại hoặc phần mềm không ghi được vào đó."
	case digitize.ProblemFormat:
		switch field {
		case "watchFolder":
			return label + " phải là đường dẫn đầy đủ (ví dụ /home/mot-cua/Quet hoặc D:\\Quet)."
		case "issuedDate":
			return label + " phải là một ngày hợp lệ."
		case "docCode":
			return label + " gồm tối đa 30 ký tự chữ, số, dấu chấm, gạch ngang hoặc gạch dưới."
		}
		return label + " không đúng định dạng."
	}
	return label + " không hợp lệ."
}

func (s *server) importScan(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("name")
	if name == "" {
		writeErrorMsg(w, http.StatusBadRequest, "bad_file_name", "Thiếu tên tệp.")
		return
	}
	body := http.MaxBytesReader(w, r.Body, maxUpload+1)
	job, dup, err := s.cfg.Digitize.Import(r.Context(), body, name, digitize.ImportOptions{
		DossierID: q.Get("dossier"), Component: q.Get("component"), BatchID: q.Get("batch"), Source: "upload"}, scanActor(r))
	if err != nil {
		s.scanError(w, r, "import scan", err)
		return
	}
	status := http.StatusAccepted
	if dup {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"job": scanJobOf(job), "duplicate": dup})
}

func (s *server) listScans(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	jobs, counts, err := s.cfg.Digitize.List(r.Context(), digitize.ListQuery{State: digitize.State(q.Get("state")),
		DossierID: q.Get("dossier"), BatchID: q.Get("batch"), Limit: limit})
	if err != nil {
		s.scanError(w, r, "list scans", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": scanJobsOf(jobs), "counts": counts})
}

func (s *server) getScan(w http.ResponseWriter, r *http.Request) {
	job, pages, err := s.cfg.Digitize.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.scanError(w, r, "get scan", err)
		return
	}
	pv := make([]scanPageView, len(pages))
	for i, p := range pages {
		pv[i] = scanPageOf(p)
	}
	writeJSON(w, http.StatusOK, map[string]any{"job": scanJobOf(job), "pages": pv})
}

// scanFile serves a job's searchable PDF or its original, decrypted as it
// is read; ranges work (the PDF viewer asks for them).
func (s *server) scanFile(which string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		open := s.cfg.Digitize.OpenPDF
		if which == "original" {
			open = s.cfg.Digitize.OpenOriginal
		}
		f, job, err := open(r.Context(), r.PathValue("id"))
		if err != nil {
			s.scanError(w, r, "open scan "+which, err)
			return
		}
		defer f.Close()
		name := job.Name
		ctype := "application/pdf"
		if which == "pdf" {
			name = strings.TrimSuffix(name, "."+string(job.Kind))
			if e := strings.LastIndexByte(name, '.'); e > 0 && strings.EqualFold(name[e:], ".jpg") {
				name = name[:e]
			}
			name += ".pdf"
		} else if job.Kind != scanning.KindPDF {
			ctype = "image/" + string(job.Kind)
		}
		serveDocument(w, r, f, ctype, name, *job.FinishedAtOr())
	}
}

// serveDocument serves a decrypted stored file inline under its name, with
// ranges (the PDF viewer asks for them) and never into a shared cache.
func serveDocument(w http.ResponseWriter, r *http.Request, f io.ReadSeeker, ctype, name string, mod time.Time) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", "inline; filename*=UTF-8''"+url.PathEscape(name))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", mod, f)
}

func pageNumber(w http.ResponseWriter, r *http.Request) (int, bool) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > 1_000_000 {
		writeErrorMsg(w, http.StatusBadRequest, codeValidation, "Số trang không hợp lệ.")
		return 0, false
	}
	return n, true
}

func (s *server) pageImage(w http.ResponseWriter, r *http.Request) {
	n, ok := pageNumber(w, r)
	if !ok {
		return
	}
	f, format, err := s.cfg.Digitize.OpenPageImage(r.Context(), r.PathValue("id"), n)
	if err != nil {
		s.scanError(w, r, "page image", err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", string(format))
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	io.Copy(w, f)
}

func (s *server) bindScan(w http.ResponseWriter, r *http.Request) {
	var in struct {
		DossierID string `json:"dossierId"`
		Component string `json:"component"`
	}
	if !decodeJSON(w, r, 4<<10, &in) {
		return
	}
	if strings.TrimSpace(in.DossierID) == "" {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: errorDetail{Code: codeValidation, Message: messages[codeValidation],
			Fields: map[string]string{"dossierId": "Chọn hồ sơ để gắn bản số hóa."}}})
		return
	}
	job, err := s.cfg.Digitize.Bind(r.Context(), r.PathValue("id"), in.DossierID, in.Component, scanActor(r))
	if err != nil {
		s.scanError(w, r, "bind scan", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"job": scanJobOf(job)})
}

func (s *server) retryScan(w http.ResponseWriter, r *http.Request) {
	job, err := s.cfg.Digitize.Retry(r.Context(), r.PathValue("id"), scanActor(r))
	if err != nil {
		s.scanError(w, r, "retry scan", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"job": scanJobOf(job)})
}

func (s *server) correctPage(w http.ResponseWriter, r *http.Request) {
	n, ok := pageNumber(w, r)
	if !ok {
		return
	}
	var in struct {
		Text string `json:"text"`
	}
	if !decodeJSON(w, r, 512<<10, &in) {
		return
	}
	p, err := s.cfg.Digitize.CorrectText(r.Context(), r.PathValue("id"), n, in.Text, scanActor(r))
	if err != nil {
		s.scanError(w, r, "correct page", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"page": scanPageOf(p)})
}

// search is the one search box: dossiers and applicants through the
// reception list, and OCR text.
func (s *server) search(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	if len(q) > 500 {
		writeErrorMsg(w, http.StatusBadRequest, codeValidation, "Nội dung tìm kiếm quá dài.")
		return
	}
	dossiers := []dossierView{}
	more := false
	if s.cfg.Reception != nil && q != "" {
		page, err := s.cfg.Reception.List(r.Context(), reception.ListQuery{List: "all", Q: q, Limit: limit})
		if err != nil {
			s.receptionError(w, r, "search dossiers", err)
			return
		}
		more = page.Next != ""
		if dossiers, err = s.dossierViews(r.Context(), page.Items); err != nil {
			s.internal(w, r, "search dossiers", err)
			return
		}
	}
	hits, partial, err := s.cfg.Digitize.Search(r.Context(), q, limit)
	if err != nil {
		s.scanError(w, r, "search pages", err)
		return
	}
	// moreDossiers: the work list (#/ho-so?list=all&q=…) pages on; partial:
	// the page search stopped at its budget, a longer query narrows it.
	writeJSON(w, http.StatusOK, map[string]any{"dossiers": dossiers, "pages": hits, "moreDossiers": more, "partial": partial})
}

func (s *server) createBatch(w http.ResponseWriter, r *http.Request) {
	var in digitize.BatchInput
	if !decodeJSON(w, r, 16<<10, &in) {
		return
	}
	b, err := s.cfg.Digitize.CreateBatch(r.Context(), in, scanActor(r))
	if err != nil {
		s.scanError(w, r, "create batch", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"batch": b})
}

func (s *server) listBatches(w http.ResponseWriter, r *http.Request) {
	bs, err := s.cfg.Digitize.Batches(r.Context())
	if err != nil {
		s.scanError(w, r, "list batches", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": bs})
}

func (s *server) getBatch(w http.ResponseWriter, r *http.Request) {
	b, docs, err := s.cfg.Digitize.GetBatch(r.Context(), r.PathValue("id"))
	if err != nil {
		s.scanError(w, r, "get batch", err)
		return
	}
	type document struct {
		Job  scanJobView       `json:"job"`
		Meta digitize.Metadata `json:"meta"`
	}
	dv := make([]document, len(docs))
	for i, d := range docs {
		dv[i] = document{Job: scanJobOf(d.Job), Meta: d.Meta}
	}
	writeJSON(w, http.StatusOK, map[string]any{"batch": b, "documents": dv})
}

func (s *server) putMetadata(w http.ResponseWriter, r *http.Request) {
	var m digitize.Metadata
	if !decodeJSON(w, r, 32<<10, &m) {
		return
	}
	m, err := s.cfg.Digitize.SetMetadata(r.Context(), r.PathValue("id"), r.PathValue("jobId"), m, scanActor(r))
	if err != nil {
		s.scanError(w, r, "set metadata", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"meta": m})
}

func (s *server) reviewBatch(w http.ResponseWriter, r *http.Request) {
	pages, err := s.cfg.Digitize.Review(r.Context(), r.PathValue("id"))
	if err != nil {
		s.scanError(w, r, "review batch", err)
		return
	}
	type reviewPage struct {
		JobID string       `json:"jobId"`
		Name  string       `json:"name"`
		Page  scanPageView `json:"page"`
	}
	rv := make([]reviewPage, len(pages))
	for i, p := range pages {
		rv[i] = reviewPage{JobID: p.JobID, Name: p.Name, Page: scanPageOf(p.Page)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"pages": rv})
}

// exportBatch checks the batch before the first byte, so a batch that is
// not ready gets a JSON error rather than a broken zip.
func (s *server) exportBatch(w http.ResponseWriter, r *http.Request) {
	pw := &deferredWriter{w: w}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="lo-so-hoa-`+r.PathValue("id")+`.zip"`)
	if err := s.cfg.Digitize.Export(r.Context(), r.PathValue("id"), pw); err != nil {
		if pw.started {
			s.log.Error("export batch", "err", err)
			return
		}
		w.Header().Del("Content-Disposition")
		s.scanError(w, r, "export batch", err)
	}
}

// deferredWriter remembers whether anything was written.
type deferredWriter struct {
	w       http.ResponseWriter
	started bool
}

func (d *deferredWriter) Write(p []byte) (int, error) {
	d.started = true
	return d.w.Write(p)
}

func (s *server) getIntake(w http.ResponseWriter, r *http.Request) {
	st, err := s.cfg.Digitize.Intake(r.Context(), r.URL.Query().Get("refresh") != "")
	if err != nil {
		s.scanError(w, r, "intake", err)
		return
	}
	writeJSON(w, http.StatusOK, intakeView{IntakeStatus: st, WatchError: watchMessages[st.WatchProblem]})
}

// intakeView adds the Vietnamese words for the watch folder's problem; the
// error itself is in the log.
type intakeView struct {
	digitize.IntakeStatus
	WatchError string `json:"watchError,omitempty"`
}

var watchMessages = map[string]string{
	digitize.WatchMissing:    "Thư mục không còn, hoặc ổ mạng hay ổ USB chứa nó chưa được kết nối.",
	digitize.WatchDenied:     "Phần mềm không có quyền đọc thư mục này. Nhờ quản trị máy cấp quyền đọc và ghi thư mục cho tài khoản chạy phần mềm.",
	digitize.WatchNotFolder:  "Đường dẫn đã đặt không phải là thư mục. Quản trị hệ thống cần đặt lại thư mục theo dõi.",
	digitize.WatchUnreadable: "Không đọc được thư mục. Kiểm tra ổ mạng hoặc ổ USB; chi tiết lỗi đã ghi vào nhật ký của phần mềm.",
}

func (s *server) putIntake(w http.ResponseWriter, r *http.Request) {
	var in digitize.IntakeSettings
	if !decodeJSON(w, r, 8<<10, &in) {
		return
	}
	in, err := s.cfg.Digitize.SetIntakeSettings(r.Context(), in, scanActor(r))
	if err != nil {
		s.scanError(w, r, "set intake", err)
		return
	}
	writeJSON(w, http.StatusOK, in)
}

func (s *server) scanDevice(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Device    string `json:"device"`
		DPI       int    `json:"dpi"`
		Colour    bool   `json:"colour"`
		Feeder    bool   `json:"feeder"`
		DossierID string `json:"dossierId"`
		Component string `json:"component"`
		BatchID   string `json:"batchId"`
	}
	if !decodeJSON(w, r, 8<<10, &in) {
		return
	}
	if in.DPI != 0 && (in.DPI < 150 || in.DPI > 600) {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: errorDetail{Code: codeValidation, Message: messages[codeValidation],
			Fields: map[string]string{"dpi": "Độ phân giải phải từ 150 đến 600 dpi (khuyến nghị 300)."}}})
		return
	}
	job, dup, err := s.cfg.Digitize.ScanFromDevice(r.Context(), digitize.ScanOptions{Device: in.Device, DPI: in.DPI,
		Colour: in.Colour, Feeder: in.Feeder}, digitize.ImportOptions{DossierID: in.DossierID, Component: in.Component,
		BatchID: in.BatchID}, scanActor(r))
	if err != nil {
		s.scanError(w, r, "scan from device", err)
		return
	}
	status := http.StatusAccepted
	if dup {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"job": scanJobOf(job), "duplicate": dup})
}

// resultFile serves a result paper the processing agency sent through the
// hub.
func (s *server) resultFile(w http.ResponseWriter, r *http.Request) {
	f, file, err := s.cfg.Digitize.OpenResult(r.Context(), r.PathValue("id"), r.PathValue("sha"))
	if err != nil {
		if errors.Is(err, digitize.ErrNotFound) || errors.Is(err, reception.ErrNotFound) || errors.Is(err, blobs.ErrNotFound) || errors.Is(err, blobs.ErrInvalid) {
			writeErrorMsg(w, http.StatusNotFound, codeNotFound, "Không tìm thấy giấy tờ kết quả.")
			return
		}
		s.internal(w, r, "result file", err)
		return
	}
	defer f.Close()
	head := make([]byte, 5)
	n, _ := io.ReadFull(f, head)
	f.Seek(0, io.SeekStart)
	ctype := "application/octet-stream"
	if n == 5 && string(head) == "%PDF-" {
		ctype = "application/pdf"
	}
	serveDocument(w, r, f, ctype, strings.TrimSuffix(file.Name, ".pdf")+".pdf", time.Time{})
}

// separatorSheet is the printable sheet that splits a scanning batch.
func (s *server) separatorSheet(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	if err := forms.SeparatorSheet(&b, digitize.SeparatorCode); err != nil {
		s.internal(w, r, "separator sheet", err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="to-tach-tai-lieu.pdf"`)
	w.Write(b.Bytes())
}
