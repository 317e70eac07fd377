package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	lifecycle "motcua/app/dossier"
	"motcua/sync/hub"
)

// Deadline flags of a dossier, as on the desk: overdue past its
// appointment, due soon from one working day before it.
const (
	flagOverdue = "overdue"
	flagDueSoon = "due-soon"
)

func (u *UI) deadline(state string, due *time.Time, now time.Time) (flag, label string) {
	if due == nil || !hub.Running(state) {
		return "", ""
	}
	switch {
	case now.After(*due):
		return flagOverdue, "Quá hạn"
	case !now.Before(u.cal.WarnFrom(*due)):
		return flagDueSoon, "Sắp đến hạn"
	}
	return "", ""
}

// msgUnassigned tells an official without an agency why they see nothing
// (hub.Staff.Unassigned) and what to do about it.
const msgUnassigned = "Tài khoản của bạn chưa được gán cơ quan nên chưa xem được hồ sơ của xã nào. " +
	"Hãy đề nghị quản trị viên máy chủ tỉnh gán cơ quan cho tài khoản (hub staff --set-agency)."

// msgNoDossier answers a dossier that does not exist and one outside the
// official's communes alike: the page does not reveal which.
const msgNoDossier = "Hồ sơ này không có trên máy chủ tỉnh hoặc không thuộc các xã bạn được xem."

type option struct {
	Value, Label string
	Selected     bool
}

type inboxRow struct {
	hub.InboxRow
	Flag, FlagLabel string
}

type inboxData struct {
	Query    string // the search as typed
	Communes []option
	States   []option
	Rows     []inboxRow
	Total    int
	Filtered bool
	NextURL  string
	FirstURL string
}

// inboxURL keeps the search and the filters in the paging links.
func inboxURL(f hub.InboxFilter, after string) string {
	q := url.Values{}
	if f.Query != "" {
		q.Set("tim", f.Query)
	}
	commune, state := f.Commune, f.State
	if commune != "" {
		q.Set("xa", commune)
	}
	if state != "" {
		q.Set("trang-thai", state)
	}
	if after != "" {
		q.Set("sau", after)
	}
	if len(q) == 0 {
		return pathInbox
	}
	return pathInbox + "?" + q.Encode()
}

func (u *UI) inbox(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) {
	q := r.URL.Query()
	f := hub.InboxFilter{Commune: q.Get("xa"), State: q.Get("trang-thai"), After: q.Get("sau"), Query: strings.TrimSpace(q.Get("tim"))}
	if r := []rune(f.Query); len(r) > hub.MaxSearchRunes {
		f.Query = string(r[:hub.MaxSearchRunes])
	}
	if f.State != hub.InboxOpen && f.State != hub.InboxAll && !lifecycle.State(f.State).Valid() {
		f.State = hub.InboxOpen
	}
	pg, err := u.hub.Inbox(r.Context(), sess.Staff, f)
	if errors.Is(err, hub.ErrBadCursor) {
		http.Redirect(w, r, inboxURL(f, ""), http.StatusSeeOther)
		return
	}
	if err != nil {
		u.internal(w, r, sess, "inbox", err)
		return
	}
	communes, err := u.hub.Communes(r.Context(), sess.Staff)
	if err != nil {
		u.internal(w, r, sess, "inbox communes", err)
		return
	}
	d := inboxData{Query: f.Query, Total: pg.Total, Filtered: f.Commune != "" || f.State != hub.InboxOpen || f.Query != ""}
	d.Communes = append(d.Communes, option{Value: "", Label: "Tất cả các xã", Selected: f.Commune == ""})
	for _, c := range communes {
		d.Communes = append(d.Communes, option{Value: c.Code, Label: c.Name, Selected: c.Code == f.Commune})
	}
	d.States = []option{
		{Value: hub.InboxOpen, Label: "Chưa giải quyết xong", Selected: f.State == hub.InboxOpen},
		{Value: hub.InboxAll, Label: "Tất cả trạng thái", Selected: f.State == hub.InboxAll},
	}
	for _, s := range lifecycle.States() {
		d.States = append(d.States, option{Value: string(s), Label: s.Label(), Selected: string(s) == f.State})
	}
	now := u.cfg.Now()
	for _, row := range pg.Rows {
		flag, label := u.deadline(row.State, row.DueAt, now)
		d.Rows = append(d.Rows, inboxRow{InboxRow: row, Flag: flag, FlagLabel: label})
	}
	if pg.Next != "" {
		d.NextURL = inboxURL(f, pg.Next)
	}
	if f.After != "" {
		d.FirstURL = inboxURL(f, "")
	}
	p := page{Title: "Hồ sơ đến", Nav: "inbox", Staff: &sess.Staff, CSRF: sess.CSRF, Data: d}
	if sess.Staff.Unassigned() {
		p.Error = msgUnassigned
	}
	u.render(w, r, http.StatusOK, "inbox", p)
}

