package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"motcua/app/dossier"
	"motcua/app/reception"
	"motcua/app/syncing"
	"motcua/sync/outbox"
	"motcua/sync/wire"
)

// Sync is what the API needs from the sync use case.
type Sync interface {
	Status(ctx context.Context) (syncing.Status, error)
	Enrol(ctx context.Context, hubURL, code string) (syncing.Enrolment, error)
	ListOutbox(ctx context.Context, q outbox.ListQuery) (outbox.Page, error)
	Retry(ctx context.Context, id string) (outbox.Item, error)
	SyncNow()
	Conflicts(ctx context.Context) ([]syncing.Conflict, error)
	Notes(ctx context.Context, dossierID string) ([]syncing.Note, error)
}

// Error codes of the sync routes, on top of the hub's own (wire.Code*),
// which pass through unchanged.
const (
	codeHubUnreachable  = "hub_unreachable"
	codeHubNotFound     = "hub_not_found"
	codeCommuneMismatch = "commune_mismatch"
	codeHubRefused      = "hub_refused"
)

// syncMessages are the Vietnamese sentences for why syncing cannot go on,
// by the use case's problem codes and the hub's machine codes. The hub's
// own message is preferred where it sent one about an item.
var syncMessages = map[string]string{
	syncing.CodeUnreachable:     "Không kết nối được máy chủ tỉnh. Kiểm tra đường truyền Internet; phần mềm sẽ tự gửi khi có kết nối.",
	codeHubUnreachable:          "Không kết nối được máy chủ tỉnh. Kiểm tra đường truyền Internet và địa chỉ máy chủ rồi thử lại.",
	syncing.CodeNotHub:          "Địa chỉ này không phải máy chủ đồng bộ của tỉnh, hoặc mạng đang yêu cầu đăng nhập (Wi-Fi công cộng). Kiểm tra lại địa chỉ và kết nối mạng.",
	codeHubNotFound:             "Địa chỉ này không phải máy chủ đồng bộ của tỉnh, hoặc mạng đang yêu cầu đăng nhập (Wi-Fi công cộng). Kiểm tra lại địa chỉ và kết nối mạng.",
	syncing.CodeHubUnavailable:  "Máy chủ tỉnh đang tạm ngừng phục vụ; phần mềm sẽ tự gửi lại sau.",
	syncing.CodeProtocolError:   "Máy chủ tỉnh trả lời không đúng giao thức đồng bộ. Có thể cần cập nhật phần mềm; liên hệ quản trị viên.",
	syncing.CodeBlobUnavailable: "Không tìm thấy tệp đính kèm (bản quét) trên máy này. Cần quét hoặc đính kèm lại rồi bấm “Gửi lại”.",
	syncing.CodeInvalidLocal:    "Hồ sơ thiếu thông tin bắt buộc để gửi lên tỉnh. Cần kiểm tra, bổ sung hồ sơ rồi bấm “Gửi lại”.",
	syncing.CodeWaitingPrevious: "Đang chờ gửi xong mục trước của cùng hồ sơ.",
	codeCommuneMismatch:         "Mã đăng ký thuộc đơn vị khác với mã định danh điện tử trong mục Thiết lập. Kiểm tra lại mã định danh của đơn vị hoặc xin mã đăng ký đúng đơn vị.",
	codeHubRefused:              "Máy chủ tỉnh từ chối yêu cầu.",

	wire.CodeEnrolCodeBad:    "Mã đăng ký thiết bị không đúng. Kiểm tra lại mã do quản trị viên tỉnh cấp.",
	wire.CodeEnrolCodeUsed:   "Mã đăng ký đã được dùng cho một máy khác. Đề nghị quản trị viên tỉnh cấp mã mới.",
	wire.CodeEnrolCodeExpiry: "Mã đăng ký đã hết hạn. Đề nghị quản trị viên tỉnh cấp mã mới.",
	wire.CodeKeyInUse:        "Khóa của máy này đã được đăng ký cho thiết bị khác. Đề nghị quản trị viên tỉnh cấp mã mới rồi đăng ký lại.",
	wire.CodeDeviceRevoked:   "Máy này đã bị thu hồi quyền đồng bộ. Liên hệ quản trị viên tỉnh để được cấp mã đăng ký mới.",
	wire.CodeUnknownDevice:   "Máy chủ tỉnh không nhận ra máy này. Cần đăng ký lại thiết bị bằng mã do quản trị viên tỉnh cấp.",
	wire.CodeBadSignature:    "Máy chủ tỉnh không xác thực được chữ ký của máy này. Cần đăng ký lại thiết bị.",
	wire.CodeUnauthenticated: "Máy chủ tỉnh không xác thực được máy này. Cần đăng ký lại thiết bị.",
	wire.CodeForbidden:       "Máy này không có quyền thực hiện thao tác trên máy chủ tỉnh.",
	wire.CodeClientTooOld:    "Phiên bản phần mềm tại xã đã cũ, máy chủ tỉnh không còn hỗ trợ. Cần cập nhật phần mềm Một Cửa Xã.",
	wire.CodeHubTooOld:       "Máy chủ tỉnh chưa hỗ trợ phiên bản phần mềm này. Liên hệ quản trị viên tỉnh để cập nhật máy chủ.",
	wire.CodeProtocolMissing: "Máy chủ tỉnh không nhận ra phiên bản giao thức của phần mềm. Cần cập nhật phần mềm Một Cửa Xã.",
	wire.CodeInternal:        "Máy chủ tỉnh gặp lỗi; phần mềm sẽ tự gửi lại sau.",
	wire.CodeUnavailable:     "Máy chủ tỉnh tạm thời không sẵn sàng; phần mềm sẽ tự gửi lại sau.",
	wire.CodeBlobMissing:     "Máy chủ tỉnh chưa nhận đủ tệp đính kèm; phần mềm sẽ gửi lại.",
	wire.CodeStaleTimestamp:  "Đồng hồ của máy lệch nhiều so với máy chủ tỉnh; phần mềm sẽ tự điều chỉnh và gửi lại.",
}

