// Package dvcqg maps the hub's dossiers to the record the national public
// service portal (Cổng DVCQG) receives through its DongBoHoSoMC service: the
// field names of regulations.md §6, national codes for status, channel,
// applicant kind and return method, and dates as yyyyMMddHHmmss in Vietnam
// time.
//
// The field names are those used by provincial systems that feed the portal;
// the value encoding (codes as strings, flags as 0/1) follows the same
// systems because the TT 04/2025/TT-VPCP data appendix was not available.
// Check it against that appendix before connecting to the real portal.
package dvcqg

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"motcua/sync/wire"
)

// Service is the portal service this record is for.
const Service = "DongBoHoSoMC"

// DateLayout is the portal's date-time format.
const DateLayout = "20060102150405"

// vietnam is Asia/Ho_Chi_Minh. A fixed UTC+7 is exact for every date since
// 1975 and needs no tzdata on the hub.
var vietnam = time.FixedZone("ICT", 7*3600)

// FormatTime renders t for the portal; the zero time is "".
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(vietnam).Format(DateLayout)
}

func formatPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return FormatTime(*t)
}

// HoSo is one dossier in the portal's DongBoHoSoMC field set.
type HoSo struct {
	MaHoSo                 string         `json:"MaHoSo"`
	MaTTHC                 string         `json:"MaTTHC"`
	TenTTHC                string         `json:"TenTTHC"`
	MaLinhVuc              string         `json:"MaLinhVuc"`
	TenLinhVuc             string         `json:"TenLinhVuc"`
	KenhThucHien           string         `json:"KenhThucHien"`
	ChuHoSo                string         `json:"ChuHoSo"`
	LoaiDoiTuong           string         `json:"LoaiDoiTuong"`
	MaDoiTuong             string         `json:"MaDoiTuong"`
	SoGiayToChuHoSo        string         `json:"SoGiayToChuHoSo"`
	ThongTinKhac           string         `json:"ThongTinKhac"`
	Email                  string         `json:"Email"`
	Fax                    string         `json:"Fax"`
	SoDienThoai            string         `json:"SoDienThoai"`
	TrichYeuHoSo           string         `json:"TrichYeuHoSo"`
	NgayNopHoSo            string         `json:"NgayNopHoSo"`
	NgayTiepNhan           string         `json:"NgayTiepNhan"`
	NgayHenTra             string         `json:"NgayHenTra"`
	TrangThaiHoSo          string         `json:"TrangThaiHoSo"`
	NgayTra                string         `json:"NgayTra"`
	ThongTinTra            string         `json:"ThongTinTra"`
	HinhThuc               string         `json:"HinhThuc"`
	NgayKetThucXuLy        string         `json:"NgayKetThucXuLy"`
	DonViXuLy              string         `json:"DonViXuLy"`
	GhiChu                 string         `json:"GhiChu"`
	NgayTuChoi             string         `json:"NgayTuChoi"`
	NoiNopHoSo             string         `json:"NoiNopHoSo"`
	HoSoCoThanhPhanSoHoa   int            `json:"HoSoCoThanhPhanSoHoa"`
	TaiLieuNop             []TaiLieu      `json:"TaiLieuNop"`
	DanhSachLePhi          []LePhi        `json:"DanhSachLePhi"`
	DanhSachHoSoBoSung     []HoSoBoSung   `json:"DanhSachHoSoBoSung"`
	DanhSachGiayToKetQua   []GiayToKetQua `json:"DanhSachGiayToKetQua"`
	DinhDanhCHS            []DinhDanh     `json:"DinhDanhCHS"`
	DanhSachTepDinhKemKhac []TaiLieu      `json:"DanhSachTepDinhKemKhac"`
}

// TaiLieu is one submitted paper (TaiLieuNop[]).
type TaiLieu struct {
	TepDinhKemId      string `json:"TepDinhKemId"`
	TenTepDinhKem     string `json:"TenTepDinhKem"`
	IsDeleted         bool   `json:"IsDeleted"`
	MaThanhPhanHoSo   string `json:"MaThanhPhanHoSo"`
	DuongDanTaiTepTin string `json:"DuongDanTaiTepTin"`
	DuocSoHoa         int    `json:"DuocSoHoa"`
	DuocTaiSuDung     int    `json:"DuocTaiSuDung"`
	DuocLayTuKhoDMQG  int    `json:"DuocLayTuKhoDMQG"`
	MaKetQuaThayThe   string `json:"MaKetQuaThayThe"`
}

// LePhi is one fee or charge (DanhSachLePhi[]).
type LePhi struct {
	TenPhiLePhi  string `json:"TenPhiLePhi"`
	MaPhiLePhi   string `json:"MaPhiLePhi"`
	HinhThucThu  string `json:"HinhThucThu"`
	Gia          int64  `json:"Gia"`
	LoaiPhiLePhi string `json:"LoaiPhiLePhi"` // 1 phí, 2 lệ phí
}

