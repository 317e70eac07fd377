package api

import (
	"errors"
	"net/http"

	"motcua/app/office"
)

type settingsResponse struct {
	Configured bool            `json:"configured"`
	Settings   office.Settings `json:"settings"`
}

func (s *server) getSettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.cfg.Office.Settings(r.Context())
	switch {
	case errors.Is(err, office.ErrNotConfigured):
		writeJSON(w, http.StatusOK, settingsResponse{Configured: false, Settings: st})
	case err != nil:
		s.internal(w, r, "get settings", err)
	default:
		writeJSON(w, http.StatusOK, settingsResponse{Configured: true, Settings: st})
	}
}

func (s *server) putSettings(w http.ResponseWriter, r *http.Request) {
	var in office.Settings
	if !decodeJSON(w, r, maxSettingsBody, &in) {
		return
	}
	saved, err := s.cfg.Office.Save(r.Context(), in)
	var ve *office.ValidationError
	switch {
	case errors.As(err, &ve):
		writeError(w, r, http.StatusUnprocessableEntity, codeValidation, settingsFieldMessages(ve))
	case err != nil:
		s.internal(w, r, "save settings", err)
	default:
		writeJSON(w, http.StatusOK, settingsResponse{Configured: true, Settings: saved})
	}
}

func settingsFieldMessages(ve *office.ValidationError) map[string]string {
	out := make(map[string]string, len(ve.Fields))
	for f, p := range ve.Fields {
		out[f] = problemMessage(f, p)
	}
	return out
}