func syncMessage(code string) string {
	if m, ok := syncMessages[code]; ok {
		return m
	}
	if code == "" {
		return ""
	}
	return "Chưa gửi được lên máy chủ tỉnh (mã lỗi: " + code + ")."
}

const maxSyncBody = 16 << 10

func (s *server) routeSync(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/sync/status", s.syncStatus)
	mux.HandleFunc("POST /api/sync/enrol", s.syncEnrol)
	mux.HandleFunc("GET /api/sync/outbox", s.syncOutbox)
	mux.HandleFunc("POST /api/sync/outbox/{id}/retry", s.syncRetry)
	mux.HandleFunc("POST /api/sync/now", s.syncNow)
	mux.HandleFunc("GET /api/sync/conflicts", s.syncConflicts)
	mux.HandleFunc("GET /api/sync/notes/{dossierId}", s.syncNotes)
	if b, ok := s.cfg.Sync.(SyncBundles); ok {
		mux.HandleFunc("POST /api/sync/bundle", func(w http.ResponseWriter, r *http.Request) { s.syncExportBundle(w, r, b) })
		mux.HandleFunc("POST /api/sync/bundle/import", func(w http.ResponseWriter, r *http.Request) { s.syncImportBundle(w, r, b) })
	}
}

// SyncBundles is the no-network fallback of the sync use case (a signed
// bundle file on a USB stick); the routes exist when Sync implements it.
type SyncBundles interface {
	ExportBundle(ctx context.Context, open func(syncing.BundleInfo) (io.Writer, error)) (syncing.BundleInfo, error)
	ImportResults(ctx context.Context, r io.ReaderAt, size int64) (syncing.ResultsImport, error)
}

// Error codes of the bundle routes (and wire.CodeBundle* for a refused file).
const (
	codeNotEnrolled    = "not_enrolled"
	codeHubKeyUnknown  = "hub_key_unknown"
	codeHubAgeUnknown  = "hub_age_unknown"
	codeBundleNotOurs  = "bundle_other_device"
	codeBundleGap      = "bundle_gap"
	codeSyncNotRunning = "sync_not_running"
)

// maxResultsBundle bounds an uploaded changes bundle (result papers included).
const maxResultsBundle = 2 << 30

// Headers of the bundle download: what the file holds, for the screen.
const (
	bundleHeaderID    = "Motcua-Bundle-Id"
	bundleHeaderItems = "Motcua-Bundle-Items"
	bundleHeaderFiles = "Motcua-Bundle-Files"
	bundleHeaderHeld  = "Motcua-Bundle-Held"
)

