package wire_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"motcua/sync/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var ict = time.FixedZone("ICT", 7*3600)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.In(ict)
}

func ptr[T any](v T) *T { return &v }

const (
	sumScan = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	sumCCCD = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
	sumKQ   = "fd61a03af4f77d870fc21e05e7e80678095c92d808cfb3b5c279ee04c74aca13"
)

func sampleDossier() wire.Dossier {
	return wire.Dossier{
		ID:          "0195f3a2-7c41-7d2e-9b1a-3f5c2e8d4a10",
		Code:        "000.17.22.H56-260302-0007",
		CommuneCode: "000.17.22.H56",
		Procedure: wire.Procedure{
			Code: "1.001193", Name: "Thủ tục đăng ký khai sinh",
			FieldCode: "HT", FieldName: "Hộ tịch",
		},
		Applicant: wire.Applicant{
			Name: "Nguyễn Thị Hoà", IDNumber: "038190001234", Kind: wire.ApplicantPerson,
			Address: "Thôn Đông, xã Quảng Hưng, tỉnh Thanh Hóa", Phone: "0912345678", Email: "hoa@example.vn",
		},
		Summary:      "Đăng ký khai sinh cho cháu Lê Minh An",
		Channel:      wire.ChannelInPerson,
		ReturnMethod: wire.ReturnInPerson,
		ReceivedAt:   at("2026-03-02T08:15:00+07:00"),
		DueAt:        ptr(at("2026-03-02T16:30:00+07:00")),
		Status:       wire.Status{National: wire.StatusReceived, State: "received"},
		ReceivedBy:   "u-tiepnhan-01",
		Components: []wire.Component{
			{
				Code: "KS-TK", Name: "Tờ khai đăng ký khai sinh", Digitised: true,
				Blobs: []wire.BlobRef{{SHA256: sumScan, Size: 482113, MediaType: "application/pdf", Name: "to-khai.pdf"}},
			},
			{
				Code: "KS-GCS", Name: "Giấy chứng sinh", Digitised: true,
				Blobs: []wire.BlobRef{{SHA256: sumCCCD, Size: 391204, MediaType: "application/pdf", Name: "giay-chung-sinh.pdf"}},
			},
			{Code: "CCCD", Name: "Căn cước của người đi đăng ký", FromNationalDB: true},
		},
		Fees: []wire.Fee{{Code: "LP-KS", Name: "Lệ phí đăng ký khai sinh", Kind: "charge", Amount: 0, Method: "cash", Paid: true}},
	}
}

func sampleEvents() []wire.Event {
	return []wire.Event{
		{
			ID: "0195f3a2-9d10-7a6b-8c2d-1e0f3a4b5c6d", DossierID: "0195f3a2-7c41-7d2e-9b1a-3f5c2e8d4a10",
			Action: "transfer", From: "received", To: "transferred", NationalStatus: wire.StatusProcessing,
			At: at("2026-03-02T09:40:00+07:00"), Actor: "u-tiepnhan-01", ActorName: "Trần Văn Bình",
			Agency: &wire.Agency{Code: "000.00.12.H56", Name: "Sở Tư pháp tỉnh Thanh Hóa"},
			Note:   "Chuyển liên thông khai sinh – thường trú – BHYT",
		},
		{
			ID: "01JNQ7R2ZK8M4X5Y6W7V8T9S0R", DossierID: "0195f3a2-7c41-7d2e-9b1a-3f5c2e8d4a10",
			Action: "apologize_extend", From: "transferred", To: "transferred", NationalStatus: wire.StatusProcessing,
			At: at("2026-03-02T15:55:00+07:00"), Actor: "u-tiepnhan-01",
			Reason:    "Chờ xác minh của cơ quan công an",
			PrevDueAt: ptr(at("2026-03-02T16:30:00+07:00")), DueAt: ptr(at("2026-03-04T16:30:00+07:00")),
		},
	}
}

