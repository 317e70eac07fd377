package hub

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestMigration2Backfills: a hub that ran schema 1 with dossiers in it gets
// the indicators' columns filled from what it holds: the legal deadline
// before an apology, the first result, and scans of the record or of a
// commune event (not of a hub change).
func TestMigration2Backfills(t *testing.T) {
	ctx := context.Background()
	url, err := cluster.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	// Schema 1 only, as an older hub left it.
	if _, err := db.Exec(ctx, `CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, ms[0].sql); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES (1, $1)", ms[0].name)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)
	later := due.Add(120 * time.Hour)
	sum := "fd61a03af4f77d870fc21e05e7e80678095c92d808cfb3b5c279ee04c74aca13"
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO agencies (code, name, level) VALUES ('X', 'Xã', 2)", nil},
		{"INSERT INTO devices (id, agency_id, name, public_key) VALUES ('d', 1, 'm', decode(repeat('ab', 32), 'hex'))", nil},
		{"INSERT INTO blobs (sha256, size) VALUES ($1, 10)", []any{sum}},
		// plain: no scan, no result.
		{`INSERT INTO dossiers (id, agency_id, code, procedure_code, state, national_status, received_at, due_at, record, content_sha256, device_id)
		  VALUES ('plain', 1, 'c1', 'p', 'received', 2, $1, $2, '{"components":[{"name":"Tờ khai"}]}', '\x00', 'd')`, []any{due.Add(-48 * time.Hour), due}},
		// scanned: a scan in the record; an apology moved its appointment, then a result.
		{`INSERT INTO dossiers (id, agency_id, code, procedure_code, state, national_status, received_at, due_at, record, content_sha256, device_id)
		  VALUES ('scanned', 1, 'c2', 'p', 'result_ready', 9, $1, $2, $3, '\x00', 'd')`,
			[]any{due.Add(-48 * time.Hour), later, `{"components":[{"name":"Tờ khai","blobs":[{"sha256":"` + sum + `","size":10}]}]}`}},
		{`INSERT INTO events (id, dossier_id, origin, action, from_state, to_state, at, actor, record, content_sha256)
		  VALUES ('e1', 'scanned', 'commune', 'apologize_extend', 'received', 'received', $1, 'u', $2, '\x00')`,
			[]any{due.Add(-time.Hour), `{"prev_due_at":"` + due.Format(time.RFC3339) + `","due_at":"` + later.Format(time.RFC3339) + `"}`}},
		{`INSERT INTO events (id, dossier_id, origin, action, from_state, to_state, at, actor, record, content_sha256)
		  VALUES ('e2', 'scanned', 'hub', 'record_result', 'received', 'result_ready', $1, 's', '{}', '\x00')`, []any{due.Add(time.Hour)}},
		// late: its only scan came with a commune event; a hub result paper does not count.
		{`INSERT INTO dossiers (id, agency_id, code, procedure_code, state, national_status, received_at, due_at, record, content_sha256, device_id)
		  VALUES ('late', 1, 'c3', 'p', 'received', 2, $1, $2, '{}', '\x00', 'd')`, []any{due.Add(-48 * time.Hour), due}},
		{`INSERT INTO events (id, dossier_id, origin, action, from_state, to_state, at, actor, record, content_sha256)
		  VALUES ('e3', 'late', 'commune', 'handover', 'received', 'received', $1, 'u', $2, '\x00')`,
			[]any{due, `{"components":[{"name":"Giấy chứng sinh","blobs":[{"sha256":"` + sum + `","size":10}]}]}`}},
		{`INSERT INTO events (id, dossier_id, origin, action, from_state, to_state, at, actor, record, content_sha256)
		  VALUES ('e4', 'plain', 'hub', 'note', '', '', $1, 's', $2, '\x00')`,
			[]any{due, `{"results":[{"name":"x","blob":{"sha256":"` + sum + `","size":10}}],"components":[{"blobs":[{"sha256":"` + sum + `"}]}]}`}},
	} {
		if _, err := db.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	if v, err := Migrate(ctx, db); err != nil || v != len(ms) {
		t.Fatalf("migrate: %d %v", v, err)
	}
	type row struct {
		legal, result *time.Time
		scan          bool
	}
	want := map[string]row{
		"plain":   {legal: &due},
		"scanned": {legal: &due, result: ptrTime(due.Add(time.Hour)), scan: true},
		"late":    {legal: &due, scan: true},
	}
	for id, w := range want {
		var got row
		if err := db.QueryRow(ctx, "SELECT legal_due_at, result_at, has_scan FROM dossiers WHERE id = $1", id).
			Scan(&got.legal, &got.result, &got.scan); err != nil {
			t.Fatal(err)
		}
		if !sameTime(got.legal, w.legal) || !sameTime(got.result, w.result) || got.scan != w.scan {
			t.Errorf("%s: legal %v result %v scan %v, want %v %v %v", id, got.legal, got.result, got.scan, w.legal, w.result, w.scan)
		}
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
