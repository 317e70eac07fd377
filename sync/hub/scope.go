package hub

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// What a staff account may see. An official works for one agency and sees
// the communes of its subtree (the agency and every descendant through
// agencies.parent_id): a commune official their commune, a district its
// communes, the province all of them. An admin (RoleAdmin) runs the hub for
// the whole province — devices, enrolment, audit acknowledgements — and
// sees every commune whatever its agency. An official without an agency
// sees nothing until an admin assigns one: guessing a scope would show a
// person dossiers nobody meant them to see.
//
// A department (agencies.kind 'department': Sở Tư pháp beside the
// communes under the province, a district's Phòng beside its communes) has
// no communes below it, yet processes its level's inter-level dossiers: its
// officials see the subtree of the agency it belongs to (its parent).
//
// Every query of the staff UI takes the scope in its WHERE clause, so a
// dossier outside it is ErrNotFound exactly like one that does not exist.

// Unassigned reports whether the account is an official with no agency,
// who therefore sees no commune.
func (s Staff) Unassigned() bool { return !s.Admin() && s.AgencyID == 0 }

// scope is the set of agencies an official may see: all, or ids (none when
// empty).
type scope struct {
	all bool
	ids []int64
}

// scopeOf resolves st's subtree. The tree is small (a province has one to
// a few hundred communes, a few thousand agencies at most) and
// agencies_parent indexes the walk, so resolving it per request costs well
// under a millisecond; handing the planner the ids as an array then lets it
// use dossiers_agency_due for a commune and dossiers_due for a province.
// UNION rather than UNION ALL stops the walk should parent_id ever loop.
func (s *Server) scopeOf(ctx context.Context, st Staff) (scope, error) {
	switch {
	case st.Admin():
		return scope{all: true}, nil
	case st.AgencyID == 0:
		return scope{}, nil
	}
	rows, err := s.db.Query(ctx, `
		WITH RECURSIVE root(id) AS (
			SELECT CASE WHEN kind = 'department' AND parent_id IS NOT NULL THEN parent_id ELSE id END
			FROM agencies WHERE id = $1),
		sub(id) AS (
			SELECT id FROM root
			UNION SELECT a.id FROM agencies a JOIN sub ON a.parent_id = sub.id)
		SELECT id FROM sub`, st.AgencyID)
	if err != nil {
		return scope{}, fmt.Errorf("scope of %s: %w", st.Username, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return scope{}, fmt.Errorf("scope of %s: %w", st.Username, err)
	}
	return scope{ids: ids}, nil
}

// cond is the SQL condition that col (an agency id) is in the scope; arg
// binds a parameter.
func (sc scope) cond(col string, arg func(any) string) string {
	switch {
	case sc.all:
		return "true"
	case len(sc.ids) == 0:
		return "false"
	}
	return col + " = ANY(" + arg(sc.ids) + "::bigint[])"
}

// binder returns a parameter binder over args: each call appends v and
// returns its placeholder.
func binder(args *[]any) func(any) string {
	return func(v any) string {
		*args = append(*args, v)
		return fmt.Sprintf("$%d", len(*args))
	}
}

// CheckDossierScope returns nil when st may see the dossier, else an error
// wrapping ErrNotFound — the same answer as for a dossier that does not
// exist, so a dossier of another subtree is not revealed.
func (s *Server) CheckDossierScope(ctx context.Context, st Staff, dossierID string) error {
	sc, err := s.scopeOf(ctx, st)
	if err != nil {
		return err
	}
	var args []any
	arg := binder(&args)
	q := "SELECT EXISTS (SELECT 1 FROM dossiers d WHERE d.id = " + arg(dossierID) + " AND " + sc.cond("d.agency_id", arg) + ")"
	var ok bool
	if err := s.db.QueryRow(ctx, q, args...).Scan(&ok); err != nil {
		return fmt.Errorf("dossier %s: scope: %w", dossierID, err)
	}
	if !ok {
		return fmt.Errorf("dossier %s: %w", dossierID, ErrNotFound)
	}
	return nil
}
