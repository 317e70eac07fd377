package scanning

import (
	"testing"

	"motcua/app/forms"
	"motcua/internal/scantest"
)

func TestDecodeQRAndBinding(t *testing.T) {
	receipt := forms.QRPayload{DossierCode: "000.00.06.H56-260305-0001", ProcedureCode: "1.001193", Form: 1, Set: forms.Set03_2025}.String()
	tests := []struct {
		name    string
		dpi     float64
		payload string
		module  float64 // mm, as printed
		dossier string  // "" when the page binds nothing
	}{
		{"receipt at 300 dpi", 300, receipt, 0.5, "000.00.06.H56-260305-0001"},
		{"receipt at 150 dpi", 150, receipt, 0.5, "000.00.06.H56-260305-0001"},
		{"citizen ID card QR", 300, "079186004321|321456789|Nguyễn Văn An|01011986|Nam|Ấp 3, xã An Bình|15062021", 0.5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := render(t, scantest.Page(6, 20), tt.dpi)
			module := int(tt.module / 25.4 * tt.dpi)
			if err := scantest.DrawQR(g, tt.payload, g.Rect.Dx()-int(60/25.4*tt.dpi), int(12/25.4*tt.dpi), module); err != nil {
				t.Fatal(err)
			}
			qrs := DecodeQR(g, tt.dpi)
			if len(qrs) != 1 || qrs[0] != tt.payload {
				t.Fatalf("DecodeQR = %q, want [%q]", qrs, tt.payload)
			}
			b, ok := Binding(qrs)
			if ok != (tt.dossier != "") || b.DossierCode != tt.dossier {
				t.Errorf("Binding = %+v, %v; want dossier %q", b, ok, tt.dossier)
			}
		})
	}
	if qrs := DecodeQR(render(t, scantest.Page(7, 20), 200), 200); len(qrs) != 0 {
		t.Errorf("page without QR: %q", qrs)
	}
}

// TestDecodeQRAnyScale: a cover sheet's code is read whatever its module
// size in pixels; the decoder alone missed some of these (0.6 mm modules at
// 200 dpi, 0.25–0.5 mm at 300 dpi).
func TestDecodeQRAnyScale(t *testing.T) {
	payload := forms.QRPayload{DossierCode: "000.00.06.H56-261122-0001", ProcedureCode: "2.000815"}.String()
	for _, dpi := range []float64{150, 200, 300} {
		for module := 3; module <= 6; module++ {
			g := render(t, []string{"PHIẾU BÌA HỒ SƠ", "Mã hồ sơ: 000.00.06.H56-261122-0001"}, dpi)
			if err := scantest.DrawQR(g, payload, g.Rect.Dx()-int(45*dpi/25.4), int(10*dpi/25.4), module); err != nil {
				t.Fatal(err)
			}
			if got := DecodeQR(g, dpi); len(got) != 1 || got[0] != payload {
				t.Errorf("%v dpi, %d px modules: %q", dpi, module, got)
			}
		}
	}
}
