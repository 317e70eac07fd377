package hub

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httputil"
	"testing"
	"time"

	"motcua/sync/wire"
)

func TestEnrolment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ec, err := e.srv.CreateEnrolmentCode(ctx, communeA, "admin", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, key1, _ := ed25519.GenerateKey(nil)
	_, key2, _ := ed25519.GenerateKey(nil)

	var first wire.EnrolResponse
	if s := e.postJSON("/v1/enrol", wire.NewEnrolRequest(ec.Code, "Máy 1", "0.1", key1), &first); s != http.StatusCreated {
		t.Fatalf("first enrolment: %d", s)
	}
	if first.CommuneCode != communeA || first.DeviceID == "" || first.CommuneName != "UBND xã Quảng Hưng" {
		t.Fatalf("enrolment answer: %+v", first)
	}

	// The answer was lost; the device sends the same request again (code
	// typed in lowercase with spaces this time).
	var again wire.EnrolResponse
	lower := wire.NewEnrolRequest(ec.Code, "Máy 1", "0.1", key1)
	lower.Code = "  " + ec.Code[:4] + " " + ec.Code[5:]
	if s := e.postJSON("/v1/enrol", lower, &again); s != http.StatusOK || again.DeviceID != first.DeviceID {
		t.Fatalf("replayed enrolment: %d %+v, want 200 and device %s", s, again, first.DeviceID)
	}

	other, _ := e.srv.CreateEnrolmentCode(ctx, communeA, "admin", -1)
	badProof := wire.NewEnrolRequest(other.Code, "Máy 3", "0.1", key2)
	badProof.Proof[0] ^= 1
	expired, _ := e.srv.CreateEnrolmentCode(ctx, communeA, "admin", 0)
	expiredHash := sha256.Sum256([]byte(wire.NormalizeEnrolCode(expired.Code)))
	if tag, err := e.srv.DB().Exec(ctx, "UPDATE enrolment_codes SET expires_at = now() - interval '1 second' WHERE code_sha256 = $1",
		expiredHash[:]); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("expire code: %v", err)
	}
	tests := []struct {
		name   string
		req    wire.EnrolRequest
		status int
		code   string
	}{
		{"second device on a used code", wire.NewEnrolRequest(ec.Code, "Máy 2", "0.1", key2), http.StatusConflict, wire.CodeEnrolCodeUsed},
		{"unknown code", wire.NewEnrolRequest("AAAA-BBBB-CCCC", "Máy 2", "0.1", key2), http.StatusForbidden, wire.CodeEnrolCodeBad},
		{"expired code", wire.NewEnrolRequest(expired.Code, "Máy 2", "0.1", key2), http.StatusForbidden, wire.CodeEnrolCodeExpiry},
		{"key already enrolled", wire.NewEnrolRequest(other.Code, "Máy 1 bis", "0.1", key1), http.StatusConflict, wire.CodeKeyInUse},
		{"proof by another key", badProof, http.StatusUnauthorized, wire.CodeBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var er wire.ErrorResponse
			if s := e.postJSON("/v1/enrol", tt.req, &er); s != tt.status || er.Error.Code != tt.code {
				t.Fatalf("got %d %q, want %d %q", s, er.Error.Code, tt.status, tt.code)
			}
			if er.Error.Message == "" {
				t.Fatal("refusal without a message")
			}
		})
	}
	if n := e.count("devices"); n != 1 {
		t.Fatalf("%d devices enrolled, want 1", n)
	}
}

func TestEnrolRefusesWrongProtocol(t *testing.T) {
	e := newEnv(t)
	_, key, _ := ed25519.GenerateKey(nil)
	b, _ := json.Marshal(wire.NewEnrolRequest("AAAABBBBCCCC", "x", "", key))
	req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/v1/enrol", bytesReader(b))
	req.Header.Set(wire.HeaderProtocol, "0.9")
	a := send(t, req)
	if a.status != http.StatusUpgradeRequired || a.err().Code != wire.CodeClientTooOld || a.err().MaxProtocol != wire.Current.String() {
		t.Fatalf("got %d %s", a.status, a.body)
	}
}

