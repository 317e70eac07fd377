package api

import (
	"context"
	"errors"
	"net/http"

	"motcua/app/accounts"
	"motcua/app/office"
)

// RecoveryKeyRotator replaces the vault's recovery key with a new one that
// is then pending, to be shown once like the first-run key
// (office.Service with a vault).
type RecoveryKeyRotator interface {
	RotateRecoveryKey(ctx context.Context) error
}

const (
	codeNoVault     = "no_vault"
	codeCrossOrigin = "cross_origin"
)

// crossOrigin refuses, on a network-served API, state-changing requests
// that a page of another origin made the browser send: the session cookie
// is SameSite, but the routes that need no session (first-run set-up, the
// first-run restore, login) would otherwise take a form or a no-cors fetch
// from any web page the office PC opens — a fresh desk's first admin
// chosen by a stranger. net/http's CrossOriginProtection reads the
// browser's Sec-Fetch-Site, or Origin against Host; programs that send
// neither (the tests, curl) are not browsers being tricked and pass.
func (s *server) crossOrigin(next http.Handler) http.Handler {
	if !s.cfg.Network {
		return next
	}
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		writeErrorMsg(w, http.StatusForbidden, codeCrossOrigin,
			"Yêu cầu này đến từ một trang web khác nên đã bị từ chối.")
	}))
	return p.Handler(next)
}

type passwordConfirm struct {
	Password string `json:"password"`
}

// rotateRecoveryKey is POST /api/security/recovery-key/rotate (admins): the
// admin types their password again, then the old key stops working and the
// new one waits to be shown (GET /api/security/recovery-key) and
// acknowledged.
func (s *server) rotateRecoveryKey(w http.ResponseWriter, r *http.Request) {
	rot, _ := s.cfg.Recovery.(RecoveryKeyRotator)
	var in passwordConfirm
	if !decodeJSON(w, r, 4096, &in) {
		return
	}
	u, ok := userFrom(r)
	if !ok || rot == nil {
		writeError(w, r, http.StatusNotFound, codeNotFound, nil)
		return
	}
	// The password is checked as a login is (failures count towards the
	// lock); the session it opens is closed at once.
	sess, _, err := s.cfg.Accounts.Login(r.Context(), u.Username, in.Password)
	if errors.Is(err, accounts.ErrBadCredentials) {
		writeErrorMsg(w, http.StatusUnauthorized, codeBadCredentials, "Mật khẩu không đúng.")
		return
	}
	if err != nil {
		s.accountError(w, r, err)
		return
	}
	s.cfg.Accounts.Logout(sess.Token)
	if err := rot.RotateRecoveryKey(r.Context()); err != nil {
		if errors.Is(err, office.ErrNoVault) {
			writeErrorMsg(w, http.StatusConflict, codeNoVault,
				"Dữ liệu trên máy này chưa được mã hóa nên không có khóa khôi phục. Hãy sao lưu rồi khôi phục để mã hóa dữ liệu.")
			return
		}
		s.internal(w, r, "rotate recovery key", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"pending": true})
}
