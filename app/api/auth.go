package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"motcua/app/accounts"
	"motcua/app/audit"
	"motcua/app/backup"
	"motcua/app/dossier"
	"motcua/app/office"
	"motcua/app/reception"
)

// Accounts is what the API needs from the accounts use case.
type Accounts interface {
	HasUsers(ctx context.Context) (bool, error)
	Setup(ctx context.Context, u accounts.User, password string) (accounts.User, error)
	Login(ctx context.Context, username, password string) (accounts.Session, accounts.User, error)
	Authenticate(ctx context.Context, token string) (accounts.User, error)
	Logout(token string)
	List(ctx context.Context) ([]accounts.User, error)
	Create(ctx context.Context, u accounts.User, password, by string) (accounts.User, error)
	Update(ctx context.Context, id, fullName string, roles []accounts.Role, disabled bool, by string) (accounts.User, error)
	ResetPassword(ctx context.Context, id, temp, by string) error
	ChangePassword(ctx context.Context, id, old, next string) error
}

const sessionCookie = "motcua_session"

// publicRoutes need no session.
var publicRoutes = map[string]bool{
	"GET /api/health": true, "GET /api/version": true,
	"GET /api/session": true, "POST /api/session": true, "DELETE /api/session": true,
	"GET /api/setup": true, "POST /api/setup": true,
	// Only while the store is fresh, with the backup's recovery key, and
	// limited like a login (restoreAtSetup).
	"POST /api/setup/restore": true,
	// Only while no account exists and a first-run restore waits
	// (cancelRestoreAtSetup).
	"DELETE /api/setup/restore": true,
}

// routeRoles lists who may use a route; routes not listed need any
// logged-in user. Per-action rules for dossiers are in actionRoles.
var routeRoles = map[string][]accounts.Role{
	"PUT /api/settings":                     {accounts.RoleAdmin},
	"GET /api/security/recovery-key":        {accounts.RoleAdmin},
	"POST /api/security/recovery-key/ack":   {accounts.RoleAdmin},
	"POST /api/catalog":                     {accounts.RoleAdmin},
	"PUT /api/procedures/{code}":            {accounts.RoleAdmin},
	"GET /api/users":                        {accounts.RoleAdmin},
	"POST /api/users":                       {accounts.RoleAdmin},
	"PUT /api/users/{id}":                   {accounts.RoleAdmin},
	"POST /api/users/{id}/password":         {accounts.RoleAdmin},
	"POST /api/sync/enrol":                  {accounts.RoleAdmin},
	"POST /api/sync/bundle":                 {accounts.RoleAdmin, accounts.RoleClerk},
	"POST /api/sync/bundle/import":          {accounts.RoleAdmin},
	"PUT /api/calendar/overrides/{year}":    {accounts.RoleAdmin},
	"DELETE /api/calendar/overrides/{year}": {accounts.RoleAdmin},
	"POST /api/dossiers":                    {accounts.RoleClerk, accounts.RoleLeader},
	"POST /api/dossiers/{id}/actions":       {accounts.RoleClerk, accounts.RoleSpecialist, accounts.RoleLeader},
	"GET /api/dashboard":                    {accounts.RoleClerk, accounts.RoleSpecialist, accounts.RoleLeader},
	"GET /api/register.xlsx":                {accounts.RoleClerk, accounts.RoleSpecialist, accounts.RoleLeader},
	"GET /api/register.pdf":                 {accounts.RoleClerk, accounts.RoleSpecialist, accounts.RoleLeader},
	"GET /api/backups/settings":             {accounts.RoleAdmin},
	"PUT /api/backups/settings":             {accounts.RoleAdmin},
	"GET /api/backups":                      {accounts.RoleAdmin},
	"POST /api/backups":                     {accounts.RoleAdmin},
	"POST /api/backups/restore":             {accounts.RoleAdmin},
	"DELETE /api/backups/restore":           {accounts.RoleAdmin},
	"POST /api/backups/restore-from":        {accounts.RoleAdmin},
	"GET /api/audit/verify":                 {accounts.RoleAdmin, accounts.RoleLeader},

	// A new recovery key also asks for the admin's password again.
	"POST /api/security/recovery-key/rotate": {accounts.RoleAdmin},

	"POST /api/scans":                                 scanWriters,
	"POST /api/scans/{id}/bind":                       scanWriters,
	"POST /api/scans/{id}/retry":                      scanWriters,
	"PUT /api/scans/{id}/pages/{n}/text":              archivists,
	"GET /api/scans":                                  scanReaders,
	"GET /api/scans/{id}":                             scanReaders,
	"GET /api/scans/{id}/pdf":                         scanReaders,
	"GET /api/scans/{id}/original":                    scanReaders,
	"GET /api/scans/{id}/pages/{n}/image":             scanReaders,
	"GET /api/intake":                                 scanWriters,
	"PUT /api/intake":                                 {accounts.RoleAdmin},
	"POST /api/intake/scan":                           scanWriters,
	"POST /api/archive/batches":                       archivists,
	"GET /api/archive/batches":                        archivists,
	"GET /api/archive/batches/{id}":                   archivists,
	"PUT /api/archive/batches/{id}/documents/{jobId}": archivists,
	"GET /api/archive/batches/{id}/review":            archivists,
	"GET /api/archive/batches/{id}/export.zip":        archivists,
}

