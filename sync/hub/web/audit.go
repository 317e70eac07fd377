package web

import (
	"context"
	"fmt"
	"time"

	"motcua/sync/hub"
)

// auditCell is one device's audit chain on the "Chỉ số theo xã" page.
type auditCell struct {
	Device string // shown when the commune has several devices
	State  string // ok, behind, conflict, acknowledged (a conflict someone looked into), none
	Label  string
	Detail string

	// For conflicts: the device, how many conflicting entries the page
	// shows (the acknowledgement form sends it back), whether the viewer
	// may acknowledge them, and the acknowledgements so far, newest first.
	DeviceID  string
	Conflicts int
	CanAck    bool
	Acks      []ackLine
}

// ackLine is one acknowledgement as the page shows it.
type ackLine struct {
	Who, When, Note string
	Conflicts       int
}

// conflictCauses name hub.AuditChain.ConflictCause for people.
var conflictCauses = map[string]string{
	"different_hash": "khác với bản đã nhận",
	"broken_link":    "không nối tiếp bản đã nhận (nhật ký bị viết lại)",
	"altered":        "nội dung không khớp mã băm",
}

// auditCells groups the audit chains of the communes st may see by
// commune code; only an admin may acknowledge conflicts.
func (u *UI) auditCells(ctx context.Context, now time.Time, st hub.Staff) (map[string][]auditCell, error) {
	admin := st.Admin()
	chains, err := u.hub.AuditChainsFor(ctx, st)
	if err != nil {
		return nil, err
	}
	out := map[string][]auditCell{}
	for _, c := range chains {
		cell := auditCell{Device: c.DeviceName, DeviceID: c.DeviceID, Conflicts: c.Conflicts}
		for i := len(c.Acks) - 1; i >= 0; i-- {
			a := c.Acks[i]
			cell.Acks = append(cell.Acks, ackLine{Who: a.FullName + " (" + a.Username + ")", When: dateTime(a.At), Note: a.Note, Conflicts: a.Conflicts})
		}
		switch {
		case !c.Continuous():
			cell.State, cell.Label = "conflict", fmt.Sprintf("Sai lệch từ mục %d", c.ConflictSeq)
			cell.Detail = fmt.Sprintf("Mục %d %s; %d mục sai lệch, phát hiện %s. Bản trên máy chủ tỉnh được giữ nguyên.",
				c.ConflictSeq, labelOr(conflictCauses, c.ConflictCause), c.Conflicts, ago(*c.ConflictAt, now))
			if c.Acknowledged() {
				cell.State = "acknowledged"
			} else {
				cell.CanAck = admin
			}
		case c.LastSeq == 0:
			cell.State, cell.Label = "none", "Chưa nhận nhật ký"
		case c.Behind() > 0:
			cell.State, cell.Label = "behind", fmt.Sprintf("Liên tục đến mục %d", c.LastSeq)
			cell.Detail = fmt.Sprintf("còn %d mục chưa gửi", c.Behind())
		default:
			cell.State, cell.Label = "ok", fmt.Sprintf("Liên tục đến mục %d", c.LastSeq)
			cell.Detail = "đầy đủ"
		}
		if c.LastAt != nil && cell.State != "conflict" && cell.State != "none" {
			cell.Detail += ", mục cuối lúc " + dateTime(c.LastAt)
		}
		out[c.CommuneCode] = append(out[c.CommuneCode], cell)
	}
	return out, nil
}