// HoSoBoSung is one supplementation round (DanhSachHoSoBoSung[]).
type HoSoBoSung struct {
	HoSoBoSungId        string `json:"HoSoBoSungId"`
	NguoiYeuCauBoSung   string `json:"NguoiYeuCauBoSung"`
	NoiDungBoSung       string `json:"NoiDungBoSung"`
	NgayBoSung          string `json:"NgayBoSung"`
	NguoiTiepNhanBoSung string `json:"NguoiTiepNhanBoSung"`
	ThongTinTiepNhan    string `json:"ThongTinTiepNhan"`
	NgayTiepNhanBoSung  string `json:"NgayTiepNhanBoSung"`
	TrangThaiBoSung     string `json:"TrangThaiBoSung"` // 0 chờ bổ sung, 1 đã bổ sung
	NgayHenTraTruoc     string `json:"NgayHenTraTruoc"`
	NgayHenTraMoi       string `json:"NgayHenTraMoi"`
}

// GiayToKetQua is one result paper (DanhSachGiayToKetQua[]).
type GiayToKetQua struct {
	TenGiayTo            string `json:"TenGiayTo"`
	MaThanhPhanHoSo      string `json:"MaThanhPhanHoSo"`
	GiayToId             string `json:"GiayToId"`
	DuongDanTepTinKetQua string `json:"DuongDanTepTinKetQua"`
	MaGiayToKetQua       string `json:"MaGiayToKetQua"`
}

// DinhDanh is the applicant's personal ID (DinhDanhCHS[]).
type DinhDanh struct {
	LoaiDinhDanh string `json:"LoaiDinhDanh"` // 1 = 12-digit ID, 2 = 9-digit
	SoDinhDanh   string `json:"SoDinhDanh"`
}

// Step is one thing that happened to the dossier after reception: a
// commune event or a hub-side change, in the order they were stored.
type Step struct {
	ID              string
	Action          string
	At              time.Time
	Actor           string
	ActorName       string
	Agency          *wire.Agency
	Reason          string
	Note            string
	DueAt           *time.Time
	PrevDueAt       *time.Time
	SupplementItems []string
	ReturnMethod    string
	ReceiverName    string
	Results         []wire.ResultPaper
	Components      []wire.Component // papers added by this step (a supplement)
}

// Input is what the hub knows of a dossier.
type Input struct {
	Dossier        wire.Dossier // as the commune sent it
	NationalStatus int          // now
	DueAt          *time.Time   // now
	Steps          []Step
	// FileURL links a blob for the portal; nil leaves links empty.
	FileURL func(sha256 string) string
}

var (
	channelCodes   = map[string]string{wire.ChannelInPerson: "1", wire.ChannelOnline: "2", wire.ChannelPostal: "3"}
	applicantCodes = map[string]string{
		wire.ApplicantPerson: "1", wire.ApplicantEnterprise: "2",
		wire.ApplicantStateAgency: "3", wire.ApplicantOrganisation: "4",
	}
	returnCodes = map[string]string{wire.ReturnInPerson: "0", wire.ReturnPost: "1"}
	feeKinds    = map[string]string{"fee": "1", "charge": "2"}
)