// Who works with scans: operators and the desk import and bind, specialists
// read them; archive batches and review belong to operators and leaders.
var (
	scanWriters = []accounts.Role{accounts.RoleScanner, accounts.RoleClerk, accounts.RoleLeader}
	// Admins read scans too: they set the watch folder, and an admin can
	// give themselves any role, so leaving them out would protect nothing.
	scanReaders = []accounts.Role{accounts.RoleScanner, accounts.RoleClerk, accounts.RoleLeader, accounts.RoleSpecialist, accounts.RoleAdmin}
	archivists  = []accounts.Role{accounts.RoleScanner, accounts.RoleLeader}
)

// actionRoles says who may take each dossier action: the desk receives and
// returns, specialists process, leaders may do both and decide extensions.
var actionRoles = func() map[dossier.Action][]accounts.Role {
	desk := []accounts.Role{accounts.RoleClerk, accounts.RoleLeader}
	processing := []accounts.Role{accounts.RoleSpecialist, accounts.RoleLeader}
	both := []accounts.Role{accounts.RoleClerk, accounts.RoleSpecialist, accounts.RoleLeader}
	return map[dossier.Action][]accounts.Role{
		dossier.ActionReceiveComplete: desk, dossier.ActionReceiveIncomplete: desk, dossier.ActionRefuse: desk,
		dossier.ActionSupplementReceived: desk, dossier.ActionReturnResult: desk, dossier.ActionApplicantWithdraw: desk,
		dossier.ActionSubmit: desk,
		dossier.ActionAssign: processing, dossier.ActionStartProcessing: processing, dossier.ActionTransfer: processing,
		dossier.ActionRequestSupplement: processing, dossier.ActionRequestPayment: processing,
		dossier.ActionPaymentDone: both, dossier.ActionRecordResult: processing, dossier.ActionHandover: both,
		dossier.ActionStop:            {accounts.RoleLeader},
		dossier.ActionApologizeExtend: {accounts.RoleLeader},
	}
}()

type userKey struct{}

// userFrom returns the logged-in user of the request (zero when the API
// runs without accounts, as in unit tests of other routes).
func userFrom(r *http.Request) (accounts.User, bool) {
	u, ok := r.Context().Value(userKey{}).(accounts.User)
	return u, ok
}

// actor is who the use cases record as doing the request.
func actor(r *http.Request) reception.Actor {
	u, ok := userFrom(r)
	if !ok {
		return deskActor
	}
	role := ""
	if len(u.Roles) > 0 {
		role = string(u.Roles[0])
	}
	return reception.Actor{ID: u.ID, Name: u.FullName, Role: role}
}

func sessionToken(r *http.Request) string {
	if c, err := r.Cookie(sessionCookie); err == nil {
		return c.Value
	}
	if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return h
	}
	return ""
}

