package hub

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"motcua/app/vntext"
	"motcua/sync/wire"
)

// Messages for the codes whose message does not depend on the request. They
// are Vietnamese because the commune shows them to the clerk as the hub's
// reason.
var messages = map[string]string{
	wire.CodeInvalidJSON:      "Dữ liệu gửi lên không đúng định dạng JSON.",
	wire.CodeTooLarge:         "Dữ liệu gửi lên quá lớn.",
	wire.CodeUnsupportedMedia: "Kiểu dữ liệu gửi lên không được hỗ trợ.",
	wire.CodeBadRequest:       "Yêu cầu không hợp lệ.",
	wire.CodeNotFound:         "Không tìm thấy nội dung yêu cầu.",
	wire.CodeMethod:           "Thao tác không được hỗ trợ.",
	wire.CodeInternal:         "Máy chủ tỉnh gặp lỗi, sẽ thử lại sau.",
	wire.CodeUnavailable:      "Máy chủ tỉnh tạm thời không sẵn sàng, sẽ thử lại sau.",
	wire.CodeUnauthenticated:  "Yêu cầu chưa được ký bởi thiết bị đã đăng ký.",
	wire.CodeBadSignature:     "Chữ ký của thiết bị không hợp lệ.",
	wire.CodeStaleTimestamp:   "Đồng hồ của máy lệch quá nhiều so với máy chủ tỉnh.",
	wire.CodeReplayedNonce:    "Yêu cầu này đã được gửi trước đó (phát lại).",
	wire.CodeUnknownDevice:    "Thiết bị chưa được đăng ký với máy chủ tỉnh.",
	wire.CodeDeviceRevoked:    "Thiết bị đã bị thu hồi quyền đồng bộ. Liên hệ quản trị viên tỉnh.",
	wire.CodeForbidden:        "Không có quyền thực hiện thao tác này.",
	wire.CodeEnrolCodeBad:     "Mã đăng ký thiết bị không đúng.",
	wire.CodeEnrolCodeUsed:    "Mã đăng ký thiết bị đã được dùng cho thiết bị khác.",
	wire.CodeEnrolCodeExpiry:  "Mã đăng ký thiết bị đã hết hạn. Đề nghị quản trị viên tỉnh cấp mã mới.",
	wire.CodeKeyInUse:         "Khóa của thiết bị đã được đăng ký cho một thiết bị khác.",
	wire.CodeUploadBusy:       "Tệp đang được tải lên bởi một kết nối khác, sẽ thử lại sau.",
	wire.CodeHashMismatch:     "Nội dung tệp nhận được không khớp mã băm; tệp sẽ được tải lại từ đầu.",
	wire.CodeBodyHash:         "Nội dung nhận được không khớp với chữ ký (đường truyền lỗi).",
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set(wire.HeaderProtocol, wire.Current.String())
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// writeErr sends e as the error envelope with its status.
func writeErr(w http.ResponseWriter, e *wire.Error) {
	if e.Message == "" {
		e.Message = messages[e.Code]
	}
	if e.Offset != nil {
		w.Header().Set(wire.HeaderUploadOffset, fmt.Sprint(*e.Offset))
	}
	writeJSON(w, e.Status, wire.ErrorResponse{Error: *e})
}

func fail(w http.ResponseWriter, status int, code string) {
	writeErr(w, &wire.Error{Status: status, Code: code})
}

func failMsg(w http.ResponseWriter, status int, code, msg string) {
	writeErr(w, &wire.Error{Status: status, Code: code, Message: msg})
}

// errTooLarge is returned by readBody when the body is over its limit.
var errTooLarge = errors.New("body too large")

// readBody reads at most limit bytes of r's body. On errTooLarge the rest is
// unread, so the connection is marked for closing rather than drained.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(b)) > limit {
		w.Header().Set("Connection", "close")
		return nil, errTooLarge
	}
	return b, nil
}

// decodeDoc decodes a JSON request body (raw, as signed) into v: gunzips it
// when Content-Encoding says so, bounds both the compressed and the
// decompressed size, and decodes strictly unless the client speaks a newer
// minor version. On failure it has answered with a 4xx and returns false.
func decodeDoc(w http.ResponseWriter, r *http.Request, raw []byte, limit int64, v wire.Version, dst any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		fail(w, http.StatusUnsupportedMediaType, wire.CodeUnsupportedMedia)
		return false
	}
	var body io.Reader = bytes.NewReader(raw)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			failMsg(w, http.StatusBadRequest, wire.CodeInvalidJSON, "Dữ liệu nén gzip bị hỏng.")
			return false
		}
		defer zr.Close()
		body = zr
	default:
		failMsg(w, http.StatusUnsupportedMediaType, wire.CodeUnsupportedMedia, "Kiểu nén "+enc+" không được hỗ trợ (chỉ gzip).")
		return false
	}
	err := wire.Decode(body, limit, dst, wire.StrictFor(v))
	if err == nil {
		return true
	}
	var de *wire.DecodeError
	if !errors.As(err, &de) {
		// A read error inside the body: for gzip, a corrupt stream.
		failMsg(w, http.StatusBadRequest, wire.CodeInvalidJSON, "Dữ liệu gửi lên bị hỏng: "+err.Error())
		return false
	}
	switch de.Kind {
	case wire.CodeTooLarge:
		failMsg(w, http.StatusRequestEntityTooLarge, wire.CodeTooLarge,
			fmt.Sprintf("Dữ liệu gửi lên quá lớn (tối đa %d KB sau giải nén).", limit/1024))
	case wire.CodeUnknownField:
		failMsg(w, http.StatusBadRequest, wire.CodeUnknownField,
			fmt.Sprintf("Trường %q không có trong giao thức %s.", vntext.Echo(de.Field, 40), wire.Current))
	default:
		msg := messages[wire.CodeInvalidJSON]
		if de.Field != "" {
			msg = fmt.Sprintf("Trường %q có kiểu giá trị không đúng.", vntext.Echo(de.Field, 40))
		}
		failMsg(w, http.StatusBadRequest, wire.CodeInvalidJSON, msg)
	}
	return false
}
