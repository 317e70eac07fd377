package hub

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	lifecycle "motcua/app/dossier"
)

// CommuneIndicators are one commune's numbers on the "Chỉ số theo xã" page,
// for the dossiers it received in a period.
//
// On-time rate follows QĐ 766 as the commune's own dashboard does
// (app/reception.Dashboard): (results recorded by the legal deadline +
// dossiers still being processed within it) ÷ dossiers that have a
// deadline; the legal deadline ignores an apology's new date. Refused
// dossiers are not counted. The digitised rate is dossiers with at least
// one scan ÷ dossiers received.
type CommuneIndicators struct {
	Code string
	Name string

	Received        int // not refused
	WithDeadline    int
	Completed       int // a result was recorded
	CompletedOnTime int
	OpenInTime      int // still running, deadline not passed
	Overdue         int // still running, deadline passed
	Digitised       int

	Devices  int        // active devices
	LastSeen *time.Time // last request from any of its devices; nil: never
}

// OnTimeRate returns the on-time rate, and false when no dossier has a
// deadline yet.
func (c CommuneIndicators) OnTimeRate() (float64, bool) {
	if c.WithDeadline == 0 {
		return 0, false
	}
	return float64(c.CompletedOnTime+c.OpenInTime) / float64(c.WithDeadline), true
}

// DigitisedRate returns the digitised rate, and false without dossiers.
func (c CommuneIndicators) DigitisedRate() (float64, bool) {
	if c.Received == 0 {
		return 0, false
	}
	return float64(c.Digitised) / float64(c.Received), true
}

// Indicators computes the indicators of every commune st may see, for
// dossiers received in [from, to) (a nil bound is open) at the moment now.
func (s *Server) Indicators(ctx context.Context, st Staff, from, to *time.Time) ([]CommuneIndicators, error) {
	now := s.cfg.Now()
	sc, err := s.scopeOf(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("indicators: %w", err)
	}
	args := []any{string(lifecycle.StateRefused), from, to, runningStates, now}
	rows, err := s.db.Query(ctx, `
		WITH d AS (
			SELECT agency_id, state, legal_due_at, result_at, has_scan FROM dossiers
			WHERE state <> $1 AND ($2::timestamptz IS NULL OR received_at >= $2)
			  AND ($3::timestamptz IS NULL OR received_at < $3)
		)
		SELECT a.code, a.name,
			count(d.agency_id),
			count(d.agency_id) FILTER (WHERE d.legal_due_at IS NOT NULL),
			count(d.agency_id) FILTER (WHERE d.legal_due_at IS NOT NULL AND d.result_at IS NOT NULL),
			count(d.agency_id) FILTER (WHERE d.result_at <= d.legal_due_at),
			count(d.agency_id) FILTER (WHERE d.result_at IS NULL AND d.state = ANY($4) AND $5 <= d.legal_due_at),
			count(d.agency_id) FILTER (WHERE d.result_at IS NULL AND d.state = ANY($4) AND $5 > d.legal_due_at),
			count(d.agency_id) FILTER (WHERE d.has_scan),
			(SELECT count(*) FROM devices dv WHERE dv.agency_id = a.id AND dv.status = 'active'),
			(SELECT max(dv.last_seen_at) FROM devices dv WHERE dv.agency_id = a.id)
		FROM agencies a LEFT JOIN d ON d.agency_id = a.id
		WHERE `+communeSelection+` AND `+sc.cond("a.id", binder(&args))+`
		GROUP BY a.id ORDER BY a.name, a.code`, args...)
	if err != nil {
		return nil, fmt.Errorf("indicators: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (CommuneIndicators, error) {
		var c CommuneIndicators
		err := row.Scan(&c.Code, &c.Name, &c.Received, &c.WithDeadline, &c.Completed, &c.CompletedOnTime,
			&c.OpenInTime, &c.Overdue, &c.Digitised, &c.Devices, &c.LastSeen)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("indicators: %w", err)
	}
	return out, nil
}