// authorize enforces login and roles for every matched route.
func (s *server) authorize(mux *http.ServeMux, next http.Handler) http.Handler {
	if s.cfg.Accounts == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		if pattern == "" || publicRoutes[pattern] {
			if tok := sessionToken(r); tok != "" {
				if u, err := s.cfg.Accounts.Authenticate(r.Context(), tok); err == nil {
					r = r.WithContext(context.WithValue(r.Context(), userKey{}, u))
				}
			}
			next.ServeHTTP(w, r)
			return
		}
		u, err := s.cfg.Accounts.Authenticate(r.Context(), sessionToken(r))
		if err != nil {
			writeError(w, r, http.StatusUnauthorized, codeUnauthenticated, nil)
			return
		}
		// A temporary password set by an admin must be replaced before any
		// other work.
		if u.MustChangePassword && pattern != "PUT /api/session/password" {
			writeErrorMsg(w, http.StatusForbidden, codePasswordChange, "Bạn cần đổi mật khẩu tạm thời trước khi làm việc.")
			return
		}
		if roles, ok := routeRoles[pattern]; ok && !u.Has(roles...) {
			writeErrorMsg(w, http.StatusForbidden, codeForbidden, forbiddenMessage(roles))
			return
		}
		ctx := context.WithValue(r.Context(), userKey{}, u)
		// Use cases that audit without an explicit actor read it here.
		ctx = audit.WithActor(ctx, audit.Who{ID: u.ID, Role: actor(r.WithContext(ctx)).Role})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func forbiddenMessage(roles []accounts.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Label()
	}
	return "Tài khoản của bạn không có quyền thực hiện thao tác này (dành cho: " + strings.Join(names, ", ") + ")."
}

// allowedAction reports whether the request's user may take action a.
func (s *server) allowedAction(r *http.Request, a dossier.Action) ([]accounts.Role, bool) {
	u, ok := userFrom(r)
	if !ok {
		return nil, true
	}
	roles := actionRoles[a]
	return roles, len(roles) == 0 || u.Has(roles...)
}

type userView struct {
	accounts.User
	RoleLabels []string `json:"roleLabels"`
}

func viewUser(u accounts.User) userView {
	v := userView{User: u.Public(), RoleLabels: []string{}}
	for _, r := range u.Roles {
		v.RoleLabels = append(v.RoleLabels, r.Label())
	}
	return v
}

func (s *server) routeAccounts(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/setup", s.getSetup)
	mux.HandleFunc("POST /api/setup", s.postSetup)
	if s.cfg.Backups != nil {
		mux.HandleFunc("POST /api/setup/restore", s.restoreAtSetup)
		mux.HandleFunc("DELETE /api/setup/restore", s.cancelRestoreAtSetup)
	}
	mux.HandleFunc("GET /api/session", s.getSession)
	mux.HandleFunc("POST /api/session", s.login)
	mux.HandleFunc("DELETE /api/session", s.logout)
	mux.HandleFunc("PUT /api/session/password", s.changeOwnPassword)
	mux.HandleFunc("GET /api/users", s.listUsers)
	mux.HandleFunc("POST /api/users", s.createUser)
	mux.HandleFunc("PUT /api/users/{id}", s.updateUser)
	mux.HandleFunc("POST /api/users/{id}/password", s.resetPassword)
	if _, ok := s.cfg.Recovery.(RecoveryKeyRotator); ok {
		// The admin's password is asked again: this route needs accounts.
		mux.HandleFunc("POST /api/security/recovery-key/rotate", s.rotateRecoveryKey)
	}
}

// firstRunState is where the first run stands. It is the one check behind
// the first-run routes (GET and POST /api/setup, POST /api/setup/restore).
type firstRunState struct {
	// needed: no account exists, so the set-up screen is shown.
	needed bool
	// fresh: besides, the store holds nothing made or received
	// (backup.Service.Fresh), so another PC's backup may replace it.
	fresh bool
	// pending is a restore prepared for the next start; while it is there
	// the set-up is not offered (the restore would replace its account).
	pending *backup.Pending
}

func (s *server) firstRun(ctx context.Context) (firstRunState, error) {
	has, err := s.cfg.Accounts.HasUsers(ctx)
	if err != nil || has || s.cfg.Backups == nil {
		return firstRunState{needed: !has}, err
	}
	st := firstRunState{needed: true}
	if st.fresh, err = s.cfg.Backups.Fresh(ctx); err != nil {
		return firstRunState{}, err
	}
	bs, err := s.cfg.Backups.Status(ctx)
	if err != nil {
		return firstRunState{}, err
	}
	st.pending = bs.PendingRestore
	return st, nil
}

