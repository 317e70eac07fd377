package api

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func configured(t *testing.T) string {
	t.Helper()
	srv := newTestServer(t)
	if code, body := do(t, "PUT", srv.URL+"/api/settings", "application/json", []byte(validSettings)); code != 200 {
		t.Fatalf("settings: %d %v", code, body)
	}
	return srv.URL
}

func receptionBody(reqID, idNumber string) string {
	return `{"requestId":"` + reqID + `","procedureCode":"2.000815",
	"applicant":{"kind":"person","name":"Nguyễn Thị Hương","idNumber":"` + idNumber + `","address":"Thôn Đông","phone":"0912345678","email":""},
	"channel":"in_person","components":[{"name":"Giấy khai sinh","originals":1,"certified":0,"copies":2}],
	"sets":1,"outcome":"complete","resultDelivery":"in_person"}`
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestReceiveActAndPrintOverHTTP(t *testing.T) {
	base := configured(t)
	status, body := do(t, "POST", base+"/api/dossiers", "application/json", []byte(receptionBody("req-000000001", "001190012345")))
	if status != 201 || body["duplicate"] != false {
		t.Fatalf("%d %v", status, body)
	}
	d := body["dossier"].(map[string]any)
	id, code := d["id"].(string), d["code"].(string)
	if !strings.HasPrefix(code, "000.17.22.H56-") || d["stateLabel"] != "Đã tiếp nhận" || d["nationalStatus"].(float64) != 2 {
		t.Fatalf("%v", d)
	}
	if len(d["allowedActions"].([]any)) == 0 {
		t.Fatal("no allowed actions")
	}
	// The same request again: no second dossier.
	status, body = do(t, "POST", base+"/api/dossiers", "application/json", []byte(receptionBody("req-000000001", "001190012345")))
	if status != 200 || body["duplicate"] != true || body["dossier"].(map[string]any)["id"] != id {
		t.Fatalf("replay: %d %v", status, body)
	}
	_, list := do(t, "GET", base+"/api/dossiers?list=all", "", nil)
	if n := len(list["items"].([]any)); n != 1 {
		t.Fatalf("%d dossiers after a replay", n)
	}
	// By code (the barcode reader), case-insensitive.
	status, body = do(t, "GET", base+"/api/dossiers/by-code/"+strings.ToLower(code), "", nil)
	if status != 200 || body["dossier"].(map[string]any)["id"] != id || len(body["events"].([]any)) != 1 {
		t.Fatalf("by code %s: %d %v", code, status, body)
	}
	if forms := body["availableForms"].([]any); len(forms) != 2 || forms[0] != "receipt" || forms[1] != "control" {
		t.Fatalf("available forms %v", forms)
	}
	if ev := body["events"].([]any)[0].(map[string]any); ev["actorName"] != "Cán bộ tiếp nhận" || ev["dueDate"] == nil {
		t.Fatalf("event fields are not camelCase: %v", ev)
	}
	// An action in the wrong state is refused with a Vietnamese reason.
	status, body = do(t, "POST", base+"/api/dossiers/"+id+"/actions", "application/json",
		[]byte(`{"requestId":"req-000000002","action":"return_result","returnMethod":"in_person","receiverName":"A"}`))
	if status != 409 || errCode(body) != codeInvalidTransition ||
		!strings.Contains(body["error"].(map[string]any)["message"].(string), "Đã tiếp nhận") {
		t.Fatalf("%d %v", status, body)
	}
	status, body = do(t, "POST", base+"/api/dossiers/"+id+"/actions", "application/json",
		[]byte(`{"requestId":"req-000000003","action":"record_result","resultDocs":["Bản sao đã chứng thực"]}`))
	if status != 200 || body["dossier"].(map[string]any)["state"] != "result_ready" || body["event"].(map[string]any)["actionLabel"] == "" {
		t.Fatalf("%d %v", status, body)
	}
	// Missing payload names the field.
	status, body = do(t, "POST", base+"/api/dossiers/"+id+"/actions", "application/json",
		[]byte(`{"requestId":"req-000000004","action":"return_result","returnMethod":"in_person"}`))
	fields, _ := body["error"].(map[string]any)["fields"].(map[string]any)
	if status != 422 || fields["receiverName"] == nil {
		t.Fatalf("%d %v", status, body)
	}
	resp, err := http.Get(base + "/api/dossiers/" + id + "/forms/receipt")
	if err != nil {
		t.Fatal(err)
	}
	var pdf bytes.Buffer
	pdf.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf.Bytes(), []byte("%PDF")) {
		t.Fatalf("receipt: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	status, body = do(t, "GET", base+"/api/dossiers/"+id+"/forms/refusal", "", nil)
	if status != 409 || errCode(body) != codeFormNotApplicable {
		t.Fatalf("refusal form: %d %v", status, body)
	}
	status, body = do(t, "GET", base+"/api/dashboard", "", nil)
	if status != 200 || body["received"].(float64) != 1 || body["readyToReturn"].(float64) != 1 {
		t.Fatalf("dashboard %d %v", status, body)
	}
	status, body = do(t, "GET", base+"/api/applicants?q=nguyen+thi", "", nil)
	if status != 200 || len(body["applicants"].([]any)) != 1 {
		t.Fatalf("applicants %d %v", status, body)
	}
}

func TestBadReceptionsOverHTTP(t *testing.T) {
	base := configured(t)
	cases := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"wrong id", receptionBody("req-100000001", "12345"), 422, codeValidation, "applicant.idNumber"},
		{"unknown procedure", strings.Replace(receptionBody("req-100000002", "001190012345"), "2.000815", "9.999999", 1), 422, codeProcedureUnknown, "procedureCode"},
		{"future postmark", strings.Replace(receptionBody("req-100000003", "001190012345"), `"channel":"in_person"`, `"channel":"postal","postmarkAt":"2099-01-01T08:00:00+07:00"`, 1), 422, codeValidation, "postmarkAt"},
		{"unknown field", strings.Replace(receptionBody("req-100000004", "001190012345"), `"sets":1`, `"sets":1,"admin":true`, 1), 400, codeUnknownField, ""},
		{"wrong type", strings.Replace(receptionBody("req-100000005", "001190012345"), `"sets":1`, `"sets":"một"`, 1), 400, codeInvalidType, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := do(t, "POST", base+"/api/dossiers", "application/json", []byte(c.body))
			if status != c.status || errCode(body) != c.code {
				t.Fatalf("%d %v", status, body)
			}
			if c.field != "" {
				msg, _ := body["error"].(map[string]any)["fields"].(map[string]any)[c.field].(string)
				if msg == "" || !norm.NFC.IsNormalString(msg) {
					t.Fatalf("field message %q", msg)
				}
			}
		})
	}
	_, list := do(t, "GET", base+"/api/dossiers?list=all", "", nil)
	if n := len(list["items"].([]any)); n != 0 {
		t.Fatalf("bad input stored %d dossiers", n)
	}
	status, body := do(t, "GET", base+"/api/dossiers/nope", "", nil)
	if status != 404 || errCode(body) != codeNotFound {
		t.Fatalf("%d %v", status, body)
	}
	status, body = do(t, "GET", base+"/api/dossiers?list=bogus", "", nil)
	if status != 400 {
		t.Fatalf("%d %v", status, body)
	}
}

