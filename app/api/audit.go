package api

import (
	"fmt"
	"net/http"
	"time"
)

// verifyAudit walks the audit chain and reports the first broken link in
// Vietnamese (GET /api/audit/verify).
func (s *server) verifyAudit(w http.ResponseWriter, r *http.Request) {
	rep, err := s.cfg.AuditCheck()
	if err != nil {
		s.internal(w, r, "verify audit", err)
		return
	}
	body := map[string]any{"ok": rep.OK(), "entries": rep.Entries, "checkedAt": time.Now().Format(time.RFC3339)}
	if rep.OK() {
		body["message"] = fmt.Sprintf("Nhật ký thao tác toàn vẹn: đã kiểm tra %d mục, không mục nào bị sửa, xóa hay chèn.", rep.Entries)
	} else {
		reason := auditReason(rep.Reason)
		body["brokenAt"] = rep.BrokenAt
		body["reason"] = reason
		body["message"] = fmt.Sprintf("Nhật ký thao tác KHÔNG toàn vẹn: liên kết hỏng đầu tiên ở mục số %d (%s). %d mục trước đó hợp lệ. Hãy giữ nguyên máy và thư mục dữ liệu, báo lãnh đạo và quản trị viên.",
			rep.BrokenAt, reason, rep.Entries)
		s.log.Warn("audit chain broken", "at", rep.BrokenAt, "reason", rep.Reason)
	}
	writeJSON(w, http.StatusOK, body)
}

// auditReason translates audit.Verify's reasons.
func auditReason(reason string) string {
	var want, found uint64
	if n, _ := fmt.Sscanf(reason, "entry %d missing (found %d)", &want, &found); n == 2 {
		return fmt.Sprintf("mục số %d bị xóa hoặc có mục bị chèn vào (gặp mục số %d)", want, found)
	}
	switch reason {
	case "entry is not readable":
		return "mục này không đọc được (đã bị sửa)"
	case "link to the previous entry does not match":
		return "mục này không khớp với mục đứng trước: mục trước đã bị sửa, hoặc có mục bị xóa hay chèn vào"
	case "entry content does not match its hash":
		return "nội dung mục này đã bị sửa sau khi ghi"
	case "chain head is missing":
		return "thiếu dấu kết thúc của chuỗi nhật ký"
	case "chain head does not match the last entry (entries removed at the end?)":
		return "các mục cuối của nhật ký đã bị xóa"
	}
	return "mục này không hợp lệ"
}
