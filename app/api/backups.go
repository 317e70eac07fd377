package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"motcua/app/audit"
	"motcua/app/backup"
	"motcua/app/store"
	"motcua/app/vault"
)

// Backups is what the API needs from the backup use case.
type Backups interface {
	Settings(ctx context.Context) (backup.Settings, error)
	SaveSettings(ctx context.Context, s backup.Settings) (backup.Settings, error)
	Status(ctx context.Context) (backup.Status, error)
	List(ctx context.Context) ([]backup.Info, error)
	BackupNow(ctx context.Context, by string) error
	PrepareRestore(ctx context.Context, name, by string) (backup.Pending, error)
	PrepareFrom(ctx context.Context, path, recoveryKey, by string, keepDevice bool) (backup.Pending, error)
	// Fresh and PrepareFirstRun serve the first-run screen's restore.
	Fresh(ctx context.Context) (bool, error)
	PrepareFirstRun(ctx context.Context, path, recoveryKey string, keepDevice bool) (backup.Pending, error)
	CancelRestore(ctx context.Context) error
}

const (
	codeBackupRunning       = "backup_running"
	codeBackupNotConfigured = "backup_not_configured"
	codeBackupFolderMissing = "backup_folder_missing"
	codeBackupNotWritable   = "backup_folder_not_writable"
	codeBackupTargetFull    = "backup_target_full"
	codeBackupVerify        = "backup_verify_failed"
	codeBackupOtherVault    = "backup_other_vault"
	codeRestorePending      = "restore_pending"
	codeNewerSchema         = "newer_schema"
	codeBackupNotFound      = "backup_not_found"
	codeBackupUnencrypted   = "backup_unencrypted"
	codeRecoveryKeyRequired = "recovery_key_required"
	codeRecoveryKeyWrong    = "recovery_key_wrong"
	codeStoreNotFresh       = "store_not_fresh"
)

const (
	msgFirstRunRestoring      = "Đang khôi phục thử bản sao lưu của máy cũ, vui lòng đợi xong."
	msgFirstRunRestorePending = "Đã chuẩn bị khôi phục bản sao lưu của máy cũ. Hãy đóng phần mềm rồi mở lại để hoàn tất, sau đó đăng nhập bằng tài khoản của máy cũ."
)

func (s *server) routeBackups(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/backups/settings", s.getBackupSettings)
	mux.HandleFunc("PUT /api/backups/settings", s.putBackupSettings)
	mux.HandleFunc("GET /api/backups", s.listBackups)
	mux.HandleFunc("POST /api/backups", s.startBackup)
	mux.HandleFunc("POST /api/backups/restore", s.prepareRestore)
	mux.HandleFunc("DELETE /api/backups/restore", s.cancelRestore)
	mux.HandleFunc("POST /api/backups/restore-from", s.prepareRestoreFrom)
}

// backupProblemMessage says in Vietnamese what went wrong with a backup run
// (backup.Problem* codes) and what to do.
func backupProblemMessage(problem, folder string) string {
	switch problem {
	case backup.ProblemNotConfigured:
		return "Chưa chọn thư mục sao lưu. Hãy nhập thư mục (ví dụ một thư mục trên ổ USB) rồi bấm Lưu cài đặt."
	case backup.ProblemFolderMissing:
		return fmt.Sprintf("Không tìm thấy thư mục sao lưu %s. Nếu đó là ổ USB, hãy cắm ổ vào máy rồi bấm \"Sao lưu ngay\". Dữ liệu trên máy không bị ảnh hưởng.", folder)
	case backup.ProblemNotWritable:
		return fmt.Sprintf("Không ghi được vào thư mục sao lưu %s (ổ chỉ cho đọc hoặc không có quyền ghi). Dữ liệu trên máy không bị ảnh hưởng.", folder)
	case backup.ProblemTargetFull:
		return fmt.Sprintf("Ổ chứa thư mục sao lưu %s không còn đủ chỗ trống. Hãy xóa bớt tệp trên ổ, dùng ổ lớn hơn hoặc giảm số bản giữ lại. Các bản sao lưu cũ vẫn được giữ.", folder)
	case backup.ProblemDiskLow:
		return fmt.Sprintf("Ổ đĩa của máy sắp đầy (cần để trống ít nhất %d MB) nên chưa thể sao lưu. Hãy giải phóng dung lượng ổ đĩa. Dữ liệu đã lưu vẫn an toàn.", backup.DefaultMinFree>>20)
	case backup.ProblemVerify:
		return "Bản sao lưu vừa tạo không khôi phục thử được nên đã bị loại bỏ; các bản sao lưu cũ vẫn được giữ. Hãy báo quản trị viên (chi tiết kỹ thuật ở dưới)."
	case backup.ProblemCanceled:
		return "Sao lưu bị dừng do phần mềm được đóng lại; lần sau sẽ sao lưu lại."
	case "":
		return ""
	}
	return "Sao lưu không thành công do lỗi hệ thống. Hãy xem tệp nhật ký motcua.log hoặc liên hệ quản trị viên."
}