// TestRequestAuthentication: every way of getting a request wrong is
// refused with its own code, and none of them stores anything.
func TestRequestAuthentication(t *testing.T) {
	e := newEnv(t)
	good := e.enrol(communeA)
	revoked := e.enrol(communeA)
	if err := e.srv.RevokeDevice(context.Background(), revoked.id, "máy bị mất"); err != nil {
		t.Fatal(err)
	}
	_, strangerKey, _ := ed25519.GenerateKey(nil)
	body, _ := json.Marshal(wire.PushRequest{Dossiers: []wire.Dossier{dossier(communeA)}})

	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		code   string
	}{
		{"unsigned", func() *http.Request {
			r := good.newRequest(http.MethodPost, "/v1/push", body, jsonHdr())
			r.Header.Del(wire.HeaderSignature)
			return r
		}, http.StatusUnauthorized, wire.CodeUnauthenticated},
		{"no headers at all", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, e.http.URL+"/v1/push", nil)
			r.Header.Set(wire.HeaderProtocol, "1.0")
			return r
		}, http.StatusUnauthorized, wire.CodeUnauthenticated},
		{"signed by another key", func() *http.Request {
			impostor := &client{e: e, id: good.id, key: strangerKey}
			return impostor.newRequest(http.MethodPost, "/v1/push", body, jsonHdr())
		}, http.StatusUnauthorized, wire.CodeBadSignature},
		{"path changed after signing", func() *http.Request {
			r := good.newRequest(http.MethodPost, "/v1/push", body, jsonHdr())
			r.URL.Path = "/v1/blobs/missing"
			return r
		}, http.StatusUnauthorized, wire.CodeBadSignature},
		{"body changed after signing", func() *http.Request {
			other, _ := json.Marshal(wire.PushRequest{Dossiers: []wire.Dossier{dossier(communeA)}})
			r := good.newRequest(http.MethodPost, "/v1/push", body, jsonHdr())
			r.Body, r.ContentLength = readCloser(other), int64(len(other))
			return r
		}, http.StatusBadRequest, wire.CodeBodyHash},
		{"timestamp 10 minutes old", func() *http.Request {
			late := *good
			late.skew = -10 * time.Minute
			return late.newRequest(http.MethodPost, "/v1/push", body, jsonHdr())
		}, http.StatusUnauthorized, wire.CodeStaleTimestamp},
		{"timestamp 10 minutes ahead", func() *http.Request {
			early := *good
			early.skew = 10 * time.Minute
			return early.newRequest(http.MethodPost, "/v1/push", body, jsonHdr())
		}, http.StatusUnauthorized, wire.CodeStaleTimestamp},
		{"unknown device", func() *http.Request {
			ghost := &client{e: e, id: "dev-000000000000000000000000", key: strangerKey}
			return ghost.newRequest(http.MethodPost, "/v1/push", body, jsonHdr())
		}, http.StatusUnauthorized, wire.CodeUnknownDevice},
		{"revoked device", func() *http.Request {
			return revoked.newRequest(http.MethodPost, "/v1/push", body, jsonHdr())
		}, http.StatusForbidden, wire.CodeDeviceRevoked},
		{"protocol 2.0", func() *http.Request {
			return good.newRequest(http.MethodPost, "/v1/push", body, map[string]string{
				"Content-Type": "application/json", wire.HeaderProtocol: "2.0"})
		}, http.StatusUpgradeRequired, wire.CodeHubTooOld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, tt.req())
			if a.status != tt.status || a.err().Code != tt.code {
				t.Fatalf("got %d %s, want %d %s", a.status, a.body, tt.status, tt.code)
			}
			if tt.code == wire.CodeStaleTimestamp && a.err().HubTime == nil {
				t.Fatal("stale_timestamp without hub_time: the device cannot correct its clock")
			}
		})
	}
	if n := e.count("dossiers"); n != 0 {
		t.Fatalf("refused requests stored %d dossiers", n)
	}
	// The good device is not collateral damage.
	if _, a := good.push(wire.PushRequest{Dossiers: []wire.Dossier{dossier(communeA)}}); a.status != http.StatusOK {
		t.Fatalf("valid push after refusals: %d %s", a.status, a.body)
	}
}

