package forms

import (
	"errors"
	"testing"
)

func TestQRPayloadRoundTrip(t *testing.T) {
	tests := []struct {
		p    QRPayload
		text string
	}{
		{
			QRPayload{DossierCode: "000.00.06.H56-231027-0361", ProcedureCode: "1.001193", Set: Set03_2025, Form: 1},
			"MHS:000.00.06.H56-231027-0361;TTHC:1.001193;MAU:01;TT:03/2025",
		},
		{
			QRPayload{DossierCode: "H56.22-260101-0001", ProcedureCode: "2.000815.000.00.00.H61", Set: Set01_2018, Form: 5},
			"MHS:H56.22-260101-0001;TTHC:2.000815.000.00.00.H61;MAU:05;TT:01/2018",
		},
		{QRPayload{DossierCode: "X-1"}, "MHS:X-1"},
	}
	for _, tc := range tests {
		if got := tc.p.String(); got != tc.text {
			t.Errorf("String() = %q, want %q", got, tc.text)
		}
		got, err := ParseQRPayload(tc.text)
		if err != nil || got != tc.p {
			t.Errorf("ParseQRPayload(%q) = %+v, %v; want %+v", tc.text, got, err, tc.p)
		}
	}
}

func TestParseQRPayload(t *testing.T) {
	tests := []struct {
		in      string
		want    QRPayload
		wantErr bool
	}{
		{in: "MHS:A-1;TTHC:1.2\r\n", want: QRPayload{DossierCode: "A-1", ProcedureCode: "1.2"}},
		{in: "mhs:A-1;tthc:1.2", want: QRPayload{DossierCode: "A-1", ProcedureCode: "1.2"}},
		{in: "MHS:A-1;NEW:whatever;TT:03/2025", want: QRPayload{DossierCode: "A-1", Set: Set03_2025}},
		{in: "", wantErr: true},
		{in: "A-1", wantErr: true},
		{in: "https://dichvucong.gov.vn/?mhs=A-1", wantErr: true},
		{in: "MHS:", wantErr: true},
		{in: "MHS:A-1;TTHC", wantErr: true},
		{in: "MHS:A-1;MAU:x", wantErr: true},
		{in: "MHS:A-1;MAU:-2", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParseQRPayload(tc.in)
		if tc.wantErr {
			if !errors.Is(err, ErrInvalidQR) {
				t.Errorf("ParseQRPayload(%q) err = %v, want ErrInvalidQR", tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseQRPayload(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}