var backupPhaseLabels = map[string]string{
	"store":  "Đang sao lưu cơ sở dữ liệu",
	"blobs":  "Đang sao chép các tệp số hóa",
	"verify": "Đang khôi phục thử để kiểm tra",
	"rotate": "Đang xóa các bản sao lưu cũ",
}

type backupResultView struct {
	*backup.Result
	Message string `json:"message,omitempty"`
}

type backupStatusView struct {
	backup.Status
	Last        *backupResultView `json:"last,omitempty"`
	LastSuccess *backupResultView `json:"lastSuccess,omitempty"`
	PhaseLabel  string            `json:"phaseLabel,omitempty"`
}

func viewBackupStatus(st backup.Status, folder string) backupStatusView {
	v := backupStatusView{Status: st, PhaseLabel: backupPhaseLabels[st.Phase]}
	if st.Running != "" && v.PhaseLabel == "" {
		v.PhaseLabel = "Đang chuẩn bị"
	}
	if st.Last != nil {
		v.Last = &backupResultView{Result: st.Last, Message: backupProblemMessage(st.Last.Problem, folder)}
	}
	if st.LastSuccess != nil {
		v.LastSuccess = &backupResultView{Result: st.LastSuccess}
	}
	return v
}

// backupState is the settings and the status, as every backup answer has.
func (s *server) backupState(ctx context.Context) (map[string]any, error) {
	set, err := s.cfg.Backups.Settings(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.cfg.Backups.Status(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]any{"settings": set, "status": viewBackupStatus(st, set.Folder)}, nil
}

// answerBackups answers with the settings and the status, plus extra.
func (s *server) answerBackups(w http.ResponseWriter, r *http.Request, status int, extra map[string]any) {
	body, err := s.backupState(r.Context())
	if err != nil {
		s.internal(w, r, "backup status", err)
		return
	}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, status, body)
}

func (s *server) getBackupSettings(w http.ResponseWriter, r *http.Request) {
	s.answerBackups(w, r, http.StatusOK, nil)
}

var backupFieldLabels = map[string]string{
	"folder": "Thư mục sao lưu", "schedule": "Lịch sao lưu", "at": "Giờ sao lưu", "everyHours": "Số giờ giữa hai lần sao lưu",
	"keep": "Số bản giữ lại",
}

func backupFieldMessage(field, problem string) string {
	label := backupFieldLabels[field]
	switch problem {
	case backup.ProblemRequired:
		return label + " không được để trống khi bật sao lưu tự động."
	case backup.ProblemNotAbsolute:
		return "Hãy nhập đường dẫn đầy đủ, ví dụ /media/usb/MotCua hoặc E:\\MotCua."
	case backup.ProblemMissing:
		return "Không tìm thấy thư mục này. Nếu là ổ USB, hãy cắm ổ vào máy; phần mềm không tự tạo thư mục."
	case backup.ProblemNotDir:
		return "Đường dẫn này là một tệp, không phải thư mục."
	case backup.ProblemInsideData:
		return "Thư mục sao lưu không được nằm trong thư mục dữ liệu của phần mềm; hãy chọn ổ khác (ví dụ ổ USB)."
	case backup.ProblemFormat:
		return label + " phải có dạng GG:PP (ví dụ 12:00)."
	case backup.ProblemRange:
		if field == "keep" {
			return "Số bản giữ lại phải từ 1 đến 100."
		}
		return "Số giờ phải từ 1 đến 168."
	}
	return label + " không hợp lệ."
}

func (s *server) putBackupSettings(w http.ResponseWriter, r *http.Request) {
	var in backup.Settings
	if !decodeJSON(w, r, 4096, &in) {
		return
	}
	if _, err := s.cfg.Backups.SaveSettings(r.Context(), in); err != nil {
		var ve *backup.ValidationError
		if errors.As(err, &ve) {
			fields := map[string]string{}
			for f, p := range ve.Fields {
				fields[f] = backupFieldMessage(f, p)
			}
			writeError(w, r, http.StatusUnprocessableEntity, codeValidation, fields)
			return
		}
		s.internal(w, r, "save backup settings", err)
		return
	}
	s.getBackupSettings(w, r)
}

