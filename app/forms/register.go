package forms

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// The register's columns, shared by the PDF and the XLSX versions. Columns
// from groupFirst to groupLast sit under the merged "Nhận và trả kết quả".
var registerCols = []struct {
	title string
	w     float64 // width in the PDF in mm, scaled to the text width
	align string
}{
	{"STT", 10, "C"},
	{"Mã hồ sơ", 45, "C"}, // a provincial code fits on one line at 10 pt
	{"Tên TTHC", 30, "L"},
	{"Tên tổ chức, cá nhân", 33, "L"},
	{"Địa chỉ, số điện thoại", 27, "L"},
	{"Cơ quan chủ trì giải quyết", 20, "L"},
	{"Nhận hồ sơ", 20, "C"},
	{"Hẹn trả kết quả", 20, "C"},
	{"Trả kết quả", 20, "C"},
	{"Phương thức nhận kết quả", 21, "C"},
	{"Ký nhận", 14, "C"},
}

const (
	registerGroup      = "Nhận và trả kết quả"
	registerGroupFirst = 6
	registerGroupLast  = 9
)

func (d Register) validate() error {
	for i, row := range d.Rows {
		if row.DossierCode == "" {
			return invalid("register row %d: missing dossier code", i+1)
		}
	}
	return nil
}

// subtitle is the line under the register title.
func (d Register) subtitle() string {
	var parts []string
	if d.Field != "" {
		parts = append(parts, "Lĩnh vực: "+d.Field)
	}
	if d.Book != "" {
		parts = append(parts, "Quyển số: "+d.Book)
	}
	return strings.Join(parts, "     ")
}

func rowNo(row RegisterRow, i int) int {
	if row.No > 0 {
		return row.No
	}
	return i + 1
}

func addressPhone(row RegisterRow) string {
	switch {
	case row.Address == "":
		return row.Phone
	case row.Phone == "":
		return row.Address
	}
	return row.Address + "; ĐT: " + row.Phone
}

// RegisterPDF prints Sổ theo dõi hồ sơ on A4 landscape.
func (r *Renderer) RegisterPDF(w io.Writer, d Register) error {
	form, err := r.set.FormOf(KindRegister)
	if err != nil {
		return err
	}
	if err := d.validate(); err != nil {
		return err
	}
	doc := r.newDoc(form, true, "")
	// Eleven columns on one landscape page need a smaller face.
	doc.tsize, doc.tline = 10, 4.6
	y, err := doc.codes(QRPayload{})
	if err != nil {
		return err
	}
	placeDate := ""
	if !d.IssuedAt.IsZero() {
		placeDate = r.placeDate(d.IssuedAt)
	}
	doc.header(y, d.Number, "STD-TTPVHCC", placeDate)
	if s := d.subtitle(); s != "" {
		doc.title(s)
	} else {
		doc.title()
	}

	ws := make([]float64, len(registerCols))
	var total float64
	for _, c := range registerCols {
		total += c.w
	}
	for i, c := range registerCols {
		ws[i] = c.w / total * doc.width
	}
	aligns := make([]string, len(registerCols))
	for i, c := range registerCols {
		aligns[i] = c.align
	}
	cell := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		t = r.in(t)
		return t.Format("02/01/2006") + "\n" + t.Format("15:04")
	}
	rows := make([][]string, len(d.Rows))
	for i, row := range d.Rows {
		rows[i] = []string{
			fmt.Sprint(rowNo(row, i)), row.DossierCode, row.ProcedureName, row.ApplicantName,
			addressPhone(row), row.LeadAgency,
			cell(row.ReceivedAt), cell(row.DueAt), cell(row.ReturnedAt), row.ReturnMethod, "",
		}
	}
	doc.registerHeader(ws)
	for _, cells := range rows {
		// Leave room to sign in the last column.
		h := max(doc.rowHeight("", ws, cells), 12)
		if doc.y()+h > doc.pageBottom() {
			doc.pdf.AddPage()
			doc.registerHeader(ws)
		}
		doc.row("", ws, cells, aligns, h)
	}
	return doc.finish(w)
}

// registerHeader draws the two-row header with the merged group cell.
func (doc *doc) registerHeader(ws []float64) {
	doc.font("B", doc.tsize)
	titles := make([]string, len(registerCols))
	for i, c := range registerCols {
		titles[i] = c.title
	}
	subH := doc.rowHeight("B", ws[registerGroupFirst:registerGroupLast+1], titles[registerGroupFirst:registerGroupLast+1])
	groupH := doc.tline + 2*cellPadY
	fullH := max(doc.rowHeight("B", ws, titles), groupH+subH)
	subH = fullH - groupH
	doc.ensure(fullH + 14)
	doc.font("B", doc.tsize)
	doc.pdf.SetLineWidth(0.25)
	x, y := marginLeft, doc.y()
	for i, w := range ws {
		top, h := y, fullH
		if i >= registerGroupFirst && i <= registerGroupLast {
			top, h = y+groupH, subH
		}
		doc.pdf.Rect(x, top, w, h, "D")
		lines := doc.lines(titles[i], w-2*cellPadX)
		ty := top + (h-float64(len(lines))*doc.tline)/2
		for _, l := range lines {
			doc.textAt(x+cellPadX, ty, w-2*cellPadX, doc.tline, l, "C")
			ty += doc.tline
		}
		if i == registerGroupFirst {
			var gw float64
			for _, w := range ws[registerGroupFirst : registerGroupLast+1] {
				gw += w
			}
			doc.pdf.Rect(x, y, gw, groupH, "D")
			doc.textAt(x, y+cellPadY, gw, doc.tline, registerGroup, "C")
		}
		x += w
	}
	doc.setY(y + fullH)
}
