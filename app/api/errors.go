package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"motcua/app/blobs"
	"motcua/app/office"
	"motcua/app/store"
	"motcua/app/vntext"
)

// Machine-readable error codes of the envelope. The frontend switches on
// these; the message is for people.
const (
	codeInvalidJSON      = "invalid_json"
	codeInvalidType      = "invalid_type"
	codeUnknownField     = "unknown_field"
	codeTooLarge         = "body_too_large"
	codeUnsupportedMedia = "unsupported_media_type"
	codeValidation       = "validation_failed"
	codeNotFound         = "not_found"
	codeMethod           = "method_not_allowed"
	codeStoreUnavailable = "store_unavailable"
	codeDiskFull         = "disk_full"
	codeInternal         = "internal_error"

	codeInvalidTransition = "invalid_transition"
	codeProcedureUnknown  = "procedure_unknown"
	codeDuplicateRequest  = "duplicate_request"
	codeNotConfigured     = "not_configured"
	codeFormNotApplicable = "form_not_applicable"
	codeCatalogVersion    = "catalog_version"
	codeUnauthenticated   = "unauthenticated"
	codeForbidden         = "forbidden"
	codeBadCredentials    = "bad_credentials"
	codeLockedOut         = "locked_out"
	codeSetupDone         = "setup_done"
	codeLastAdmin         = "last_admin"
	codePasswordChange    = "password_change_required"
)

var messages = map[string]string{
	codeInvalidJSON:      "Dữ liệu gửi lên không đúng định dạng JSON.",
	codeInvalidType:      "Dữ liệu gửi lên có trường sai kiểu giá trị.",
	codeUnknownField:     "Dữ liệu gửi lên có trường không được hỗ trợ.",
	codeTooLarge:         "Dữ liệu gửi lên quá lớn.",
	codeUnsupportedMedia: "Dữ liệu phải được gửi dưới dạng JSON.",
	codeValidation:       "Thông tin chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu.",
	codeNotFound:         "Không tìm thấy nội dung yêu cầu.",
	codeMethod:           "Thao tác không được hỗ trợ.",
	codeStoreUnavailable: "Không truy cập được kho dữ liệu trên máy.",
	codeDiskFull:         "Ổ đĩa đã đầy, không thể lưu thêm dữ liệu. Dữ liệu đã lưu trước đó vẫn an toàn.",
	codeInternal:         "Đã xảy ra lỗi hệ thống. Vui lòng thử lại hoặc liên hệ quản trị viên.",

	codeInvalidTransition: "Thao tác không hợp lệ với trạng thái hiện tại của hồ sơ.",
	codeProcedureUnknown:  "Không có thủ tục này trong danh mục.",
	codeDuplicateRequest:  "Mã yêu cầu đã được dùng cho một thao tác khác. Vui lòng tải lại trang rồi thử lại.",
	codeNotConfigured:     "Chưa thiết lập thông tin đơn vị. Vui lòng vào mục Thiết lập trước.",
	codeFormNotApplicable: "Hồ sơ này không có biểu mẫu được yêu cầu.",
	codeUnauthenticated:   "Vui lòng đăng nhập.",
	codeSetupDone:         "Phần mềm đã được thiết lập; hãy đăng nhập bằng tài khoản quản trị.",
}

// fieldLabels name settings fields the way the form does.
var fieldLabels = map[string]string{
	"province":             "Tỉnh/Thành phố",
	"parentAgency":         "Cơ quan chủ quản",
	"unitName":             "Tên đơn vị tiếp nhận",
	"communeName":          "Tên xã/phường",
	"agencyCode":           "Mã định danh điện tử",
	"address":              "Địa chỉ",
	"phone":                "Số điện thoại",
	"email":                "Thư điện tử",
	"formSet":              "Bộ biểu mẫu",
	"hours":                "Giờ làm việc",
	"hours.morningStart":   "Giờ bắt đầu buổi sáng",
	"hours.morningEnd":     "Giờ kết thúc buổi sáng",
	"hours.afternoonStart": "Giờ bắt đầu buổi chiều",
	"hours.afternoonEnd":   "Giờ kết thúc buổi chiều",
}

