package dvcqg

import (
	"strings"
	"testing"
	"time"

	"motcua/sync/wire"
)

func base() wire.Dossier {
	return wire.Dossier{
		Code: "000.17.22.H56-260302-0001", CommuneCode: "000.17.22.H56",
		Procedure:  wire.Procedure{Code: "2.000815", Name: "Chứng thực bản sao"},
		Applicant:  wire.Applicant{Name: "Công ty TNHH An Bình", IDNumber: "2801234567", Kind: wire.ApplicantEnterprise},
		Channel:    wire.ChannelPostal,
		ReceivedAt: time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC),
	}
}

func TestMap(t *testing.T) {
	tests := []struct {
		name  string
		in    func() Input
		check func(h HoSo) string
	}{
		{"enterprise goes to MaDoiTuong, not DinhDanhCHS", func() Input { return Input{Dossier: base(), NationalStatus: 2} },
			func(h HoSo) string {
				if h.LoaiDoiTuong != "2" || h.MaDoiTuong != "2801234567" || len(h.DinhDanhCHS) != 0 || h.KenhThucHien != "3" {
					return "enterprise mapping"
				}
				return ""
			}},
		{"9-digit ID", func() Input {
			d := base()
			d.Applicant = wire.Applicant{Name: "A", IDNumber: "123456789", Kind: wire.ApplicantPerson}
			return Input{Dossier: d, NationalStatus: 2}
		}, func(h HoSo) string {
			if len(h.DinhDanhCHS) != 1 || h.DinhDanhCHS[0].LoaiDinhDanh != "2" {
				return "LoaiDinhDanh"
			}
			return ""
		}},
		{"refusal date and summary fallback", func() Input {
			return Input{Dossier: base(), NationalStatus: 3, Steps: []Step{{ID: "x", Action: "refuse", Reason: "Thiếu",
				At: time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)}}}
		}, func(h HoSo) string {
			if h.NgayTuChoi != "20260302090000" || h.TrangThaiHoSo != "3" || h.TrichYeuHoSo != "Chứng thực bản sao" || h.HinhThuc != "0" {
				return "refusal"
			}
			return ""
		}},
		{"summary truncated to 1000 characters", func() Input {
			d := base()
			d.Summary = strings.Repeat("ữ", 1200)
			return Input{Dossier: d, NationalStatus: 2}
		}, func(h HoSo) string {
			if n := len([]rune(h.TrichYeuHoSo)); n != 1000 {
				return "truncation"
			}
			return ""
		}},
		{"lists are empty arrays, not null", func() Input { return Input{Dossier: base(), NationalStatus: 2} },
			func(h HoSo) string {
				if h.TaiLieuNop == nil || h.DanhSachLePhi == nil || h.DanhSachHoSoBoSung == nil || h.DanhSachGiayToKetQua == nil {
					return "nil lists"
				}
				return ""
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Map(tt.in())
			if problem := tt.check(h); problem != "" {
				t.Fatalf("%s: %+v", problem, h)
			}
		})
	}
}
