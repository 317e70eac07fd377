package hub

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"motcua/sync/wire"
)

func TestMetricsAndEnvelopes(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	c.push(wire.PushRequest{Dossiers: []wire.Dossier{dossier(communeA)}})
	bad := dossier(communeA)
	bad.Channel = "fax"
	c.push(wire.PushRequest{Dossiers: []wire.Dossier{bad}})

	for _, tt := range []struct {
		method, path string
		status       int
		code         string
	}{
		{http.MethodGet, "/v1/nowhere", 404, wire.CodeNotFound},
		{http.MethodDelete, "/v1/push", 405, wire.CodeMethod},
	} {
		r, _ := http.NewRequest(tt.method, e.http.URL+tt.path, nil)
		if a := send(t, r); a.status != tt.status || a.err().Code != tt.code {
			t.Errorf("%s %s: %d %s", tt.method, tt.path, a.status, a.body)
		}
	}

	resp, err := http.Get(e.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(b)
	for _, want := range []string{
		"# TYPE motcua_hub_push_items_total counter",
		`motcua_hub_push_items_total{kind="dossier",outcome="created"} 1`,
		`motcua_hub_push_items_total{kind="dossier",outcome="rejected"} 1`,
		`motcua_hub_http_requests_total{route="POST /v1/push",code="200"} 2`,
		`motcua_hub_http_requests_total{route="POST /v1/enrol",code="201"} 1`,
		"motcua_hub_enrolments_total 1",
		"motcua_hub_blob_hash_mismatches_total 0",
		"# TYPE motcua_hub_http_request_seconds summary",
		`motcua_hub_http_request_seconds_count{route="POST /v1/push"} 2`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("metrics content type %q", ct)
	}
}
