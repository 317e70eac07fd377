package forms

import (
	"fmt"
	"io"
)

// SeparatorSheet writes the sheet a scanning operator puts between two
// documents of one scanning batch: its QR code carries payload (the
// digitisation pipeline's separator code), printed top-left like the
// forms' codes so the pipeline finds it where it looks. The sheet stays in
// the scan as a page of its own; the job lists where the separators were.
func SeparatorSheet(w io.Writer, payload string) error {
	bc, err := qrSymbol(payload)
	if err != nil {
		return fmt.Errorf("separator sheet: %w", err)
	}
	pdf := newA4("P")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetTitle(nfc("Tờ tách tài liệu"), true)
	pdf.AddPage()
	side := 40.0
	drawQR(pdf, bc, marginLeft, stripTop, side)
	pdf.SetFont(fontFamily, "B", 28)
	pdf.SetXY(marginLeft+side+8, stripTop+8)
	pdf.CellFormat(0, 14, nfc("TỜ TÁCH TÀI LIỆU"), "", 2, "L", false, 0, "")
	pdf.SetFont(fontFamily, "", 13)
	pdf.SetX(marginLeft + side + 8)
	pdf.MultiCell(0, 6.5, nfc("Đặt tờ này giữa hai tài liệu khi quét một lô. Phần mềm Một Cửa Xã nhận ra mã QR và tách lô tại đây."), "", "L", false)
	pdf.SetY(stripTop + side + 20)
	pdf.SetFont(fontFamily, "", 12)
	pdf.MultiCell(0, 6, nfc("Không viết, đóng dấu hoặc ghim lên vùng mã QR. In lại tờ mới khi mã bị nhòe hoặc rách."), "", "L", false)
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("separator sheet: %w", err)
	}
	return nil
}
