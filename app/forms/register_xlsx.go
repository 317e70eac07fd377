package forms

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Layout of the XLSX register: rows 1–5 hold the heading, registerHeaderRow
// and the row below it the two-level column header, data follow.
const (
	registerSheet     = "Sổ theo dõi hồ sơ"
	registerHeaderRow = 7
	registerFirstData = registerHeaderRow + 2
	registerDateFmt   = "dd/mm/yyyy hh:mm"
)

// RegisterXLSX writes Sổ theo dõi hồ sơ as a spreadsheet, for offices that
// keep the register electronically (no paper printout is then required, but
// every column must be there).
func (r *Renderer) RegisterXLSX(w io.Writer, d Register) error {
	form, err := r.set.FormOf(KindRegister)
	if err != nil {
		return err
	}
	if err := d.validate(); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := r.fillRegister(f, form, d); err != nil {
		return fmt.Errorf("build register xlsx: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write register xlsx: %w", err)
	}
	return nil
}

func colName(i int) string {
	name, _ := excelize.ColumnNumberToName(i + 1)
	return name
}

func cellName(col, row int) string {
	return fmt.Sprintf("%s%d", colName(col), row)
}

// excelTime moves the wall-clock time into UTC, because excelize converts
// absolute instants and the sheet must show the office's local time.
func (r *Renderer) excelTime(t time.Time) time.Time {
	t = r.in(t)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

// xlsxWriter collects the first error so that the layout code stays readable.
type xlsxWriter struct {
	f     *excelize.File
	sheet string
	err   error
}

func (x *xlsxWriter) do(err error) {
	if x.err == nil && err != nil {
		x.err = err
	}
}

func (x *xlsxWriter) style(s *excelize.Style) int {
	id, err := x.f.NewStyle(s)
	x.do(err)
	return id
}

func (x *xlsxWriter) set(cell string, v any, style int) {
	if s, ok := v.(string); ok {
		v = nfc(s)
	}
	x.do(x.f.SetCellValue(x.sheet, cell, v))
	x.do(x.f.SetCellStyle(x.sheet, cell, cell, style))
}

// merged writes v into a merged range and styles every cell of it, so that
// borders show on the whole range.
func (x *xlsxWriter) merged(from, to string, v any, style int) {
	x.do(x.f.MergeCell(x.sheet, from, to))
	x.set(from, v, style)
	x.do(x.f.SetCellStyle(x.sheet, from, to, style))
}

func (r *Renderer) fillRegister(f *excelize.File, form Form, d Register) error {
	x := &xlsxWriter{f: f, sheet: registerSheet}
	x.do(f.SetSheetName(f.GetSheetName(0), registerSheet))
	last := len(registerCols) - 1
	const family = "Times New Roman"

	border := []excelize.Border{
		{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1},
	}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
	plain := x.style(&excelize.Style{Font: &excelize.Font{Family: family, Size: 12}, Alignment: center})
	bold := x.style(&excelize.Style{Font: &excelize.Font{Family: family, Size: 12, Bold: true}, Alignment: center})
	motto := x.style(&excelize.Style{Font: &excelize.Font{Family: family, Size: 13, Bold: true, Underline: "single"}, Alignment: center})
	title := x.style(&excelize.Style{Font: &excelize.Font{Family: family, Size: 14, Bold: true}, Alignment: center})
	italic := x.style(&excelize.Style{Font: &excelize.Font{Family: family, Size: 12, Italic: true}, Alignment: center})
	label := x.style(&excelize.Style{Font: &excelize.Font{Family: family, Size: 10, Italic: true},
		Alignment: &excelize.Alignment{Horizontal: "right"}})
	head := x.style(&excelize.Style{Font: &excelize.Font{Family: family, Size: 11, Bold: true}, Alignment: center, Border: border})
	dateFmt := registerDateFmt
	cellStyle := map[string]int{
		"L": x.style(&excelize.Style{Font: &excelize.Font{Family: family, Size: 11}, Border: border,
			Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}}),
		"C": x.style(&excelize.Style{Font: &excelize.Font{Family: family, Size: 11}, Border: border,
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "top", WrapText: true}}),
	}
	dateStyle := x.style(&excelize.Style{Font: &excelize.Font{Family: family, Size: 11}, Border: border,
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "top", WrapText: true}, CustomNumFmt: &dateFmt})

	// Heading: agency names left, national name and motto right, title.
	split := registerGroupFirst - 1 // left block spans A..split-1
	x.merged(cellName(0, 1), cellName(split-1, 1), strings.ToUpper(nfc(r.office.ParentName)), plain)
	x.merged(cellName(0, 2), cellName(split-1, 2), strings.ToUpper(nfc(r.office.UnitName)), bold)
	x.merged(cellName(split, 1), cellName(last, 1), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold)
	x.merged(cellName(split, 2), cellName(last, 2), "Độc lập - Tự do - Hạnh phúc", motto)
	x.merged(cellName(split, 3), cellName(last, 3), form.Label()+" – "+r.set.Source(), label)
	x.merged(cellName(0, 4), cellName(last, 4), form.Title, title)
	if s := d.subtitle(); s != "" {
		x.merged(cellName(0, 5), cellName(last, 5), s, italic)
	}

	// Column header: single columns span both rows; the group spans four.
	for i, c := range registerCols {
		top, bottom := cellName(i, registerHeaderRow), cellName(i, registerHeaderRow+1)
		if i >= registerGroupFirst && i <= registerGroupLast {
			x.set(bottom, c.title, head)
			continue
		}
		x.merged(top, bottom, c.title, head)
	}
	x.merged(cellName(registerGroupFirst, registerHeaderRow), cellName(registerGroupLast, registerHeaderRow),
		registerGroup, head)
	x.do(f.SetRowHeight(registerSheet, registerHeaderRow+1, 32))

	for i, row := range d.Rows {
		n := registerFirstData + i
		values := []any{
			rowNo(row, i), row.DossierCode, row.ProcedureName, row.ApplicantName, addressPhone(row),
			row.LeadAgency, row.ReceivedAt, row.DueAt, row.ReturnedAt, row.ReturnMethod, "",
		}
		for c, v := range values {
			cell := cellName(c, n)
			if t, ok := v.(time.Time); ok {
				if t.IsZero() {
					x.set(cell, "", dateStyle)
				} else {
					x.set(cell, r.excelTime(t), dateStyle)
				}
				continue
			}
			x.set(cell, v, cellStyle[registerCols[c].align])
		}
	}

	widths := []float64{6, 28, 36, 24, 28, 22, 17, 17, 17, 16, 14}
	for i, wd := range widths {
		x.do(f.SetColWidth(registerSheet, colName(i), colName(i), wd))
	}
	x.do(f.SetPanes(registerSheet, &excelize.Panes{
		Freeze: true, YSplit: registerFirstData - 1,
		TopLeftCell: cellName(0, registerFirstData), ActivePane: "bottomLeft",
	}))
	orientation, size, fit, fitH := "landscape", 9, 1, 0 // 9 = A4
	x.do(f.SetPageLayout(registerSheet, &excelize.PageLayoutOptions{
		Size: &size, Orientation: &orientation, FitToWidth: &fit, FitToHeight: &fitH,
	}))
	// Repeat the column header on every printed page.
	x.do(f.SetDefinedName(&excelize.DefinedName{
		Name:     "_xlnm.Print_Titles",
		RefersTo: fmt.Sprintf("'%s'!$%d:$%d", registerSheet, registerHeaderRow, registerHeaderRow+1),
		Scope:    registerSheet,
	}))
	return x.err
}