// TestReplayedRequestRefusedAcrossRestart captures a signed request on the
// wire and sends it again, before and after a hub restart: nonces live in
// PostgreSQL, so a restart does not reopen the replay window.
func TestReplayedRequestRefusedAcrossRestart(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	body, _ := json.Marshal(wire.PushRequest{Dossiers: []wire.Dossier{dossier(communeA)}})
	req := c.newRequest(http.MethodPost, "/v1/push", body, jsonHdr())
	raw, err := httputil.DumpRequestOut(req, true)
	if err != nil {
		t.Fatal(err)
	}
	replay := func() answer {
		r, err := http.ReadRequest(bufio.NewReader(bytesReader(raw)))
		if err != nil {
			t.Fatal(err)
		}
		r.RequestURI = ""
		r.URL.Scheme, r.URL.Host = "http", e.http.Listener.Addr().String()
		return send(t, r)
	}
	if a := replay(); a.status != http.StatusOK {
		t.Fatalf("original: %d %s", a.status, a.body)
	}
	if a := replay(); a.status != http.StatusUnauthorized || a.err().Code != wire.CodeReplayedNonce {
		t.Fatalf("replay: %d %s", a.status, a.body)
	}
	e.restart()
	if a := replay(); a.status != http.StatusUnauthorized || a.err().Code != wire.CodeReplayedNonce {
		t.Fatalf("replay after restart: %d %s", a.status, a.body)
	}
	if got := e.srv.metrics.value("motcua_hub_auth_failures_total", label("reason", "replayed_nonce")); got != 1 {
		t.Fatalf("replayed_nonce metric after restart = %v, want 1", got)
	}
}

func TestNoncePurge(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	c.do(http.MethodPost, "/v1/blobs/missing", []byte(`{"blobs":[]}`), jsonHdr())
	if n, err := e.srv.PurgeExpired(context.Background()); err != nil || n != 0 {
		t.Fatalf("purge removed %d fresh nonces (%v)", n, err)
	}
	e.srv.cfg.Now = func() time.Time { return time.Now().Add(time.Hour) }
	if n, err := e.srv.PurgeExpired(context.Background()); err != nil || n != 1 {
		t.Fatalf("purge removed %d expired nonces, want 1 (%v)", n, err)
	}
}

func TestAdminEndpoints(t *testing.T) {
	e := newEnv(t)
	post := func(path, token, body string) answer {
		r, _ := http.NewRequest(http.MethodPost, e.http.URL+path, stringsReader(body))
		r.Header.Set("Content-Type", "application/json")
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		return send(t, r)
	}
	if a := post("/admin/v1/enrolment-codes", "", `{"commune_code":"`+communeA+`"}`); a.status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", a.status)
	}
	if a := post("/admin/v1/enrolment-codes", "wrong", `{"commune_code":"`+communeA+`"}`); a.status != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", a.status)
	}
	if a := post("/admin/v1/enrolment-codes", adminToken, `{"commune_code":"nowhere"}`); a.status != http.StatusNotFound {
		t.Fatalf("unknown commune: %d %s", a.status, a.body)
	}
	a := post("/admin/v1/enrolment-codes", adminToken, `{"commune_code":"`+communeA+`","ttl_seconds":600}`)
	var ec EnrolmentCode
	if a.status != http.StatusCreated || json.Unmarshal(a.body, &ec) != nil || len(ec.Code) != 14 {
		t.Fatalf("create code: %d %s", a.status, a.body)
	}
	if d := time.Until(ec.ExpiresAt); d < 9*time.Minute || d > 11*time.Minute {
		t.Fatalf("code expires in %s, want 10m", d)
	}
	c := e.enrol(communeA)
	if a := post("/admin/v1/devices/"+c.id+"/revoke", adminToken, `{"reason":"mất máy"}`); a.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", a.status, a.body)
	}
	if a := post("/admin/v1/devices/dev-nope/revoke", adminToken, `{"reason":"x"}`); a.status != http.StatusNotFound {
		t.Fatalf("revoke unknown: %d", a.status)
	}
	if a := c.do(http.MethodPost, "/v1/blobs/missing", []byte(`{"blobs":[]}`), jsonHdr()); a.status != http.StatusForbidden {
		t.Fatalf("revoked device still served: %d", a.status)
	}
	ds, err := e.srv.Devices(context.Background(), communeA)
	if err != nil || len(ds) != 1 || ds[0].Status != "revoked" || ds[0].RevokedAt == nil {
		t.Fatalf("devices: %+v %v", ds, err)
	}
}