func (s *server) listBackups(w http.ResponseWriter, r *http.Request) {
	body, err := s.backupState(r.Context())
	if err != nil {
		s.internal(w, r, "backup status", err)
		return
	}
	list, err := s.cfg.Backups.List(r.Context())
	folder := body["settings"].(backup.Settings).Folder
	switch {
	case err == nil:
	case errors.Is(err, backup.ErrNotConfigured), errors.Is(err, backup.ErrFolderMissing):
		// The screen still shows the settings and the status.
		p := backup.ProblemOf(err)
		body["folderProblem"] = map[string]string{"code": p, "message": backupProblemMessage(p, folder)}
		list = []backup.Info{}
	default:
		s.internal(w, r, "list backups", err)
		return
	}
	body["backups"] = list
	writeJSON(w, http.StatusOK, body)
}

func (s *server) startBackup(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r)
	if err := s.cfg.Backups.BackupNow(r.Context(), u.ID); err != nil {
		s.backupError(w, r, "start backup", err)
		return
	}
	s.answerBackups(w, r, http.StatusAccepted, nil)
}

type restoreRequest struct {
	Name string `json:"name"`
}

func (s *server) prepareRestore(w http.ResponseWriter, r *http.Request) {
	var in restoreRequest
	if !decodeJSON(w, r, 4096, &in) {
		return
	}
	u, _ := userFrom(r)
	p, err := s.cfg.Backups.PrepareRestore(r.Context(), in.Name, u.ID)
	if err != nil {
		s.backupError(w, r, "prepare restore", err)
		return
	}
	s.answerBackups(w, r, http.StatusOK, map[string]any{"pending": p, "message": fmt.Sprintf(
		"Đã chuẩn bị và kiểm tra bản sao lưu %s. Hãy đóng phần mềm rồi mở lại để hoàn tất khôi phục; dữ liệu hiện tại được giữ trong thư mục %s.",
		p.Name, p.Replaced)})
}

type restoreFromRequest struct {
	Path        string `json:"path"`
	RecoveryKey string `json:"recoveryKey"`
	KeepDevice  bool   `json:"keepDevice"`
}

// prepareRestoreFrom prepares the restore of a backup chosen by path,
// typically another PC's with its recovery key (the key is never logged).
func (s *server) prepareRestoreFrom(w http.ResponseWriter, r *http.Request) {
	var in restoreFromRequest
	if !decodeJSON(w, r, 8192, &in) {
		return
	}
	u, _ := userFrom(r)
	p, err := s.cfg.Backups.PrepareFrom(r.Context(), in.Path, in.RecoveryKey, u.ID, in.KeepDevice)
	if err != nil {
		s.restoreFromError(w, r, in.Path, err)
		return
	}
	s.answerBackups(w, r, http.StatusOK, map[string]any{"pending": p, "message": restoreFromMessage(p)})
}

// restoreAtSetup is the first-run screen's "Khôi phục từ bản sao lưu của
// máy cũ": PrepareFrom without an account, allowed only while the store is
// fresh (firstRun, the set-up's own check, under firstRunMu so that a
// set-up cannot run meanwhile) and authorised by the backup's recovery key.
// POST /api/setup/restore shares the login's rate limit in LAN mode.
func (s *server) restoreAtSetup(w http.ResponseWriter, r *http.Request) {
	var in restoreFromRequest
	if !decodeJSON(w, r, 8192, &in) {
		return
	}
	st, unlock, ok := s.firstRunLocked(w, r, "first-run restore", " Quản trị viên khôi phục bản sao lưu ở màn hình Sao lưu.")
	if !ok {
		return
	}
	defer unlock()
	switch {
	case st.pending != nil:
		writeErrorMsg(w, http.StatusConflict, codeRestorePending, msgFirstRunRestorePending)
		return
	case !st.fresh:
		writeErrorMsg(w, http.StatusConflict, codeStoreNotFresh, msgStoreNotFresh)
		return
	}
	ctx := audit.WithActor(r.Context(), audit.Who{ID: backup.FirstRunActor, Role: "system"})
	p, err := s.cfg.Backups.PrepareFirstRun(ctx, in.Path, in.RecoveryKey, in.KeepDevice)
	if err != nil {
		s.restoreFromError(w, r, in.Path, err)
		return
	}
	s.log.Warn("restore of another PC's backup prepared from the first-run screen", "backup", p.Name, "from", p.From)
	writeJSON(w, http.StatusOK, map[string]any{"pending": p, "message": restoreFromMessage(p)})
}