func goldens() []struct {
	file  string
	value any
	empty func() any
} {
	type g = struct {
		file  string
		value any
		empty func() any
	}
	hubAt := time.Date(2026, 3, 2, 1, 16, 4, 0, time.UTC)
	return []g{
		{"health_response.json", wire.HealthResponse{
			Marker: wire.HealthMarker, Challenge: "k3J9xQ", Protocol: "1.0", MinProtocol: "1.0",
			HubTime: hubAt, Database: "ok",
		}, func() any { return new(wire.HealthResponse) }},
		{"enrol_request.json", wire.EnrolRequest{
			Code: "7KQ2M9XD4HTP", DeviceName: "Máy một cửa 1",
			PublicKey:  bytes.Repeat([]byte{0x5a}, 32),
			Proof:      bytes.Repeat([]byte{0xa5}, 64),
			AppVersion: "0.4.0",
		}, func() any { return new(wire.EnrolRequest) }},
		{"enrol_response.json", wire.EnrolResponse{
			DeviceID: "dev-4c1f0a9e2b7d4e6f8a3c5b1d", CommuneCode: "000.17.22.H56",
			CommuneName: "UBND xã Quảng Hưng", EnrolledAt: hubAt,
		}, func() any { return new(wire.EnrolResponse) }},
		{"dossier.json", sampleDossier(), func() any { return new(wire.Dossier) }},
		{"push_request.json", wire.PushRequest{Dossiers: []wire.Dossier{sampleDossier()}, Events: sampleEvents()},
			func() any { return new(wire.PushRequest) }},
		{"push_response.json", wire.PushResponse{
			Dossiers: []wire.ItemResult{{ID: "0195f3a2-7c41-7d2e-9b1a-3f5c2e8d4a10", Outcome: wire.OutcomeCreated, Status: 201, HubReceivedAt: &hubAt}},
			Events: []wire.ItemResult{
				{ID: "0195f3a2-9d10-7a6b-8c2d-1e0f3a4b5c6d", Outcome: wire.OutcomeDuplicate, Status: 200, HubReceivedAt: &hubAt},
				{ID: "01JNQ7R2ZK8M4X5Y6W7V8T9S0R", Outcome: wire.OutcomeConflict, Status: 409, Code: wire.CodeStateConflict,
					Reason: "Hồ sơ trên máy chủ tỉnh đang ở trạng thái \"result_ready\", không phải \"transferred\"."},
			},
		}, func() any { return new(wire.PushResponse) }},
		{"pull_response.json", wire.PullResponse{
			Changes: []wire.Change{
				{
					ID: "0195f4b0-1111-7222-8333-444455556666", Kind: wire.ChangeStatus,
					DossierID: "0195f3a2-7c41-7d2e-9b1a-3f5c2e8d4a10", DossierCode: "000.17.22.H56-260302-0007",
					Action: "request_supplement", From: "transferred", To: "awaiting_supplement", NationalStatus: wire.StatusSupplement,
					At: hubAt, Actor: "s-tuphap-07", ActorName: "Lê Thu Hà",
					Agency:          &wire.Agency{Code: "000.00.12.H56", Name: "Sở Tư pháp tỉnh Thanh Hóa"},
					Reason:          "Giấy chứng sinh bị mờ số định danh",
					SupplementItems: []string{"Giấy chứng sinh (bản rõ)"},
				},
				{
					ID: "0195f4b0-2222-7333-8444-555566667777", Kind: wire.ChangeResult,
					DossierID: "0195f3a2-7c41-7d2e-9b1a-3f5c2e8d4a10", DossierCode: "000.17.22.H56-260302-0007",
					Action: "record_result", From: "transferred", To: "result_ready", NationalStatus: wire.StatusDone,
					At: hubAt.Add(48 * time.Hour), Actor: "s-tuphap-07",
					Results: []wire.ResultPaper{{Code: "KQ-GKS", Name: "Giấy khai sinh (bản chính)",
						Blob: wire.BlobRef{SHA256: sumKQ, Size: 120433, MediaType: "application/pdf", Name: "giay-khai-sinh.pdf"}}},
				},
				{
					ID: "0195f4b0-3333-7444-8555-666677778888", Kind: wire.ChangeNote,
					DossierID: "0195f3a2-7c41-7d2e-9b1a-3f5c2e8d4a10", DossierCode: "000.17.22.H56-260302-0007",
					At: hubAt.Add(49 * time.Hour), Actor: "s-tuphap-07", Note: "Đã gửi kết quả qua VNeID",
				},
			},
			Cursor: "k7f3a9c2e1b04d58.3", More: false,
		}, func() any { return new(wire.PullResponse) }},
		{"missing_request.json", wire.MissingRequest{Blobs: []wire.BlobSize{{SHA256: sumScan, Size: 482113}, {SHA256: sumCCCD, Size: 391204}}},
			func() any { return new(wire.MissingRequest) }},
		{"missing_response.json", wire.MissingResponse{Missing: []wire.MissingBlob{{SHA256: sumCCCD, Size: 391204, Offset: 262144}}},
			func() any { return new(wire.MissingResponse) }},
		{"error_version.json", wire.ErrorResponse{Error: wire.Error{
			Code:        wire.CodeClientTooOld,
			Message:     "Phần mềm tại xã dùng giao thức 0.9, máy chủ tỉnh chỉ hỗ trợ từ 1.0 đến 1.0. Cần cập nhật phần mềm tại xã.",
			MinProtocol: "1.0", MaxProtocol: "1.0",
		}}, func() any { return new(wire.ErrorResponse) }},
		{"error_stale.json", wire.ErrorResponse{Error: wire.Error{
			Code: wire.CodeStaleTimestamp, Message: "Đồng hồ của máy lệch quá 5 phút so với máy chủ tỉnh.", HubTime: &hubAt,
		}}, func() any { return new(wire.ErrorResponse) }},
	}
}

