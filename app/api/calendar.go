package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"motcua/app/calendar"
	"motcua/app/reception"
)

func (s *server) routeCalendar(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/calendar/{year}", s.getCalendar)
	mux.HandleFunc("PUT /api/calendar/overrides/{year}", s.putOverride)
	mux.HandleFunc("DELETE /api/calendar/overrides/{year}", s.deleteOverride)
}

// pathYear reads the {year} of the path; on a bad one it has answered 400.
func pathYear(w http.ResponseWriter, r *http.Request) (int, bool) {
	y, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || y < calendar.MinYear || y > calendar.MaxYear {
		writeErrorMsg(w, http.StatusBadRequest, codeValidation, "Năm không hợp lệ.")
		return 0, false
	}
	return y, true
}

func (s *server) getCalendar(w http.ResponseWriter, r *http.Request) {
	year, ok := pathYear(w, r)
	if !ok {
		return
	}
	yc, err := s.cfg.Reception.HolidayCalendar(r.Context(), year)
	if err != nil {
		s.internal(w, r, "holiday calendar", err)
		return
	}
	writeJSON(w, http.StatusOK, yc)
}

func (s *server) putOverride(w http.ResponseWriter, r *http.Request) {
	year, ok := pathYear(w, r)
	if !ok {
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 256<<10))
	if err != nil {
		writeErrorMsg(w, http.StatusRequestEntityTooLarge, codeTooLarge, "Tệp lịch nghỉ quá lớn.")
		return
	}
	yc, err := s.cfg.Reception.SetHolidayOverride(r.Context(), year, raw, actor(r))
	if err != nil {
		s.overrideError(w, r, year, err)
		return
	}
	writeJSON(w, http.StatusOK, yc)
}

func (s *server) deleteOverride(w http.ResponseWriter, r *http.Request) {
	year, ok := pathYear(w, r)
	if !ok {
		return
	}
	yc, err := s.cfg.Reception.SetHolidayOverride(r.Context(), year, nil, actor(r))
	if err != nil {
		s.overrideError(w, r, year, err)
		return
	}
	writeJSON(w, http.StatusOK, yc)
}

func (s *server) overrideError(w http.ResponseWriter, r *http.Request, year int, err error) {
	var oe *calendar.OverrideError
	switch {
	case errors.Is(err, reception.ErrOverrideYear):
		writeErrorMsg(w, http.StatusUnprocessableEntity, codeValidation, fmt.Sprintf("Tệp lịch nghỉ không phải của năm %d.", year))
	case errors.As(err, &oe):
		msg := "Tệp lịch nghỉ không hợp lệ"
		if oe.Entry != "" {
			msg += " ở mục " + oe.Entry
		}
		if oe.Value != "" {
			msg += fmt.Sprintf(" (giá trị %q)", oe.Value)
		}
		writeErrorMsg(w, http.StatusUnprocessableEntity, codeValidation, msg+": "+overrideReason(oe.Err)+".")
	default:
		s.internal(w, r, "holiday override", err)
	}
}

func overrideReason(err error) string {
	switch {
	case errors.Is(err, calendar.ErrOverrideSyntax):
		return "không đúng định dạng JSON"
	case errors.Is(err, calendar.ErrInvalidDate):
		return "ngày không hợp lệ (dạng NNNN-TT-NN)"
	case errors.Is(err, calendar.ErrDateOutsideYear):
		return "ngày không thuộc năm của tệp"
	case errors.Is(err, calendar.ErrDuplicateDate):
		return "ngày bị lặp lại"
	case errors.Is(err, calendar.ErrConflictingDates):
		return "một ngày vừa là ngày nghỉ vừa là ngày làm việc"
	case errors.Is(err, calendar.ErrUnknownHoliday):
		return "tên nhóm ngày lễ không có trong danh sách"
	case errors.Is(err, calendar.ErrAlreadyWorkingDay):
		return "ngày làm bù vốn đã là ngày làm việc"
	}
	return "không hợp lệ"
}
