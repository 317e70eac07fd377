package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"motcua/sync/hub/dvcqg"
	"motcua/sync/wire"
)

func (e *env) export(cursor string) ExportPage {
	e.t.Helper()
	path := "/admin/v1/export/dvcqg?limit=50"
	if cursor != "" {
		path += "&cursor=" + cursor
	}
	r, _ := http.NewRequest(http.MethodGet, e.http.URL+path, nil)
	r.Header.Set("Authorization", "Bearer "+adminToken)
	a := send(e.t, r)
	var p ExportPage
	if a.status != http.StatusOK || json.Unmarshal(a.body, &p) != nil {
		e.t.Fatalf("export: %d %s", a.status, a.body)
	}
	return p
}

// TestNationalExport follows one dossier through reception, a hub-side
// supplement request, the commune receiving the supplement, the result and
// its return, and checks the DongBoHoSoMC record the province pulls.
func TestNationalExport(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	ctx := context.Background()
	scan := randomBytes(4000)
	c.upload(scan, 4000)
	d := dossier(communeA, ref(scan))
	d.ReturnMethod = wire.ReturnPost
	c.push(wire.PushRequest{Dossiers: []wire.Dossier{d}})

	page := e.export("")
	if len(page.Data) != 1 || page.Service != "DongBoHoSoMC" || page.More {
		t.Fatalf("first export: %+v", page)
	}
	h := page.Data[0]
	want := map[string]string{
		"MaHoSo": d.Code, "MaTTHC": "1.001193", "TenTTHC": "Đăng ký khai sinh", "MaLinhVuc": "HT",
		"KenhThucHien": "1", "LoaiDoiTuong": "1", "ChuHoSo": "Nguyễn Thị Hoà", "SoGiayToChuHoSo": "038190001234",
		"NgayTiepNhan": "20260302081500", "NgayNopHoSo": "20260302081500", "NgayHenTra": "20260304163000",
		"TrangThaiHoSo": "2", "HinhThuc": "1", "NgayTra": "",
	}
	got := map[string]string{
		"MaHoSo": h.MaHoSo, "MaTTHC": h.MaTTHC, "TenTTHC": h.TenTTHC, "MaLinhVuc": h.MaLinhVuc,
		"KenhThucHien": h.KenhThucHien, "LoaiDoiTuong": h.LoaiDoiTuong, "ChuHoSo": h.ChuHoSo, "SoGiayToChuHoSo": h.SoGiayToChuHoSo,
		"NgayTiepNhan": h.NgayTiepNhan, "NgayNopHoSo": h.NgayNopHoSo, "NgayHenTra": h.NgayHenTra,
		"TrangThaiHoSo": h.TrangThaiHoSo, "HinhThuc": h.HinhThuc, "NgayTra": h.NgayTra,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(h.DinhDanhCHS) != 1 || h.DinhDanhCHS[0].LoaiDinhDanh != "1" || h.HoSoCoThanhPhanSoHoa != 1 {
		t.Errorf("identity/digitised: %+v %d", h.DinhDanhCHS, h.HoSoCoThanhPhanSoHoa)
	}
	if len(h.TaiLieuNop) != 2 || h.TaiLieuNop[1].TepDinhKemId != wire.SumHex(scan) || h.TaiLieuNop[1].DuocSoHoa != 1 ||
		h.TaiLieuNop[0].DuocLayTuKhoDMQG != 1 || !strings.HasPrefix(h.TaiLieuNop[1].DuongDanTaiTepTin, "https://hub.example/") {
		t.Errorf("TaiLieuNop: %+v", h.TaiLieuNop)
	}
	if len(h.DanhSachLePhi) != 1 || h.DanhSachLePhi[0].Gia != 8000 || h.DanhSachLePhi[0].LoaiPhiLePhi != "2" {
		t.Errorf("DanhSachLePhi: %+v", h.DanhSachLePhi)
	}
	cursor := page.Cursor
	if p := e.export(cursor); len(p.Data) != 0 || p.Cursor != cursor {
		t.Fatalf("export after the cursor: %d records, cursor %q", len(p.Data), p.Cursor)
	}

	// Processing on the hub, supplement at the commune, result, return.
	if _, err := e.srv.RecordChange(ctx, ChangeInput{DossierID: d.ID, Kind: wire.ChangeStatus, Action: "request_supplement",
		To: "awaiting_supplement", NationalStatus: wire.StatusSupplement, Actor: "s-01", ActorName: "Lê Thu Hà",
		Agency: &wire.Agency{Code: "000.00.12.H56", Name: "Sở Tư pháp"}, SupplementItems: []string{"Giấy chứng sinh bản rõ"}}); err != nil {
		t.Fatal(err)
	}
	supp := event(d, "supplement_received", "awaiting_supplement", "received", wire.StatusReceived)
	supp.At = time.Date(2026, 3, 3, 10, 0, 0, 0, ict)
	prev, next := time.Date(2026, 3, 4, 16, 30, 0, 0, ict), time.Date(2026, 3, 5, 16, 30, 0, 0, ict)
	supp.PrevDueAt, supp.DueAt = &prev, &next
	supp.SupplementItems = []string{"Giấy chứng sinh bản rõ"}
	if resp, _ := c.push(wire.PushRequest{Events: []wire.Event{supp}}); resp.Events[0].Outcome != wire.OutcomeCreated {
		t.Fatalf("supplement: %+v", resp.Events[0])
	}
	paper, err := e.srv.PutBlob(ctx, strings.NewReader("giấy khai sinh"), "application/pdf", "gks.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.RecordChange(ctx, ChangeInput{DossierID: d.ID, Kind: wire.ChangeResult, Action: "record_result",
		To: "result_ready", NationalStatus: wire.StatusDone, Actor: "s-01",
		Results: []wire.ResultPaper{{Code: "KQ-GKS", Name: "Giấy khai sinh", Blob: paper}}}); err != nil {
		t.Fatal(err)
	}
	ret := event(d, "return_result", "result_ready", "returned", wire.StatusResultsReturned)
	ret.At = time.Date(2026, 3, 5, 9, 30, 0, 0, ict)
	ret.ReturnMethod, ret.ReceiverName = wire.ReturnPost, "Nguyễn Thị Hoà"
	if resp, _ := c.push(wire.PushRequest{Events: []wire.Event{ret}}); resp.Events[0].Outcome != wire.OutcomeCreated {
		t.Fatalf("return: %+v", resp.Events[0])
	}

	page = e.export(cursor)
	if len(page.Data) != 1 {
		t.Fatalf("changed dossier exported %d times, want once", len(page.Data))
	}
	h = page.Data[0]
	if h.TrangThaiHoSo != "10" || h.NgayTra != "20260305093000" || h.NgayHenTra != "20260305163000" ||
		h.DonViXuLy != "Sở Tư pháp" || h.ThongTinTra != "Nguyễn Thị Hoà" || h.NgayKetThucXuLy == "" {
		t.Errorf("after processing: TrangThai %s NgayTra %s NgayHenTra %s DonVi %q ThongTinTra %q KetThuc %q",
			h.TrangThaiHoSo, h.NgayTra, h.NgayHenTra, h.DonViXuLy, h.ThongTinTra, h.NgayKetThucXuLy)
	}
	if len(h.DanhSachHoSoBoSung) != 1 {
		t.Fatalf("DanhSachHoSoBoSung: %+v", h.DanhSachHoSoBoSung)
	}
	bs := h.DanhSachHoSoBoSung[0]
	if bs.NguoiYeuCauBoSung != "Lê Thu Hà" || bs.TrangThaiBoSung != "1" || bs.NgayTiepNhanBoSung != "20260303100000" ||
		bs.NgayHenTraTruoc != "20260304163000" || bs.NgayHenTraMoi != "20260305163000" {
		t.Errorf("supplement round: %+v", bs)
	}
	if len(h.DanhSachGiayToKetQua) != 1 || h.DanhSachGiayToKetQua[0].GiayToId != paper.SHA256 || h.DanhSachGiayToKetQua[0].MaGiayToKetQua != "KQ-GKS" {
		t.Errorf("results: %+v", h.DanhSachGiayToKetQua)
	}
	r, _ := http.NewRequest(http.MethodGet, e.http.URL+"/admin/v1/export/dvcqg?cursor=garbage", nil)
	r.Header.Set("Authorization", "Bearer "+adminToken)
	if a := send(t, r); a.status != http.StatusUnprocessableEntity {
		t.Fatalf("garbage cursor: %d %s", a.status, a.body)
	}
}

// TestExportDates pins the national date format: Vietnam time whatever
// zone the time was recorded in.
func TestExportDates(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 3, 2, 1, 15, 0, 0, time.UTC), "20260302081500"},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), "20270101065959"},
		{time.Date(2026, 3, 2, 8, 15, 0, 0, ict), "20260302081500"},
		{time.Time{}, ""},
	}
	for _, tt := range tests {
		if got := dvcqg.FormatTime(tt.in); got != tt.want {
			t.Errorf("FormatTime(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