// firstRunLocked takes the first-run lock and reads the first-run state for
// a route that needs no account because none exists yet. It answers the
// refusals itself (busy, an account exists — adminHint says where the admin
// does it instead) and reports ok=false; otherwise the caller unlocks.
func (s *server) firstRunLocked(w http.ResponseWriter, r *http.Request, op, adminHint string) (firstRunState, func(), bool) {
	if !s.firstRunMu.TryLock() {
		writeErrorMsg(w, http.StatusConflict, codeBackupRunning, msgFirstRunRestoring)
		return firstRunState{}, nil, false
	}
	st, err := s.firstRun(r.Context())
	switch {
	case err != nil:
		s.firstRunMu.Unlock()
		s.internal(w, r, op, err)
		return firstRunState{}, nil, false
	case !st.needed:
		s.firstRunMu.Unlock()
		writeErrorMsg(w, http.StatusConflict, codeSetupDone, messages[codeSetupDone]+adminHint)
		return firstRunState{}, nil, false
	}
	return st, s.firstRunMu.Unlock, true
}

// cancelRestoreAtSetup is the first-run screen's "Hủy, chọn lại": the
// restore prepared there (a wrong folder, an older backup) is dropped
// before the next start would apply it. Only while no account exists —
// which also means the restore waiting is the first-run one — and under
// firstRunMu like the other first-run routes.
func (s *server) cancelRestoreAtSetup(w http.ResponseWriter, r *http.Request) {
	st, unlock, ok := s.firstRunLocked(w, r, "cancel first-run restore", " Quản trị viên hủy khôi phục ở màn hình Sao lưu.")
	if !ok {
		return
	}
	defer unlock()
	if st.pending == nil {
		writeErrorMsg(w, http.StatusNotFound, codeNotFound, "Không có bản khôi phục nào đang chờ.")
		return
	}
	if err := s.cfg.Backups.CancelRestore(r.Context()); err != nil {
		s.backupError(w, r, "cancel first-run restore", err)
		return
	}
	s.log.Warn("first-run restore cancelled", "backup", st.pending.Name)
	s.getSetup(w, r)
}

const msgStoreNotFresh = "Máy này đã có dữ liệu (tài khoản, hồ sơ hoặc tệp số hóa) nên không thể khôi phục từ màn hình thiết lập ban đầu. Hãy đăng nhập bằng tài khoản quản trị và khôi phục ở màn hình Sao lưu."

// restoreFromError answers a refused restore of a backup chosen by path,
// from the Sao lưu screen or the first-run screen alike.
func (s *server) restoreFromError(w http.ResponseWriter, r *http.Request, path string, err error) {
	switch {
	case errors.Is(err, backup.ErrNotFound):
		writeErrorMsg(w, http.StatusNotFound, codeBackupNotFound, fmt.Sprintf("Không tìm thấy bản sao lưu ở “%s”. Hãy nhập đường dẫn đầy đủ của thư mục sao lưu (ví dụ E:\\MotCua), một thư mục motcua-… trong đó, hoặc tệp store.mcbak; nếu là ổ USB, hãy cắm ổ vào máy.", path))
	case errors.Is(err, backup.ErrKeyRequired):
		writeErrorMsg(w, http.StatusUnprocessableEntity, codeRecoveryKeyRequired, "Bản sao lưu này của máy khác: hãy nhập khóa khôi phục đã in khi cài đặt máy đó (hoặc khi tạo khóa mới).")
	case errors.Is(err, vault.ErrBadSecret), errors.Is(err, vault.ErrLocked):
		writeErrorMsg(w, http.StatusUnprocessableEntity, codeRecoveryKeyWrong, "Khóa khôi phục không đúng với bản sao lưu này. Hãy kiểm tra lại từng ký tự trên giấy đã in (bản sao lưu cũ hơn một lần tạo khóa mới cần khóa cũ). Dữ liệu hiện tại không bị ảnh hưởng.")
	case errors.Is(err, backup.ErrUnencrypted):
		writeErrorMsg(w, http.StatusConflict, codeBackupUnencrypted, "Bản sao lưu này do phiên bản cũ (chưa mã hóa dữ liệu) tạo ra; hãy khôi phục bằng lệnh \"motcua restore\" vào một thư mục dữ liệu trống (xem hướng dẫn bảo mật).")
	case errors.Is(err, backup.ErrNotFresh):
		writeErrorMsg(w, http.StatusConflict, codeStoreNotFresh, msgStoreNotFresh)
	default:
		s.backupError(w, r, "prepare restore from path", err)
	}
}