var bundleMessages = map[string]string{
	codeNotEnrolled:   "Máy này chưa đăng ký với máy chủ tỉnh nên chưa lập được gói đồng bộ. Cần đăng ký thiết bị trước (mục Đồng bộ, tài khoản quản trị).",
	codeHubKeyUnknown: "Máy chưa nhận được khóa của máy chủ tỉnh để kiểm tra gói kết quả. Cần kết nối với máy chủ tỉnh ít nhất một lần sau khi đăng ký, rồi nhập lại gói.",
	codeHubAgeUnknown: "Máy chưa nhận được khóa mã hóa của máy chủ tỉnh nên chưa lập được gói USB: gói chứa dữ liệu cá nhân của người dân nên luôn phải được mã hóa. " +
		"Cần kết nối với máy chủ tỉnh ít nhất một lần sau khi đăng ký, rồi xuất lại gói.",
	codeBundleNotOurs: "Gói kết quả này được lập cho thiết bị hoặc đơn vị khác, không nhập vào máy này.",
	codeBundleGap: "Gói kết quả bắt đầu sau các cập nhật máy này đã nhận, nhập vào sẽ bỏ sót cập nhật. " +
		"Đề nghị máy chủ tỉnh lập gói từ vị trí máy đang có (ghi trong gói USB mới nhất của xã).",
	codeSyncNotRunning:       "Chức năng đồng bộ chưa chạy trên máy này; khởi động lại phần mềm rồi thử lại.",
	wire.CodeBundleInvalid:   "Tệp không phải gói đồng bộ hợp lệ của Một Cửa Xã.",
	wire.CodeBundleSignature: "Chữ ký của gói không hợp lệ: gói không do máy chủ tỉnh lập, hoặc đã bị sửa sau khi ký. Không nhập gì từ gói này.",
	wire.CodeBundleTampered:  "Nội dung gói không khớp với bảng kê đã ký (tệp bị sửa hoặc hỏng khi sao chép). Không nhập gì từ gói này.",
	wire.CodeBundlePlaintext: "Gói kết quả không được mã hóa. Máy chủ tỉnh luôn mã hóa gói kết quả cho máy của xã; gói này đã bị giải mã hoặc không do máy chủ tỉnh lập. " +
		"Không nhập gì từ gói này; đề nghị máy chủ tỉnh lập lại gói.",
	wire.CodeBundleDecrypt: "Không giải mã được gói kết quả bằng khóa của máy này: gói được lập cho đơn vị hoặc máy khác, hoặc tệp bị hỏng khi sao chép. " +
		"Không nhập gì từ gói này; đề nghị máy chủ tỉnh lập lại gói cho máy này.",
}

// syncExportBundle streams the pending outbox as a signed bundle file
// encrypted to the hub ("Xuất gói USB"). Nothing is marked synced.
func (s *server) syncExportBundle(w http.ResponseWriter, r *http.Request, b SyncBundles) {
	var started bool
	_, err := b.ExportBundle(r.Context(), func(info syncing.BundleInfo) (io.Writer, error) {
		h := w.Header()
		h.Set("Content-Type", wire.BundleEncryptedContentType)
		h.Set("Content-Disposition", `attachment; filename="`+info.FileName+`"`)
		h.Set("Cache-Control", "no-store")
		h.Set(bundleHeaderID, info.ID)
		h.Set(bundleHeaderItems, strconv.Itoa(info.Items))
		h.Set(bundleHeaderFiles, strconv.Itoa(info.Blobs))
		h.Set(bundleHeaderHeld, strconv.Itoa(info.Held))
		w.WriteHeader(http.StatusOK)
		started = true
		return w, nil
	})
	switch {
	case err == nil:
	case started:
		// Half a file must not look like a whole one: cut the download.
		s.log.Error("sync bundle export after the download started", "err", err)
		panic(http.ErrAbortHandler)
	default:
		s.bundleError(w, r, "sync bundle export", err)
	}
}