func (s *server) getSetup(w http.ResponseWriter, r *http.Request) {
	st, err := s.firstRun(r.Context())
	if err != nil {
		s.internal(w, r, "setup", err)
		return
	}
	body := map[string]any{"needed": st.needed}
	if st.needed {
		body["defaults"] = office.Defaults()
		body["restoreAvailable"] = st.fresh && st.pending == nil
		if st.pending != nil {
			body["restorePending"] = st.pending
		}
	}
	writeJSON(w, http.StatusOK, body)
}

type setupRequest struct {
	Settings office.Settings `json:"settings"`
	Admin    struct {
		Username string `json:"username"`
		FullName string `json:"fullName"`
		Password string `json:"password"`
	} `json:"admin"`
}

// postSetup is the first run: office settings and the first administrator,
// then a session for them. It is refused once any account exists.
func (s *server) postSetup(w http.ResponseWriter, r *http.Request) {
	var in setupRequest
	if !decodeJSON(w, r, maxSettingsBody, &in) {
		return
	}
	// Not while a restore from the first-run screen is being prepared.
	if !s.firstRunMu.TryLock() {
		writeErrorMsg(w, http.StatusConflict, codeBackupRunning, msgFirstRunRestoring)
		return
	}
	defer s.firstRunMu.Unlock()
	if st, err := s.firstRun(r.Context()); err != nil {
		s.internal(w, r, "setup", err)
		return
	} else if !st.needed {
		writeErrorMsg(w, http.StatusConflict, codeSetupDone, messages[codeSetupDone])
		return
	} else if st.pending != nil {
		writeErrorMsg(w, http.StatusConflict, codeRestorePending, msgFirstRunRestorePending)
		return
	}
	// Check both parts before writing either.
	fields := map[string]string{}
	if err := in.Settings.Normalize().Validate(); err != nil {
		var ve *office.ValidationError
		if errors.As(err, &ve) {
			for f, m := range settingsFieldMessages(ve) {
				fields["settings."+f] = m
			}
		}
	}
	probe := accounts.User{Username: in.Admin.Username, FullName: in.Admin.FullName, Roles: []accounts.Role{accounts.RoleAdmin}}
	for f, m := range accountProblems(accounts.CheckNew(probe, in.Admin.Password)) {
		fields["admin."+f] = m
	}
	if len(fields) > 0 {
		writeError(w, r, http.StatusUnprocessableEntity, codeValidation, fields)
		return
	}
	saved, err := s.cfg.Office.Save(r.Context(), in.Settings)
	if err != nil {
		s.internal(w, r, "setup settings", err)
		return
	}
	u, err := s.cfg.Accounts.Setup(r.Context(), probe, in.Admin.Password)
	if err != nil {
		s.accountError(w, r, err)
		return
	}
	sess, _, err := s.cfg.Accounts.Login(r.Context(), u.Username, in.Admin.Password)
	if err != nil {
		s.accountError(w, r, err)
		return
	}
	setSessionCookie(w, r, sess)
	writeJSON(w, http.StatusCreated, map[string]any{"user": viewUser(u), "settings": saved})
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, sess accounts.Session) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.Token, Path: "/api", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