func problemMessage(field, problem string) string {
	label := fieldLabels[field]
	if label == "" {
		label = field
	}
	switch problem {
	case office.ProblemRequired:
		return label + " không được để trống."
	case office.ProblemTooLong:
		return label + " quá dài."
	case office.ProblemFormat:
		if field == "agencyCode" {
			return label + " chỉ gồm chữ in hoa, chữ số và dấu chấm (ví dụ 000.17.22.H56)."
		}
		if strings.HasPrefix(field, "hours.") {
			return label + " phải có dạng GG:PP (ví dụ 07:30)."
		}
		return label + " không đúng định dạng."
	case office.ProblemOrder:
		return "Giờ làm việc phải theo thứ tự: sáng bắt đầu < sáng kết thúc ≤ chiều bắt đầu < chiều kết thúc."
	case office.ProblemUnknown:
		return label + " không có trong danh sách cho phép."
	}
	return label + " không hợp lệ."
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func writeError(w http.ResponseWriter, r *http.Request, status int, code string, fields map[string]string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: messages[code], Fields: fields}})
}

// writeErrorMsg is writeError with a message more precise than the code's.
func writeErrorMsg(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// internal logs the details and answers with a generic message; a full
// disk gets its own message because the clerk can act on it.
func (s *server) internal(w http.ResponseWriter, r *http.Request, op string, err error) {
	s.log.Error(op, "err", err, "path", r.URL.Path)
	// The blob store marks a full disk itself (on Windows it is not ENOSPC).
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, blobs.ErrDiskFull) {
		writeError(w, r, http.StatusInsufficientStorage, codeDiskFull, nil)
		return
	}
	if errors.Is(err, store.ErrLocked) {
		writeError(w, r, http.StatusServiceUnavailable, codeStoreUnavailable, nil)
		return
	}
	writeError(w, r, http.StatusInternalServerError, codeInternal, nil)
}

// decodeJSON strictly decodes one JSON document from the body into v. On
// failure it has already written the 4xx answer and returns false.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, r, http.StatusUnsupportedMediaType, codeUnsupportedMedia, nil)
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// Exactly one document: trailing data is as wrong as a syntax error.
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data after JSON document")
		}
	}
	if err == nil {
		return true
	}
	var (
		maxErr    *http.MaxBytesError
		typeErr   *json.UnmarshalTypeError
		syntaxErr *json.SyntaxError
	)
	switch {
	case errors.As(err, &maxErr):
		writeErrorMsg(w, http.StatusRequestEntityTooLarge, codeTooLarge,
			fmt.Sprintf("Dữ liệu gửi lên quá lớn (tối đa %d KB).", limit/1024))
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(gốc)"
		}
		writeErrorMsg(w, http.StatusBadRequest, codeInvalidType,
			fmt.Sprintf("Trường %q có kiểu giá trị không đúng (cần %s).", vntext.Echo(field, 40), jsonKind(typeErr.Type.Kind().String())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, qerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if qerr != nil {
			name = "?"
		}
		writeErrorMsg(w, http.StatusBadRequest, codeUnknownField,
			fmt.Sprintf("Trường %q không được hỗ trợ.", vntext.Echo(name, 40)))
	case errors.As(err, &syntaxErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		writeError(w, r, http.StatusBadRequest, codeInvalidJSON, nil)
	default:
		writeError(w, r, http.StatusBadRequest, codeInvalidJSON, nil)
	}
	return false
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "chuỗi ký tự"
	case "struct", "map":
		return "đối tượng"
	case "slice", "array":
		return "danh sách"
	case "bool":
		return "đúng/sai"
	}
	return "số"
}

func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic in handler", "panic", v, "path", r.URL.Path)
				writeError(w, r, http.StatusInternalServerError, codeInternal, nil)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