// restoreFromMessage says what a prepared restore of a backup chosen by
// path will do, and what to do next.
func restoreFromMessage(p backup.Pending) string {
	msg := fmt.Sprintf("Đã kiểm tra và chuẩn bị khôi phục bản sao lưu %s (%d tệp số hóa). Hãy đóng phần mềm rồi mở lại để hoàn tất; dữ liệu hiện tại được giữ trong thư mục %s.",
		p.Name, p.Verification.Blobs, p.Replaced)
	if p.OtherPC {
		msg += " Sau khi mở lại, hãy đăng nhập bằng tài khoản của máy cũ."
	}
	if p.DeviceForgotten {
		msg += " Đăng ký với máy chủ tỉnh của máy cũ đã được bỏ: hãy đăng ký lại máy này."
	}
	if n := p.Verification.MissingBlobs; n > 0 {
		msg += fmt.Sprintf(" Lưu ý: tệp sao lưu này không kèm %d tệp số hóa mà dữ liệu cần.", n)
	}
	return msg
}

func (s *server) cancelRestore(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Backups.CancelRestore(r.Context()); err != nil {
		s.backupError(w, r, "cancel restore", err)
		return
	}
	s.getBackupSettings(w, r)
}

// backupError answers a refused backup or restore request in Vietnamese.
func (s *server) backupError(w http.ResponseWriter, r *http.Request, op string, err error) {
	folder := ""
	if set, serr := s.cfg.Backups.Settings(r.Context()); serr == nil {
		folder = set.Folder
	}
	switch {
	case errors.Is(err, backup.ErrBusy):
		writeErrorMsg(w, http.StatusConflict, codeBackupRunning, "Đang sao lưu hoặc khôi phục, vui lòng đợi xong rồi thử lại.")
	case errors.Is(err, backup.ErrNotConfigured):
		writeErrorMsg(w, http.StatusConflict, codeBackupNotConfigured, backupProblemMessage(backup.ProblemNotConfigured, folder))
	case errors.Is(err, backup.ErrFolderMissing):
		writeErrorMsg(w, http.StatusConflict, codeBackupFolderMissing, backupProblemMessage(backup.ProblemFolderMissing, folder))
	case errors.Is(err, backup.ErrFolderNotWritable):
		writeErrorMsg(w, http.StatusConflict, codeBackupNotWritable, backupProblemMessage(backup.ProblemNotWritable, folder))
	case errors.Is(err, backup.ErrTargetFull):
		writeErrorMsg(w, http.StatusInsufficientStorage, codeBackupTargetFull, backupProblemMessage(backup.ProblemTargetFull, folder))
	case errors.Is(err, backup.ErrDiskLow):
		writeErrorMsg(w, http.StatusInsufficientStorage, codeDiskFull, backupProblemMessage(backup.ProblemDiskLow, folder))
	case errors.Is(err, backup.ErrNotFound):
		writeErrorMsg(w, http.StatusNotFound, codeNotFound, "Không tìm thấy bản sao lưu này trong thư mục sao lưu.")
	case errors.Is(err, backup.ErrOtherVault):
		writeErrorMsg(w, http.StatusConflict, codeBackupOtherVault, "Bản sao lưu này thuộc bộ dữ liệu của máy khác. Hãy dùng \"Khôi phục từ bản sao lưu của máy khác\" và nhập khóa khôi phục của máy đó.")
	case errors.Is(err, store.ErrNewerSchema):
		writeErrorMsg(w, http.StatusConflict, codeNewerSchema, "Bản sao lưu được tạo bởi phiên bản mới hơn của phần mềm. Hãy cập nhật phần mềm trước khi khôi phục.")
	case errors.Is(err, backup.ErrRestorePending):
		writeErrorMsg(w, http.StatusConflict, codeRestorePending, "Đã có một bản sao lưu được chuẩn bị để khôi phục. Hãy mở lại phần mềm để hoàn tất, hoặc hủy khôi phục trước.")
	case errors.Is(err, backup.ErrVerify), errors.Is(err, store.ErrBadBackup):
		s.log.Warn(op, "err", err)
		writeErrorMsg(w, http.StatusUnprocessableEntity, codeBackupVerify, "Bản sao lưu này bị hỏng hoặc đã bị thay đổi nên không khôi phục được. Dữ liệu hiện tại không bị ảnh hưởng; hãy chọn bản khác.")
	default:
		s.internal(w, r, op, err)
	}
}