// formIDs are the change IDs the action forms of one rendering carry: a
// form submitted twice records one change.
type formIDs struct{ Take, Note, Supplement, Result string }

func newChangeID() string { return uuid.Must(uuid.NewV7()).String() }

// formInput is what the official typed, shown again after an error.
type formInput struct {
	Note, Items, Reason, PaperName, ResultNote string
	Form                                       string // which form failed
}

type dossierData struct {
	V         hub.DossierView
	Flag      string
	FlagLabel string
	Allowed   hub.Allowed
	TakenByMe bool
	Viewer    *hub.DossierFile
	IDs       formIDs
	In        formInput
}

// flashes are the messages after a successful action (?da=…).
var flashes = map[string]string{
	"nhan":    "Đã nhận xử lý hồ sơ. Xã sẽ nhận được cập nhật ở lần đồng bộ tiếp theo.",
	"ghi-chu": "Đã ghi nhận bước xử lý. Xã sẽ nhận được ở lần đồng bộ tiếp theo.",
	"bo-sung": "Đã gửi yêu cầu bổ sung hồ sơ về xã.",
	"ket-qua": "Đã đính kèm kết quả và hoàn thành hồ sơ. Xã sẽ nhận kết quả ở lần đồng bộ tiếp theo.",
}

func (u *UI) dossier(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) {
	u.showDossier(w, r, sess, http.StatusOK, "", formInput{})
}

// showDossier renders a dossier, with msg and the official's input after a
// failed action.
func (u *UI) showDossier(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession, status int, msg string, in formInput) {
	v, err := u.hub.Dossier(r.Context(), sess.Staff, r.PathValue("id"))
	if errors.Is(err, hub.ErrNotFound) {
		u.errorPage(w, r, sess, http.StatusNotFound, "Không tìm thấy hồ sơ", msgNoDossier)
		return
	}
	if err != nil {
		u.internal(w, r, sess, "dossier", err)
		return
	}
	d := dossierData{V: v, Allowed: hub.AllowedFor(v, sess.Staff), TakenByMe: v.TakenByID == sess.Staff.ID, In: in,
		IDs: formIDs{Take: newChangeID(), Note: newChangeID(), Supplement: newChangeID(), Result: newChangeID()}}
	d.Flag, d.FlagLabel = u.deadline(v.State, v.DueAt, u.cfg.Now())
	for i := range v.Files {
		if v.Files[i].MediaType == "application/pdf" {
			d.Viewer = &v.Files[i]
			break
		}
	}
	if d.In.PaperName == "" {
		d.In.PaperName = "Kết quả giải quyết: " + v.Record.Procedure.Name
	}
	p := page{Title: "Hồ sơ " + v.Code, Nav: "inbox", Staff: &sess.Staff, CSRF: sess.CSRF, Error: msg, Data: d}
	if msg == "" {
		p.Flash = flashes[r.URL.Query().Get("da")]
	}
	u.render(w, r, status, "dossier", p)
}

type communeRow struct {
	hub.CommuneIndicators
	OnTime    string
	Digitised string
	LastSeen  string
	Stale     bool
	Audit     []auditCell // the commune's devices' audit chains (audit.go)
}

type communesData struct {
	From, To string // as typed
	Rows     []communeRow
	Problem  string
}