func TestReceiveBeforeSetupIsRefused(t *testing.T) {
	srv := newTestServer(t)
	status, body := do(t, "POST", srv.URL+"/api/dossiers", "application/json", []byte(receptionBody("req-200000001", "001190012345")))
	if status != 409 || errCode(body) != codeNotConfigured {
		t.Fatalf("%d %v", status, body)
	}
}

func TestCatalogExportImportOverHTTP(t *testing.T) {
	base := configured(t)
	resp, err := http.Get(base + "/api/catalog")
	if err != nil {
		t.Fatal(err)
	}
	var exported bytes.Buffer
	exported.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(exported.Bytes(), []byte(`"2.000815"`)) {
		t.Fatalf("export: %d", resp.StatusCode)
	}
	// Re-importing the same version is a harmless no-op; garbage is 400.
	status, body := do(t, "POST", base+"/api/catalog", "application/json", exported.Bytes())
	if status != 200 {
		t.Fatalf("reimport: %d %v", status, body)
	}
	status, body = do(t, "POST", base+"/api/catalog", "application/json", []byte(`{"version":`))
	if status != 400 || errCode(body) != codeInvalidJSON {
		t.Fatalf("garbage: %d %v", status, body)
	}
	older := bytes.Replace(exported.Bytes(), []byte(`"version": 1,`), []byte(`"version": 0,`), 1)
	status, body = do(t, "POST", base+"/api/catalog", "application/json", older)
	if status != 422 {
		t.Fatalf("version 0: %d %v", status, body)
	}
	// An admin edit of one procedure.
	status, body = do(t, "GET", base+"/api/procedures/2.000884", "", nil)
	if status != 200 {
		t.Fatal(status)
	}
	edit := `{"code":"2.000884","name":"Chứng thực chữ ký trong các giấy tờ, văn bản (kể cả việc chứng thực điểm chỉ và trường hợp người yêu cầu chứng thực chữ ký không thể ký, không thể điểm chỉ được)","field":"Chứng thực","level":"commune","processing_time":{"amount":4,"unit":"working_hours"},"supplement_policy":"pause_shift","channels":["in_person"],"active":true}`
	status, body = do(t, "PUT", base+"/api/procedures/2.000884", "application/json", []byte(edit))
	pt, _ := body["procedure"].(map[string]any)["processingTime"].(map[string]any)
	if status != 200 || pt["label"] != "4 giờ làm việc" {
		t.Fatalf("edit: %d %v", status, body)
	}
	status, body = do(t, "PUT", base+"/api/procedures/2.000884", "application/json", []byte(strings.Replace(edit, `"amount":4`, `"amount":-1`, 1)))
	if status != 422 {
		t.Fatalf("invalid edit: %d %v", status, body)
	}
}

func TestHolidayOverrideOverHTTP(t *testing.T) {
	base := configured(t)
	raw, err := os.ReadFile("../calendar/testdata/override-2026.json")
	if err != nil {
		t.Fatal(err)
	}
	status, body := do(t, "PUT", base+"/api/calendar/overrides/2026", "application/json", raw)
	if status != 200 || body["override"] == nil || len(body["makeUpDays"].([]any)) != 1 {
		t.Fatalf("put: %d %v", status, body)
	}
	status, body = do(t, "PUT", base+"/api/calendar/overrides/2026", "application/json",
		[]byte(`{"year":2026,"days_off":[{"date":"2026-08-31"}],"working_days":[{"date":"2026-08-31"}]}`))
	if status != 422 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "vừa là ngày nghỉ vừa là ngày làm việc") {
		t.Fatalf("contradiction: %d %v", status, body)
	}
	status, body = do(t, "GET", base+"/api/calendar/2026", "", nil)
	if status != 200 || body["override"] == nil {
		t.Fatalf("get: %d %v", status, body)
	}
	status, body = do(t, "DELETE", base+"/api/calendar/overrides/2026", "", nil)
	if status != 200 || body["override"] != nil {
		t.Fatalf("delete: %d %v", status, body)
	}
	if status, _ := do(t, "GET", base+"/api/calendar/abc", "", nil); status != 400 {
		t.Fatal("bad year accepted")
	}
}
