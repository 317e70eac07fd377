package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"motcua/sync/wire"
)

func TestMigrateIsIdempotent(t *testing.T) {
	e := newEnv(t)
	e.restart() // runs the migrations again on a migrated database
	v, err := Migrate(context.Background(), e.srv.DB())
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if v != len(ms) || v < 2 {
		t.Fatalf("schema version %d, want %d", v, len(ms))
	}
	if n := e.count("schema_migrations"); n != len(ms) {
		t.Fatalf("%d schema_migrations rows, want %d", n, len(ms))
	}
	// A database from a newer hub is refused, not used blindly.
	if _, err := e.srv.DB().Exec(context.Background(), "INSERT INTO schema_migrations (version, name) VALUES (99, 'future')"); err != nil {
		t.Fatal(err)
	}
	if _, err := Migrate(context.Background(), e.srv.DB()); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("newer schema accepted: %v", err)
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.http.URL + "/v1/health?challenge=abc123")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h wire.HealthResponse
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || h.Marker != wire.HealthMarker || h.Challenge != "abc123" || h.Database != "ok" ||
		h.Protocol != wire.Current.String() || h.HubTime.IsZero() {
		t.Fatalf("health: %d %+v", resp.StatusCode, h)
	}
}