func b01(b bool) int {
	if b {
		return 1
	}
	return 0
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// Map builds the portal record of one dossier.
func Map(in Input) HoSo {
	d := in.Dossier
	link := func(sum string) string {
		if in.FileURL == nil || sum == "" {
			return ""
		}
		return in.FileURL(sum)
	}
	summary := d.Summary
	if summary == "" {
		summary = d.Procedure.Name
	}
	h := HoSo{
		MaHoSo:          d.Code,
		MaTTHC:          d.Procedure.Code,
		TenTTHC:         d.Procedure.Name,
		MaLinhVuc:       d.Procedure.FieldCode,
		TenLinhVuc:      d.Procedure.FieldName,
		KenhThucHien:    channelCodes[d.Channel],
		ChuHoSo:         d.Applicant.Name,
		LoaiDoiTuong:    applicantCodes[d.Applicant.Kind],
		SoGiayToChuHoSo: d.Applicant.IDNumber,
		ThongTinKhac:    d.Applicant.Address,
		Email:           d.Applicant.Email,
		SoDienThoai:     d.Applicant.Phone,
		TrichYeuHoSo:    truncateRunes(summary, 1000),
		NgayNopHoSo:     FormatTime(d.ReceivedAt),
		NgayTiepNhan:    FormatTime(d.ReceivedAt),
		NgayHenTra:      formatPtr(in.DueAt),
		TrangThaiHoSo:   strconv.Itoa(in.NationalStatus),
		HinhThuc:        returnCodes[d.ReturnMethod],
		NoiNopHoSo:      d.CommuneCode,

		TaiLieuNop:             []TaiLieu{},
		DanhSachLePhi:          []LePhi{},
		DanhSachHoSoBoSung:     []HoSoBoSung{},
		DanhSachGiayToKetQua:   []GiayToKetQua{},
		DinhDanhCHS:            []DinhDanh{},
		DanhSachTepDinhKemKhac: []TaiLieu{},
	}
	if h.HinhThuc == "" {
		h.HinhThuc = "0"
	}
	if d.Applicant.Kind != wire.ApplicantPerson {
		h.MaDoiTuong = d.Applicant.IDNumber
	} else if id := d.Applicant.IDNumber; allDigits(id) && (len(id) == 12 || len(id) == 9) {
		kind := "1"
		if len(id) == 9 {
			kind = "2"
		}
		h.DinhDanhCHS = append(h.DinhDanhCHS, DinhDanh{LoaiDinhDanh: kind, SoDinhDanh: id})
	}
	addPapers := func(cs []wire.Component) {
		for _, c := range cs {
			if c.Digitised {
				h.HoSoCoThanhPhanSoHoa = 1
			}
			paper := TaiLieu{
				TenTepDinhKem: c.Name, MaThanhPhanHoSo: c.Code,
				DuocSoHoa: b01(c.Digitised), DuocTaiSuDung: b01(c.Reused), DuocLayTuKhoDMQG: b01(c.FromNationalDB),
			}
			if len(c.Blobs) == 0 {
				h.TaiLieuNop = append(h.TaiLieuNop, paper)
				continue
			}
			for _, b := range c.Blobs {
				p := paper
				p.TepDinhKemId = b.SHA256
				if b.Name != "" {
					p.TenTepDinhKem = b.Name
				}
				p.DuongDanTaiTepTin = link(b.SHA256)
				h.TaiLieuNop = append(h.TaiLieuNop, p)
			}
		}
	}
	addPapers(d.Components)
	for _, f := range d.Fees {
		h.DanhSachLePhi = append(h.DanhSachLePhi, LePhi{
			TenPhiLePhi: f.Name, MaPhiLePhi: f.Code, HinhThucThu: f.Method, Gia: f.Amount, LoaiPhiLePhi: feeKinds[f.Kind],
		})
	}

	open := -1 // index of the supplementation round awaiting the applicant
	for _, s := range in.Steps {
		who := s.ActorName
		if who == "" {
			who = s.Actor
		}
		if s.Agency != nil {
			h.DonViXuLy = s.Agency.Name
			if h.DonViXuLy == "" {
				h.DonViXuLy = s.Agency.Code
			}
		}
		if s.Note != "" {
			h.GhiChu = s.Note
		}
		switch s.Action {
		case "refuse":
			h.NgayTuChoi = FormatTime(s.At)
		case "request_supplement", "receive_incomplete":
			content := strings.Join(s.SupplementItems, "; ")
			if content == "" {
				content = s.Reason
			}
			h.DanhSachHoSoBoSung = append(h.DanhSachHoSoBoSung, HoSoBoSung{
				HoSoBoSungId: s.ID, NguoiYeuCauBoSung: who, NoiDungBoSung: content,
				NgayBoSung: FormatTime(s.At), TrangThaiBoSung: "0",
			})
			open = len(h.DanhSachHoSoBoSung) - 1
		case "supplement_received":
			if open >= 0 {
				b := &h.DanhSachHoSoBoSung[open]
				b.NguoiTiepNhanBoSung = who
				b.ThongTinTiepNhan = strings.Join(s.SupplementItems, "; ")
				b.NgayTiepNhanBoSung = FormatTime(s.At)
				b.TrangThaiBoSung = "1"
				b.NgayHenTraTruoc = formatPtr(s.PrevDueAt)
				b.NgayHenTraMoi = formatPtr(s.DueAt)
				open = -1
			}
		case "record_result":
			h.NgayKetThucXuLy = FormatTime(s.At)
		case "return_result":
			h.NgayTra = FormatTime(s.At)
			h.ThongTinTra = s.ReceiverName
			if code, ok := returnCodes[s.ReturnMethod]; ok {
				h.HinhThuc = code
			}
		}
		addPapers(s.Components)
		for _, r := range s.Results {
			h.DanhSachGiayToKetQua = append(h.DanhSachGiayToKetQua, GiayToKetQua{
				TenGiayTo: r.Name, GiayToId: r.Blob.SHA256, MaGiayToKetQua: r.Code,
				DuongDanTepTinKetQua: link(r.Blob.SHA256),
			})
		}
	}
	return h
}
