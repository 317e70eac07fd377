package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"motcua/app/store"
	"motcua/app/syncing"
	"motcua/sync/outbox"
	"motcua/sync/wire"
)

// fakeSync answers as the sync use case would, without a hub.
type fakeSync struct {
	enrolErr error
	items    []outbox.Item
	nows     atomic.Int32
	status   syncing.Status
}

func (f *fakeSync) Status(context.Context) (syncing.Status, error) { return f.status, nil }

func (f *fakeSync) Enrol(_ context.Context, hubURL, code string) (syncing.Enrolment, error) {
	if f.enrolErr != nil {
		return syncing.Enrolment{}, f.enrolErr
	}
	f.status.Enrolled, f.status.HubURL = true, hubURL
	return syncing.Enrolment{HubURL: hubURL, DeviceID: "dev-1", CommuneCode: "000.17.22.H56"}, nil
}

func (f *fakeSync) ListOutbox(_ context.Context, q outbox.ListQuery) (outbox.Page, error) {
	if q.Cursor == "bad" {
		return outbox.Page{}, outbox.ErrBadCursor
	}
	return outbox.Page{Items: f.items}, nil
}

func (f *fakeSync) Retry(_ context.Context, id string) (outbox.Item, error) {
	for _, it := range f.items {
		if it.ID() == id {
			it.State, it.Code, it.Reason = outbox.StatePending, "", ""
			return it, nil
		}
	}
	return outbox.Item{}, fmt.Errorf("retry %s: %w", id, outbox.ErrNotFound)
}

func (f *fakeSync) SyncNow() { f.nows.Add(1) }

func (f *fakeSync) Conflicts(context.Context) ([]syncing.Conflict, error) {
	return []syncing.Conflict{{ChangeID: "c1", DossierID: "d2", DossierCode: "X-2", Problem: "invalid_transition",
		LocalState: "withdrawn", Change: wire.Change{Action: "record_result", From: "received", To: "result_ready"}}}, nil
}

func (f *fakeSync) Notes(_ context.Context, id string) ([]syncing.Note, error) {
	return []syncing.Note{{ChangeID: "n1", DossierID: id, Note: "Đã ký, chờ đóng dấu."}}, nil
}

