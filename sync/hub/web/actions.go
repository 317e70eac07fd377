package web

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"motcua/app/vntext"
	"motcua/sync/hub"
	"motcua/sync/wire"
)

// The action forms of the dossier page. Each posts the change ID it was
// rendered with and the state the official saw; the hub records one change
// in the commune's pull log (see hub.StaffAction) and the browser is sent
// back to the dossier (POST, redirect, GET), so a reload does not post
// again.

func staffAction(r *http.Request, sess *hub.StaffSession) hub.StaffAction {
	return hub.StaffAction{
		ChangeID: r.PostFormValue("change_id"), DossierID: r.PathValue("id"),
		ExpectState: r.PostFormValue("state"), Staff: sess.Staff,
	}
}

// done answers an action: back to the dossier with a flash on success, the
// dossier again with the official's input and the reason on failure.
func (u *UI) done(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession, err error, flash string, in formInput) {
	if err == nil {
		http.Redirect(w, r, pathInbox+"/"+url.PathEscape(r.PathValue("id"))+"?da="+flash, http.StatusSeeOther)
		return
	}
	status, msg := errKind(err)
	switch status {
	case 0:
		u.internal(w, r, sess, "staff action", err)
	case http.StatusNotFound:
		u.errorPage(w, r, sess, status, "Không tìm thấy hồ sơ", msg)
	default:
		u.cfg.Logger.Info("staff action refused", "form", in.Form, "staff", sess.Staff.Username, "err", err)
		u.showDossier(w, r, sess, status, msg, in)
	}
}

// refuse shows the dossier again with what the official must fix.
func (u *UI) refuse(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession, msg string, in formInput) {
	u.showDossier(w, r, sess, http.StatusUnprocessableEntity, msg, in)
}

func (u *UI) take(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) {
	_, err := u.hub.Take(r.Context(), staffAction(r, sess))
	u.done(w, r, sess, err, "nhan", formInput{Form: "take"})
}

func (u *UI) note(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) {
	in := formInput{Form: "note", Note: r.PostFormValue("note")}
	if strings.TrimSpace(in.Note) == "" {
		u.refuse(w, r, sess, "Hãy ghi nội dung bước xử lý hoặc ghi chú.", in)
		return
	}
	_, err := u.hub.AddNote(r.Context(), staffAction(r, sess), in.Note)
	u.done(w, r, sess, err, "ghi-chu", in)
}

func (u *UI) supplement(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) {
	in := formInput{Form: "supplement", Items: r.PostFormValue("items"), Reason: r.PostFormValue("reason")}
	items := strings.Split(strings.ReplaceAll(in.Items, "\r\n", "\n"), "\n")
	switch {
	case strings.TrimSpace(in.Items) == "":
		u.refuse(w, r, sess, "Hãy ghi ít nhất một giấy tờ cần bổ sung (mỗi dòng một giấy tờ).", in)
		return
	case strings.TrimSpace(in.Reason) == "":
		u.refuse(w, r, sess, "Hãy ghi lý do yêu cầu bổ sung.", in)
		return
	}
	_, err := u.hub.RequestSupplement(r.Context(), staffAction(r, sess), items, in.Reason)
	u.done(w, r, sess, err, "bo-sung", in)
}

// fileName keeps the last element of a browser-sent file name, in NFC.
func fileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" {
		return ""
	}
	return vntext.Clean(name)
}

func (u *UI) result(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) {
	in := formInput{Form: "result", PaperName: r.PostFormValue("paper_name"), ResultNote: r.PostFormValue("note")}
	files := r.MultipartForm.File["file"]
	switch {
	case strings.TrimSpace(in.PaperName) == "":
		u.refuse(w, r, sess, "Hãy ghi tên giấy tờ kết quả.", in)
		return
	case len(files) != 1 || files[0].Size == 0:
		u.refuse(w, r, sess, "Hãy chọn một tệp PDF kết quả.", in)
		return
	}
	// The paper is stored only for a dossier the official may act on: one
	// outside their communes is 404 before a byte is written.
	if err := u.hub.CheckDossierScope(r.Context(), sess.Staff, r.PathValue("id")); err != nil {
		u.done(w, r, sess, err, "", in)
		return
	}
	f, err := files[0].Open()
	if err != nil {
		u.internal(w, r, sess, "result upload", err)
		return
	}
	defer f.Close()
	ref, err := u.hub.PutResultPaper(r.Context(), f, fileName(files[0].Filename), r.PostFormValue("sha256"))
	if err != nil {
		u.done(w, r, sess, err, "", in)
		return
	}
	_, err = u.hub.RecordResult(r.Context(), staffAction(r, sess), []wire.ResultPaper{{Name: in.PaperName, Blob: ref}}, in.ResultNote)
	u.done(w, r, sess, err, "ket-qua", in)
}