// parseDay reads a day as people type it (02/03/2026, 2/3/2026) or as a
// date input sends it (2026-03-02), at midnight in Vietnam.
func parseDay(s string) (time.Time, bool) {
	for _, layout := range []string{"2/1/2006", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, vn); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// staleAfter is how long a commune may go without syncing before the page
// flags it.
const staleAfter = 24 * time.Hour

func (u *UI) communes(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) {
	u.showCommunes(w, r, sess, http.StatusOK, "")
}

// showCommunes renders the indicators, with msg after a refused
// acknowledgement.
func (u *UI) showCommunes(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession, status int, msg string) {
	q := r.URL.Query()
	d := communesData{From: strings.TrimSpace(q.Get("tu")), To: strings.TrimSpace(q.Get("den"))}
	var from, to *time.Time
	if d.From != "" {
		if t, ok := parseDay(d.From); ok {
			from = &t
		} else {
			d.Problem = "Ngày bắt đầu không hợp lệ (dd/mm/yyyy)."
		}
	}
	if d.To != "" {
		if t, ok := parseDay(d.To); ok {
			end := t.AddDate(0, 0, 1) // the whole last day
			to = &end
		} else {
			d.Problem = "Ngày kết thúc không hợp lệ (dd/mm/yyyy)."
		}
	}
	rows, err := u.hub.Indicators(r.Context(), sess.Staff, from, to)
	if err != nil {
		u.internal(w, r, sess, "indicators", err)
		return
	}
	now := u.cfg.Now()
	audits, err := u.auditCells(r.Context(), now, sess.Staff)
	if err != nil {
		u.internal(w, r, sess, "audit chains", err)
		return
	}
	for _, c := range rows {
		row := communeRow{CommuneIndicators: c, OnTime: percent(c.OnTimeRate()), Digitised: percent(c.DigitisedRate()),
			Audit: audits[c.Code]}
		if c.LastSeen == nil {
			row.LastSeen, row.Stale = "Chưa đồng bộ lần nào", true
		} else {
			row.LastSeen, row.Stale = ago(*c.LastSeen, now), now.Sub(*c.LastSeen) > staleAfter
		}
		d.Rows = append(d.Rows, row)
	}
	p := page{Title: "Chỉ số theo xã", Nav: "communes", Staff: &sess.Staff, CSRF: sess.CSRF, Error: d.Problem, Data: d}
	switch {
	case msg != "":
		p.Error = msg
	case sess.Staff.Unassigned():
		p.Error = msgUnassigned
	case q.Get("da") == "xac-nhan":
		p.Flash = "Đã ghi nhận xác nhận sai lệch nhật ký. Sai lệch vẫn được lưu và hiển thị; sai lệch mới sẽ cần xác nhận lại."
	}
	u.render(w, r, status, "communes", p)
}

// ackAudit records an admin's acknowledgement of a device's audit
// conflicts (hub.AcknowledgeAuditConflicts) and goes back to the page.
func (u *UI) ackAudit(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) {
	seen, _ := strconv.Atoi(r.PostFormValue("so-sai-lech"))
	note := r.PostFormValue("ghi-chu")
	if strings.TrimSpace(note) == "" {
		u.showCommunes(w, r, sess, http.StatusUnprocessableEntity, "Hãy ghi nội dung xác nhận: đã xem xét gì, vì sao nhật ký sai lệch.")
		return
	}
	_, err := u.hub.AcknowledgeAuditConflicts(r.Context(), r.PostFormValue("thiet-bi"), seen, note, sess.Staff)
	switch {
	case err == nil:
		http.Redirect(w, r, pathCommunes+"?da=xac-nhan", http.StatusSeeOther)
	case errors.Is(err, hub.ErrAuditChanged):
		u.showCommunes(w, r, sess, http.StatusConflict, "Thiết bị vừa có thêm sai lệch nhật ký từ khi mở trang. Đã tải lại; hãy xem lại rồi xác nhận.")
	case errors.Is(err, hub.ErrNotFound):
		u.showCommunes(w, r, sess, http.StatusNotFound, "Thiết bị này không có sai lệch nhật ký nào để xác nhận.")
	case errors.Is(err, hub.ErrInvalid):
		u.showCommunes(w, r, sess, http.StatusUnprocessableEntity, fmt.Sprintf("Nội dung xác nhận tối đa %d ký tự.", hub.MaxAckNote))
	case errors.Is(err, hub.ErrNotAllowed):
		u.errorPage(w, r, sess, http.StatusForbidden, "Không có quyền truy cập", "Chỉ quản trị viên máy chủ tỉnh xác nhận được sai lệch nhật ký.")
	default:
		u.internal(w, r, sess, "acknowledge audit conflicts", err)
	}
}

func (u *UI) devices(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) {
	ds, err := u.hub.Devices(r.Context(), "")
	if err != nil {
		u.internal(w, r, sess, "devices", err)
		return
	}
	u.render(w, r, http.StatusOK, "devices", page{Title: "Thiết bị đồng bộ", Nav: "devices", Staff: &sess.Staff,
		CSRF: sess.CSRF, Data: ds})
}