func marshalGolden(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// TestGolden pins every wire document: Go values marshal to exactly the
// golden bytes, and the golden bytes decode strictly back to values that
// marshal the same. A change here is a protocol change: bump the version.
func TestGolden(t *testing.T) {
	for _, g := range goldens() {
		t.Run(g.file, func(t *testing.T) { checkGolden(t, g.file, g.value, g.empty()) })
	}
}

// checkGolden compares value's JSON with testdata/file (rewriting the file
// with -update) and decodes the file strictly into back, a pointer, which
// must marshal to the same bytes.
func checkGolden(t *testing.T, file string, value, back any) {
	t.Helper()
	path := filepath.Join("testdata", file)
	got := marshalGolden(t, value)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./sync/wire -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("marshal differs from %s:\n got: %s\nwant: %s", path, got, want)
	}
	if err := wire.DecodeStrict(bytes.NewReader(want), wire.MaxPushBytes, back); err != nil {
		t.Fatalf("strict decode of %s: %v", path, err)
	}
	if again := marshalGolden(t, reflect.ValueOf(back).Elem().Interface()); !bytes.Equal(again, want) {
		t.Fatalf("round trip of %s differs:\n got: %s", path, again)
	}
}

// The golden dossier and events are valid records: the samples both sides
// build tests from must pass both sides' validation.
func TestGoldenRecordsValidate(t *testing.T) {
	var req wire.PushRequest
	b, err := os.ReadFile("testdata/push_request.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := wire.DecodeStrict(bytes.NewReader(b), wire.MaxPushBytes, &req); err != nil {
		t.Fatal(err)
	}
	if len(req.Dossiers) != 1 || len(req.Events) != 2 {
		t.Fatalf("golden push has %d dossiers, %d events", len(req.Dossiers), len(req.Events))
	}
	for _, d := range req.Dossiers {
		if err := d.Validate(); err != nil {
			t.Errorf("dossier %s: %v", d.ID, err)
		}
		if got := d.ReceivedAt.Format(time.RFC3339); got != "2026-03-02T08:15:00+07:00" {
			t.Errorf("received_at lost its device offset: %s", got)
		}
		if n := len(d.Blobs()); n != 2 {
			t.Errorf("dossier references %d blobs, want 2", n)
		}
	}
	for _, e := range req.Events {
		if err := e.Validate(); err != nil {
			t.Errorf("event %s: %v", e.ID, err)
		}
	}
	if got := req.Events[1].DueAt.Sub(*req.Events[1].PrevDueAt); got != 48*time.Hour {
		t.Errorf("apology moves the due date by %s, want 48h", got)
	}
}