// syncImportBundle applies a changes bundle from the hub (the request body
// is the file), as a pull would.
func (s *server) syncImportBundle(w http.ResponseWriter, r *http.Request, b SyncBundles) {
	f, err := os.CreateTemp("", "motcua-goi-ket-qua-*.zip")
	if err != nil {
		s.internal(w, r, "sync bundle import", err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := io.Copy(f, http.MaxBytesReader(w, r.Body, maxResultsBundle))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		writeErrorMsg(w, http.StatusRequestEntityTooLarge, "file_too_large", fmt.Sprintf("Tệp quá lớn (tối đa %d GB).", maxResultsBundle>>30))
		return
	}
	if err != nil {
		s.internal(w, r, "sync bundle import", err)
		return
	}
	res, err := b.ImportResults(r.Context(), f, n)
	if err != nil {
		s.bundleError(w, r, "sync bundle import", err)
		return
	}
	st, err := s.cfg.Sync.Status(r.Context())
	if err != nil {
		s.internal(w, r, "sync status", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"import": res, "status": viewSyncStatus(st)})
}

func (s *server) bundleError(w http.ResponseWriter, r *http.Request, op string, err error) {
	code, status := "", http.StatusUnprocessableEntity
	switch {
	case errors.Is(err, syncing.ErrNotEnrolled):
		code, status = codeNotEnrolled, http.StatusConflict
	case errors.Is(err, syncing.ErrNoHubKey):
		code, status = codeHubKeyUnknown, http.StatusConflict
	case errors.Is(err, syncing.ErrNoHubRecipient):
		code, status = codeHubAgeUnknown, http.StatusConflict
	case errors.Is(err, syncing.ErrBundleGap):
		code, status = codeBundleGap, http.StatusConflict
	case errors.Is(err, syncing.ErrNotStarted):
		code, status = codeSyncNotRunning, http.StatusServiceUnavailable
	case errors.Is(err, syncing.ErrBundleNotOurs):
		code = codeBundleNotOurs
	case wire.BundleErrorCode(err) != "":
		code = wire.BundleErrorCode(err)
	default:
		s.internal(w, r, op, err)
		return
	}
	s.log.Warn(op+": refused", "code", code, "err", err)
	writeErrorMsg(w, status, code, bundleMessages[code])
}

type syncStatusView struct {
	syncing.Status
	// Unsynced is every item the hub has not accepted yet.
	Unsynced int `json:"unsynced"`
	// Message is one Vietnamese sentence for the status bar: why the hub
	// cannot be used now, or "" when all is well.
	Message string `json:"message"`
}

func viewSyncStatus(st syncing.Status) syncStatusView {
	v := syncStatusView{Status: st, Unsynced: st.Outbox.Unsynced()}
	switch {
	case !st.Enrolled:
		v.Message = "Máy này chưa đăng ký đồng bộ với máy chủ tỉnh. Hồ sơ vẫn được lưu trên máy và sẽ gửi sau khi đăng ký."
	case st.Problem != "" && st.ProblemMessage != "":
		v.Message = st.ProblemMessage
	case st.Problem != "":
		v.Message = syncMessage(st.Problem)
	}
	return v
}

func (s *server) syncStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.cfg.Sync.Status(r.Context())
	if err != nil {
		s.internal(w, r, "sync status", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": viewSyncStatus(st)})
}

type enrolRequest struct {
	HubURL string `json:"hubUrl"`
	Code   string `json:"code"`
}

func (s *server) syncEnrol(w http.ResponseWriter, r *http.Request) {
	var in enrolRequest
	if !decodeJSON(w, r, maxSyncBody, &in) {
		return
	}
	fields := map[string]string{}
	if strings.TrimSpace(in.HubURL) == "" {
		fields["hubUrl"] = "Địa chỉ máy chủ tỉnh không được để trống."
	}
	if strings.TrimSpace(in.Code) == "" {
		fields["code"] = "Mã đăng ký thiết bị không được để trống."
	}
	if len(fields) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: errorDetail{Code: codeValidation, Message: messages[codeValidation], Fields: fields}})
		return
	}
	en, err := s.cfg.Sync.Enrol(r.Context(), in.HubURL, in.Code)
	if err != nil {
		s.syncError(w, r, "sync enrol", err)
		return
	}
	st, err := s.cfg.Sync.Status(r.Context())
	if err != nil {
		s.internal(w, r, "sync status", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"enrolment": en, "status": viewSyncStatus(st)})
}