func newSyncServer(t *testing.T, f *fakeSync) string {
	t.Helper()
	st, err := store.Open(store.Options{Dir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(New(Config{Version: "test", Store: st, Sync: f, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func errMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func TestEnrolFailuresSpeakVietnamese(t *testing.T) {
	hubErr := func(status int, code, msg string) error { return &wire.Error{Status: status, Code: code, Message: msg} }
	for _, tc := range []struct {
		name    string
		err     error
		status  int
		code    string
		message string // a phrase the clerk must see
	}{
		{"hub unreachable", fmt.Errorf("%w: dial tcp: refused", syncing.ErrHubUnreachable), 502, "hub_unreachable", "Không kết nối được máy chủ tỉnh"},
		{"captive portal", fmt.Errorf("%w: status 200", syncing.ErrNotHub), 502, "hub_not_found", "yêu cầu đăng nhập"},
		{"wrong enrolment code", fmt.Errorf("%w: %w", syncing.ErrEnrolCode, hubErr(403, wire.CodeEnrolCodeBad, "Mã đăng ký thiết bị không đúng.")),
			422, wire.CodeEnrolCodeBad, "Mã đăng ký thiết bị không đúng"},
		{"code used elsewhere", fmt.Errorf("%w: %w", syncing.ErrEnrolCode, hubErr(409, wire.CodeEnrolCodeUsed, "")),
			422, wire.CodeEnrolCodeUsed, "đã được dùng cho một máy khác"},
		{"expired code", fmt.Errorf("%w: %w", syncing.ErrEnrolCode, hubErr(403, wire.CodeEnrolCodeExpiry, "")),
			422, wire.CodeEnrolCodeExpiry, "hết hạn"},
		{"revoked device", fmt.Errorf("%w: %w", syncing.ErrRevoked, hubErr(403, wire.CodeDeviceRevoked, "")),
			403, wire.CodeDeviceRevoked, "thu hồi quyền đồng bộ"},
		{"protocol too old", fmt.Errorf("%w: %w", syncing.ErrProtocol, hubErr(426, wire.CodeClientTooOld, "")),
			502, wire.CodeClientTooOld, "Cần cập nhật phần mềm"},
		{"hub too old", fmt.Errorf("%w: %w", syncing.ErrProtocol, hubErr(426, wire.CodeHubTooOld, "")),
			502, wire.CodeHubTooOld, "cập nhật máy chủ"},
		{"another commune's code", fmt.Errorf("%w: 000.18", syncing.ErrCommuneMismatch), 409, "commune_mismatch", "đơn vị khác"},
		{"settings missing", syncing.ErrNotConfigured, 409, "not_configured", "Thiết lập"},
		{"bad address", fmt.Errorf("%w: ftp", syncing.ErrInvalidURL), 422, "validation_failed", "vui lòng kiểm tra"},
		{"hub refused with its words", fmt.Errorf("%w: %w", syncing.ErrRefused, hubErr(400, wire.CodeBadRequest, "Yêu cầu không hợp lệ.")),
			502, "hub_refused", "Yêu cầu không hợp lệ."},
		{"unexpected", errors.New("disk on fire"), 500, "internal_error", "lỗi hệ thống"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := newSyncServer(t, &fakeSync{enrolErr: tc.err})
			status, body := do(t, "POST", base+"/api/sync/enrol", "application/json",
				[]byte(`{"hubUrl":"https://dongbo.thanhhoa.gov.vn","code":"ABCD-EFGH-JKMN"}`))
			if status != tc.status || errCode(body) != tc.code || !strings.Contains(errMessage(body), tc.message) {
				t.Fatalf("%d %s %q, want %d %s containing %q", status, errCode(body), errMessage(body), tc.status, tc.code, tc.message)
			}
		})
	}
}

func TestEnrolRequestIsCheckedBeforeTheHubIsCalled(t *testing.T) {
	f := &fakeSync{}
	base := newSyncServer(t, f)
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"hubUrl":"","code":""}`, 422, "validation_failed"},
		{`{"hubUrl":"https://hub","code":"X","extra":1}`, 400, "unknown_field"},
		{`{"hubUrl":"https://hub"`, 400, "invalid_json"},
	} {
		status, body := do(t, "POST", base+"/api/sync/enrol", "application/json", []byte(tc.body))
		if status != tc.status || errCode(body) != tc.code {
			t.Errorf("%s: %d %v", tc.body, status, body)
		}
	}
	if f.status.Enrolled {
		t.Fatal("a refused request reached the use case")
	}
	status, body := do(t, "POST", base+"/api/sync/enrol", "application/json", []byte(`{"hubUrl":"https://hub.example","code":"ABCD"}`))
	st, _ := body["status"].(map[string]any)
	if status != 200 || st["enrolled"] != true {
		t.Fatalf("enrol: %d %v", status, body)
	}
}

func TestOutboxShowsStateBytesLeftAndTheReason(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	hubReason := "Hồ sơ trên máy chủ tỉnh đang ở trạng thái \"result_ready\", không phải \"received\" như khi thao tác."
	f := &fakeSync{
		status: syncing.Status{Enrolled: true, Online: false, Problem: syncing.CodeUnreachable},
		items: []outbox.Item{
			{DossierID: "d1", Seq: 1, Kind: outbox.KindDossier, Action: "receive_complete", DossierCode: "X-1", State: outbox.StatePending, Bytes: 900, EnqueuedAt: now},
			{DossierID: "d2", Seq: 2, Kind: outbox.KindEvent, Action: "applicant_withdraw", State: outbox.StateParked, Code: wire.CodeStateConflict, Reason: hubReason, Bytes: 400, Attempts: 1},
			{DossierID: "d3", Seq: 1, Kind: outbox.KindDossier, State: outbox.StateError, Code: syncing.CodeUnreachable, Attempts: 8, Manual: true, Bytes: 1000, BytesDone: 250},
			{DossierID: "d4", Seq: 1, Kind: outbox.KindDossier, State: outbox.StateError, Code: wire.CodeInternal, Attempts: 2, NextTry: now.Add(time.Minute), Bytes: 10},
		},
	}
	base := newSyncServer(t, f)
	status, body := do(t, "GET", base+"/api/sync/outbox", "", nil)
	if status != 200 {
		t.Fatalf("%d %v", status, body)
	}
	items := body["items"].([]any)
	get := func(i int, k string) any { return items[i].(map[string]any)[k] }
	for _, tc := range []struct {
		i           int
		state       string
		canRetry    bool
		bytesLeft   float64
		errContains string
	}{
		{0, "Chờ gửi", false, 900, ""},
		{1, "Bị từ chối — cần xử lý", true, 400, "result_ready"},
		{2, "Chưa gửi được — bấm Gửi lại", true, 750, "Không kết nối được máy chủ tỉnh"},
		{3, "Lỗi — sẽ tự gửi lại", true, 10, "Máy chủ tỉnh gặp lỗi"},
	} {
		msg, _ := get(tc.i, "lastError").(string)
		if get(tc.i, "stateLabel") != tc.state || get(tc.i, "canRetry") != tc.canRetry || get(tc.i, "bytesLeft") != tc.bytesLeft ||
			!strings.Contains(msg, tc.errContains) || (tc.errContains == "" && msg != "") {
			t.Errorf("item %d: %v", tc.i, items[tc.i])
		}
	}
	if get(0, "label") != "Hồ sơ tiếp nhận — Tiếp nhận hồ sơ" || get(1, "label") != "Công dân rút hồ sơ" {
		t.Errorf("labels %q %q", get(0, "label"), get(1, "label"))
	}
	if get(3, "nextTry") == nil {
		t.Error("an item backing off does not say when it tries next")
	}

	if status, body := do(t, "POST", base+"/api/sync/outbox/d2.2/retry", "", nil); status != 200 || body["item"].(map[string]any)["state"] != "pending" {
		t.Fatalf("retry: %d %v", status, body)
	}
	if status, body := do(t, "POST", base+"/api/sync/outbox/nope.9/retry", "", nil); status != 404 || errCode(body) != "not_found" {
		t.Fatalf("retry unknown: %d %v", status, body)
	}
	if status, body := do(t, "GET", base+"/api/sync/outbox?cursor=bad", "", nil); status != 400 {
		t.Fatalf("bad cursor: %d %v", status, body)
	}
	if status, body := do(t, "GET", base+"/api/sync/outbox?limit=0", "", nil); status != 400 {
		t.Fatalf("bad limit: %d %v", status, body)
	}
}

func TestSyncNowAndStatus(t *testing.T) {
	f := &fakeSync{status: syncing.Status{Enrolled: true, Problem: wire.CodeDeviceRevoked, Blocked: true}}
	base := newSyncServer(t, f)
	status, body := do(t, "POST", base+"/api/sync/now", "", nil)
	if status != 202 || f.nows.Load() != 1 {
		t.Fatalf("sync now: %d %v (%d calls)", status, body, f.nows.Load())
	}
	status, body = do(t, "GET", base+"/api/sync/status", "", nil)
	st := body["status"].(map[string]any)
	if status != 200 || st["blocked"] != true || !strings.Contains(st["message"].(string), "thu hồi") {
		t.Fatalf("status: %d %v", status, body)
	}
	_, body = do(t, "GET", base+"/api/sync/conflicts", "", nil)
	cs := body["conflicts"].([]any)
	if msg := cs[0].(map[string]any)["message"].(string); !strings.Contains(msg, "Cập nhật kết quả giải quyết") || !strings.Contains(msg, "Đã rút hồ sơ") {
		t.Fatalf("conflict message %q", msg)
	}
	_, body = do(t, "GET", base+"/api/sync/notes/d1", "", nil)
	if notes := body["notes"].([]any); len(notes) != 1 {
		t.Fatalf("notes %v", body)
	}
	f.status = syncing.Status{}
	_, body = do(t, "GET", base+"/api/sync/status", "", nil)
	if msg := body["status"].(map[string]any)["message"].(string); !strings.Contains(msg, "chưa đăng ký") {
		t.Fatalf("unenrolled message %q", msg)
	}
}