func (s *server) getSession(w http.ResponseWriter, r *http.Request) {
	u, ok := userFrom(r)
	if !ok {
		writeError(w, r, http.StatusUnauthorized, codeUnauthenticated, nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": viewUser(u)})
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	var in loginRequest
	if !decodeJSON(w, r, 4096, &in) {
		return
	}
	sess, u, err := s.cfg.Accounts.Login(r.Context(), in.Username, in.Password)
	if err != nil {
		s.accountError(w, r, err)
		return
	}
	setSessionCookie(w, r, sess)
	writeJSON(w, http.StatusOK, map[string]any{"user": viewUser(u), "token": sess.Token})
}

func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	if tok := sessionToken(r); tok != "" {
		s.cfg.Accounts.Logout(tok)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/api", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Expires: time.Unix(0, 0)})
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

type passwordRequest struct {
	Old      string `json:"old,omitempty"`
	Password string `json:"password"`
}

func (s *server) changeOwnPassword(w http.ResponseWriter, r *http.Request) {
	var in passwordRequest
	if !decodeJSON(w, r, 4096, &in) {
		return
	}
	u, _ := userFrom(r)
	if err := s.cfg.Accounts.ChangePassword(r.Context(), u.ID, in.Old, in.Password); err != nil {
		s.accountError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.cfg.Accounts.List(r.Context())
	if err != nil {
		s.internal(w, r, "list users", err)
		return
	}
	out := make([]userView, 0, len(us))
	for _, u := range us {
		out = append(out, viewUser(u))
	}
	roles := []map[string]string{}
	for _, ro := range accounts.Roles() {
		roles = append(roles, map[string]string{"role": string(ro), "label": ro.Label()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out, "roles": roles})
}

type userRequest struct {
	Username string          `json:"username"`
	FullName string          `json:"fullName"`
	Roles    []accounts.Role `json:"roles"`
	Password string          `json:"password,omitempty"`
	Disabled bool            `json:"disabled"`
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request) {
	var in userRequest
	if !decodeJSON(w, r, 4096, &in) {
		return
	}
	admin, _ := userFrom(r)
	u, err := s.cfg.Accounts.Create(r.Context(), accounts.User{Username: in.Username, FullName: in.FullName, Roles: in.Roles},
		in.Password, admin.ID)
	if err != nil {
		s.accountError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"user": viewUser(u)})
}

func (s *server) updateUser(w http.ResponseWriter, r *http.Request) {
	var in userRequest
	if !decodeJSON(w, r, 4096, &in) {
		return
	}
	admin, _ := userFrom(r)
	u, err := s.cfg.Accounts.Update(r.Context(), r.PathValue("id"), in.FullName, in.Roles, in.Disabled, admin.ID)
	if err != nil {
		s.accountError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": viewUser(u)})
}

func (s *server) resetPassword(w http.ResponseWriter, r *http.Request) {
	var in passwordRequest
	if !decodeJSON(w, r, 4096, &in) {
		return
	}
	admin, _ := userFrom(r)
	if err := s.cfg.Accounts.ResetPassword(r.Context(), r.PathValue("id"), in.Password, admin.ID); err != nil {
		s.accountError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

var accountFieldLabels = map[string]string{
	"username": "Tên đăng nhập", "fullName": "Họ và tên", "roles": "Vai trò", "password": "Mật khẩu",
}

func accountProblems(err error) map[string]string {
	var ve *accounts.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	out := map[string]string{}
	for f, p := range ve.Fields {
		label := accountFieldLabels[f]
		switch p {
		case "required":
			out[f] = label + " không được để trống."
		case "format":
			out[f] = "Tên đăng nhập gồm 3–32 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch ngang, gạch dưới."
		case "too_short":
			out[f] = "Mật khẩu phải có ít nhất 8 ký tự."
		case "contains_username":
			out[f] = "Mật khẩu không được chứa tên đăng nhập."
		case "unknown":
			out[f] = "Vai trò không hợp lệ."
		default:
			out[f] = label + " không hợp lệ."
		}
	}
	return out
}

func (s *server) accountError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, accounts.ErrBadCredentials):
		writeErrorMsg(w, http.StatusUnauthorized, codeBadCredentials, "Tên đăng nhập hoặc mật khẩu không đúng.")
	case errors.Is(err, accounts.ErrLockedOut):
		writeErrorMsg(w, http.StatusTooManyRequests, codeLockedOut, "Tài khoản tạm khóa 15 phút do nhập sai mật khẩu nhiều lần.")
	case errors.Is(err, accounts.ErrDisabled):
		writeErrorMsg(w, http.StatusForbidden, codeForbidden, "Tài khoản đã bị vô hiệu hóa. Liên hệ quản trị viên.")
	case errors.Is(err, accounts.ErrSetupDone):
		writeErrorMsg(w, http.StatusConflict, codeSetupDone, messages[codeSetupDone])
	case errors.Is(err, accounts.ErrUsernameTaken):
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: errorDetail{Code: codeValidation,
			Message: messages[codeValidation], Fields: map[string]string{"username": "Tên đăng nhập đã có người dùng."}}})
	case errors.Is(err, accounts.ErrLastAdmin):
		writeErrorMsg(w, http.StatusConflict, codeLastAdmin, "Không thể bỏ quyền hoặc khóa quản trị viên cuối cùng.")
	case errors.Is(err, accounts.ErrNotFound):
		writeErrorMsg(w, http.StatusNotFound, codeNotFound, "Không tìm thấy tài khoản.")
	default:
		if f := accountProblems(err); f != nil {
			writeError(w, r, http.StatusUnprocessableEntity, codeValidation, f)
			return
		}
		s.internal(w, r, "accounts", err)
	}
}