// syncError turns the sync use case's errors into the envelope.
func (s *server) syncError(w http.ResponseWriter, r *http.Request, op string, err error) {
	hubCode, hubMsg, fromHub := syncing.HubMessage(err)
	switch {
	case errors.Is(err, syncing.ErrInvalidURL):
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: errorDetail{Code: codeValidation, Message: messages[codeValidation],
			Fields: map[string]string{"hubUrl": "Địa chỉ máy chủ tỉnh phải có dạng https://tên-máy-chủ (ví dụ https://dongbo.thanhhoa.gov.vn)."}}})
	case errors.Is(err, syncing.ErrNotConfigured):
		writeError(w, r, http.StatusConflict, codeNotConfigured, nil)
	case errors.Is(err, syncing.ErrCommuneMismatch):
		writeErrorMsg(w, http.StatusConflict, codeCommuneMismatch, syncMessages[codeCommuneMismatch])
	case errors.Is(err, syncing.ErrEnrolCode):
		code := hubCode
		if _, ok := syncMessages[code]; !ok || !fromHub {
			code = wire.CodeEnrolCodeBad
		}
		writeErrorMsg(w, http.StatusUnprocessableEntity, code, syncMessages[code])
	case errors.Is(err, syncing.ErrRevoked):
		code := hubCode
		if code == "" {
			code = wire.CodeDeviceRevoked
		}
		writeErrorMsg(w, http.StatusForbidden, code, syncMessage(code))
	case errors.Is(err, syncing.ErrProtocol):
		code := hubCode
		if code != wire.CodeHubTooOld {
			code = wire.CodeClientTooOld
		}
		writeErrorMsg(w, http.StatusBadGateway, code, syncMessages[code])
	case errors.Is(err, syncing.ErrNotHub):
		writeErrorMsg(w, http.StatusBadGateway, codeHubNotFound, syncMessages[codeHubNotFound])
	case errors.Is(err, syncing.ErrHubUnavailable):
		writeErrorMsg(w, http.StatusServiceUnavailable, syncing.CodeHubUnavailable, syncMessages[syncing.CodeHubUnavailable])
	case errors.Is(err, syncing.ErrHubUnreachable):
		writeErrorMsg(w, http.StatusBadGateway, codeHubUnreachable, syncMessages[codeHubUnreachable])
	case errors.Is(err, syncing.ErrRefused) && fromHub:
		msg := hubMsg
		if msg == "" {
			msg = syncMessages[codeHubRefused]
		}
		writeErrorMsg(w, http.StatusBadGateway, codeHubRefused, msg)
	default:
		s.internal(w, r, op, err)
	}
}

type outboxItemView struct {
	ID            string     `json:"id"`
	DossierID     string     `json:"dossierId"`
	DossierCode   string     `json:"dossierCode"`
	Kind          string     `json:"kind"`
	Action        string     `json:"action,omitempty"`
	Label         string     `json:"label"`
	State         string     `json:"state"`
	StateLabel    string     `json:"stateLabel"`
	Attempts      int        `json:"attempts"`
	NextTry       *time.Time `json:"nextTry,omitempty"`
	WaitsForRetry bool       `json:"waitsForRetry"` // automatic retries used up: "Gửi lại"
	CanRetry      bool       `json:"canRetry"`
	Bytes         int64      `json:"bytes"`
	BytesLeft     int64      `json:"bytesLeft"`
	ErrorCode     string     `json:"errorCode,omitempty"`
	LastError     string     `json:"lastError,omitempty"`
	EnqueuedAt    time.Time  `json:"enqueuedAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	SyncedAt      *time.Time `json:"syncedAt,omitempty"`
	HubReceivedAt *time.Time `json:"hubReceivedAt,omitempty"`
}

func viewOutboxItem(it outbox.Item) outboxItemView {
	v := outboxItemView{
		ID: it.ID(), DossierID: it.DossierID, DossierCode: it.DossierCode, Kind: string(it.Kind), Action: it.Action,
		State: string(it.State), Attempts: it.Attempts, WaitsForRetry: it.State == outbox.StateError && it.Manual,
		CanRetry: it.State == outbox.StateParked || it.State == outbox.StateError,
		Bytes:    it.Bytes, BytesLeft: it.BytesLeft(), ErrorCode: it.Code,
		EnqueuedAt: it.EnqueuedAt, UpdatedAt: it.UpdatedAt, SyncedAt: it.SyncedAt, HubReceivedAt: it.HubReceivedAt,
	}
	if !it.NextTry.IsZero() && it.State == outbox.StateError {
		at := it.NextTry
		v.NextTry = &at
	}
	action := dossier.Action(it.Action).Label()
	switch {
	case it.Kind == outbox.KindDossier:
		v.Label = "Hồ sơ tiếp nhận"
		if action != "" {
			v.Label += " — " + action
		}
	case action != "":
		v.Label = action
	default:
		v.Label = "Cập nhật hồ sơ"
	}
	switch {
	case it.State == outbox.StatePending:
		v.StateLabel = "Chờ gửi"
	case it.State == outbox.StateUploading:
		v.StateLabel = "Đang gửi"
	case it.State == outbox.StateSynced:
		v.StateLabel = "Đã gửi"
	case it.State == outbox.StateParked:
		v.StateLabel = "Bị từ chối — cần xử lý"
	case it.Manual:
		v.StateLabel = "Chưa gửi được — bấm Gửi lại"
	default:
		v.StateLabel = "Lỗi — sẽ tự gửi lại"
	}
	if it.State != outbox.StateSynced {
		// The hub's own reason first: it says what the agency saw.
		v.LastError = it.Reason
		if v.LastError == "" {
			v.LastError = syncMessage(it.Code)
		}
		if v.WaitsForRetry {
			v.LastError = strings.TrimSpace("Đã tự gửi lại " + strconv.Itoa(it.Attempts) + " lần không thành công. " + v.LastError)
		}
	}
	return v
}

func (s *server) syncOutbox(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lq := outbox.ListQuery{All: q.Get("all") == "1" || q.Get("all") == "true", Cursor: q.Get("cursor")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			writeErrorMsg(w, http.StatusBadRequest, codeValidation, "limit phải là số từ 1 đến 500.")
			return
		}
		lq.Limit = n
	}
	page, err := s.cfg.Sync.ListOutbox(r.Context(), lq)
	if errors.Is(err, outbox.ErrBadCursor) {
		writeErrorMsg(w, http.StatusBadRequest, codeValidation, "Con trỏ trang (cursor) không hợp lệ; hãy tải lại danh sách.")
		return
	}
	if err != nil {
		s.internal(w, r, "sync outbox", err)
		return
	}
	items := make([]outboxItemView, 0, len(page.Items))
	for _, it := range page.Items {
		items = append(items, viewOutboxItem(it))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next": page.Next})
}

func (s *server) syncRetry(w http.ResponseWriter, r *http.Request) {
	it, err := s.cfg.Sync.Retry(r.Context(), r.PathValue("id"))
	if errors.Is(err, outbox.ErrNotFound) {
		writeError(w, r, http.StatusNotFound, codeNotFound, nil)
		return
	}
	if err != nil {
		s.internal(w, r, "sync retry", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"item": viewOutboxItem(it)})
}

func (s *server) syncNow(w http.ResponseWriter, r *http.Request) {
	s.cfg.Sync.SyncNow()
	st, err := s.cfg.Sync.Status(r.Context())
	if err != nil {
		s.internal(w, r, "sync status", err)
		return
	}
	// Accepted: the sync runs in the background and never holds the desk.
	writeJSON(w, http.StatusAccepted, map[string]any{"status": viewSyncStatus(st)})
}

type conflictView struct {
	syncing.Conflict
	Message string `json:"message"`
}

func (s *server) syncConflicts(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cfg.Sync.Conflicts(r.Context())
	if err != nil {
		s.internal(w, r, "sync conflicts", err)
		return
	}
	out := make([]conflictView, 0, len(cs))
	for _, c := range cs {
		msg := "Máy chủ tỉnh ghi nhận “" + dossier.Action(c.Change.Action).Label() + "” khi hồ sơ ở trạng thái “" +
			dossier.State(c.Change.From).Label() + "”, nhưng tại xã hồ sơ đang ở trạng thái “" + c.LocalState.Label() +
			"”. Cần cán bộ xem và xử lý."
		if c.Problem == reception.HubProblemUnknownDossier {
			msg = "Máy chủ tỉnh gửi cập nhật cho hồ sơ " + c.DossierCode + " nhưng máy này không có hồ sơ đó. Cần cán bộ kiểm tra."
		}
		out = append(out, conflictView{Conflict: c, Message: msg})
	}
	writeJSON(w, http.StatusOK, map[string]any{"conflicts": out})
}

// syncNotes lists the processing notes the hub sent about a dossier.
func (s *server) syncNotes(w http.ResponseWriter, r *http.Request) {
	notes, err := s.cfg.Sync.Notes(r.Context(), r.PathValue("dossierId"))
	if err != nil {
		s.internal(w, r, "sync notes", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notes": notes})
}
