package forms

import (
	"fmt"
	"io"
	"strings"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"
)

// Page geometry in mm. The left margin is wider, as in administrative
// documents, so that filed forms can be bound.
const (
	marginLeft   = 22.0
	marginRight  = 15.0
	marginTop    = 14.0 // continuation pages; page 1 places its top strip itself
	marginBottom = 18.0
	stripTop     = 8.0 // top of the QR code and barcode on page 1

	sizeBody   = 12.0
	sizeHeader = 12.0
	sizeTitle  = 14.0
	sizeSmall  = 9.0
	lineBody   = 6.2
)

// doc is one PDF being written. Every string goes through the helpers below,
// which normalise it to NFC: text typed with a decomposed Vietnamese keyboard
// setting (Unicode tổ hợp) would otherwise print loose combining marks.
type doc struct {
	r     *Renderer
	pdf   *fpdf.Fpdf
	form  Form
	code  string // dossier code for the footer of continuation pages
	width float64
	tsize float64 // table font size
	tline float64 // table line height
}

func (r *Renderer) newDoc(form Form, landscape bool, code string) *doc {
	orientation := "P"
	if landscape {
		orientation = "L"
	}
	pdf := newA4(orientation)
	pdf.SetAutoPageBreak(true, marginBottom)
	pdf.SetCellMargin(0)
	pdf.SetCatalogSort(true)
	if !r.created.IsZero() {
		pdf.SetCreationDate(r.created)
		pdf.SetModificationDate(r.created)
	}
	pdf.SetTitle(nfc(form.Title), true)
	pdf.SetSubject(nfc(form.Label()+" – "+r.set.Source()), true)
	pdf.SetAuthor(nfc(r.office.UnitName), true)
	pdf.AddPage()
	pw, _ := pdf.GetPageSize()
	d := &doc{r: r, pdf: pdf, form: form, code: code, width: pw - marginLeft - marginRight,
		tsize: defaultTableSize, tline: defaultTableLine}
	d.font("", sizeBody)
	return d
}

// newA4 is an A4 page set up as every document of this package is: the
// embedded Vietnamese fonts, the margins, the creator.
func newA4(orientation string) *fpdf.Fpdf {
	pdf := fpdf.New(orientation, "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(fontFamily, "", fontRegular)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", fontBold)
	pdf.AddUTF8FontFromBytes(fontFamily, "I", fontItalic)
	pdf.SetMargins(marginLeft, marginTop, marginRight)
	pdf.SetCreator("Một Cửa Xã", true)
	return pdf
}

func nfc(s string) string { return norm.NFC.String(s) }

func (d *doc) font(style string, size float64) { d.pdf.SetFont(fontFamily, style, size) }

func (d *doc) y() float64     { return d.pdf.GetY() }
func (d *doc) setY(y float64) { d.pdf.SetXY(marginLeft, y) }

func (d *doc) pageBottom() float64 {
	_, ph := d.pdf.GetPageSize()
	return ph - marginBottom
}

// ensure starts a new page unless h mm are left on this one.
func (d *doc) ensure(h float64) {
	if d.y()+h > d.pageBottom() {
		d.pdf.AddPage()
	}
}

func (d *doc) strWidth(s string) float64 { return d.pdf.GetStringWidth(nfc(s)) }

// lines wraps s into lines no wider than w with the current font. Besides
// spaces it breaks after '-' and '/', so that dossier codes in narrow table
// cells split at their natural joints rather than mid-number.
func (d *doc) lines(s string, w float64) []string {
	var out []string
	for _, para := range strings.Split(nfc(s), "\n") {
		out = append(out, d.wrap(para, w)...)
	}
	return out
}

func (d *doc) wrap(s string, w float64) []string {
	if s == "" {
		return []string{""}
	}
	var out []string
	line := ""
	for _, tok := range tokens(s) {
		if d.pdf.GetStringWidth(line+strings.TrimRight(tok, " ")) <= w {
			line += tok
			continue
		}
		if line != "" {
			out = append(out, strings.TrimRight(line, " "))
			line = ""
		}
		tok = strings.TrimLeft(tok, " ")
		// A token wider than the column is cut wherever it must be.
		for d.pdf.GetStringWidth(strings.TrimRight(tok, " ")) > w {
			rs := []rune(tok)
			n := 1
			for n < len(rs) && d.pdf.GetStringWidth(string(rs[:n+1])) <= w {
				n++
			}
			out = append(out, string(rs[:n]))
			tok = string(rs[n:])
		}
		line = tok
	}
	if l := strings.TrimRight(line, " "); l != "" || len(out) == 0 {
		out = append(out, l)
	}
	return out
}

// tokens splits s after each space, and after '-' and '/' inside a word.
// A spaced dash as in "tư pháp - hộ tịch" stays with the word before it, so
// that no line starts with a dash. The pieces concatenate to s.
func tokens(s string) []string {
	rs := []rune(s)
	var out []string
	start := 0
	for i, c := range rs {
		var split bool
		switch c {
		case ' ':
			split = i+1 >= len(rs) || rs[i+1] != '-' && rs[i+1] != '–'
		case '-', '/':
			split = i > 0 && rs[i-1] != ' '
		}
		if split {
			out = append(out, string(rs[start:i+1]))
			start = i + 1
		}
	}
	if start < len(rs) {
		out = append(out, string(rs[start:]))
	}
	return out
}

// textAt prints one line in a box of width w at (x, y).
func (d *doc) textAt(x, y, w, h float64, s, align string) {
	d.pdf.SetXY(x, y)
	d.pdf.CellFormat(w, h, nfc(s), "", 0, align, false, 0, "")
}

// block prints wrapped text in a column of width w starting at (x, y) and
// returns the y below it. It does not break pages; callers use it for
// header columns and table cells whose height they have measured.
func (d *doc) block(x, y, w, h float64, s, align string) float64 {
	for _, l := range d.lines(s, w) {
		d.textAt(x, y, w, h, l, align)
		y += h
	}
	return y
}

// para prints a paragraph across the text width, breaking pages as needed.
func (d *doc) para(style, s, align string) {
	d.font(style, sizeBody)
	d.pdf.SetX(marginLeft)
	d.pdf.MultiCell(d.width, lineBody, nfc(s), "", align, false)
}

// field prints "label: value" with the value in valueStyle, wrapping back to
// the left margin. An empty value prints a blank to fill in by hand.
func (d *doc) field(label, value, valueStyle string) {
	d.pdf.SetX(marginLeft)
	d.font("", sizeBody)
	d.pdf.Write(lineBody, nfc(label)+": ")
	if value == "" {
		value = blank
		valueStyle = ""
	}
	d.font(valueStyle, sizeBody)
	d.pdf.Write(lineBody, nfc(value))
	d.pdf.Ln(lineBody)
	d.font("", sizeBody)
}

// fields prints several short label-value pairs on one line.
func (d *doc) fields(pairs ...string) {
	d.pdf.SetX(marginLeft)
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			d.font("", sizeBody)
			d.pdf.Write(lineBody, ";   ")
		}
		d.font("", sizeBody)
		d.pdf.Write(lineBody, nfc(pairs[i])+": ")
		v := pairs[i+1]
		if v == "" {
			v = blank
		}
		d.pdf.Write(lineBody, nfc(v))
	}
	d.pdf.Ln(lineBody)
}

// numbered prints "1. …", "2. …" with wrapped lines indented under the text.
func (d *doc) numbered(items []string, indent float64) {
	d.font("", sizeBody)
	for i, it := range items {
		label := fmt.Sprintf("%d.", i+1)
		d.ensure(lineBody)
		y := d.y()
		d.textAt(marginLeft+indent, y, 8, lineBody, label, "L")
		d.pdf.SetXY(marginLeft+indent+8, y)
		d.pdf.MultiCell(d.width-indent-8, lineBody, nfc(it), "", "J", false)
	}
}

// space adds vertical space without leaving a page bottom blank-started.
func (d *doc) space(h float64) {
	if d.y()+h < d.pageBottom() {
		d.setY(d.y() + h)
	}
}

// codes draws the QR code top-left and the Code128 barcode of the dossier
// code top-right, with the form label between them. It returns the y where
// the header may start. Without a dossier code only the label is printed.
func (d *doc) codes(p QRPayload) (float64, error) {
	pw, _ := d.pdf.GetPageSize()
	right := pw - marginRight
	bottom := stripTop + 6.0

	label := d.form.Label() + " – " + d.r.set.Source()
	if p.DossierCode == "" {
		d.font("I", sizeSmall)
		d.textAt(marginLeft, stripTop, d.width, 4, label, "R")
		return bottom, nil
	}

	qs, err := qrSymbol(p.String())
	if err != nil {
		return 0, err
	}
	side := qrSide(qs)
	drawQR(d.pdf, qs, marginLeft, stripTop, side)

	bc, err := code128Symbol(p.DossierCode)
	if err != nil {
		return 0, err
	}
	maxW := d.width - side - 20 // keep the QR quiet zone and some air
	if maxW > 95 {
		maxW = 95
	}
	m, err := code128Module(bc, maxW)
	if err != nil {
		return 0, err
	}
	barsW := float64(bc.Bounds().Dx()) * m
	// Right-align the bars, leaving their quiet zone inside the margin.
	x := right - c128QuietModule*m - barsW
	if x < marginLeft+side+c128QuietModule*m {
		x = marginLeft + side + c128QuietModule*m
	}
	const barH = 11.0
	drawCode128(d.pdf, bc, x, stripTop+1, m, barH)
	d.font("", 10)
	ty := stripTop + 1 + barH + 0.8
	d.textAt(x, ty, barsW, 4.5, p.DossierCode, "C")
	// The form label goes under the human-readable code, clear of both symbols.
	d.font("I", sizeSmall)
	d.textAt(marginLeft+side+5, ty+6, right-marginLeft-side-5, 4, label, "R")

	if b := stripTop + side + 3; b > bottom {
		bottom = b
	}
	return bottom, nil
}

// header prints the two-column heading of administrative documents: agency
// names and the document number on the left, the national name, motto and
// place-date line on the right. It leaves the cursor under both columns.
func (d *doc) header(y float64, number, suffix string, placeDate string) {
	pw, _ := d.pdf.GetPageSize()
	leftW := 82.0
	rightX := marginLeft + leftW
	rightW := pw - marginRight - rightX
	const h = 5.4

	// Left column: governing body, issuing unit in bold, a short rule, Số.
	ly := y
	d.font("", sizeHeader)
	if p := d.r.office.ParentName; p != "" {
		ly = d.block(marginLeft, ly, leftW, h, strings.ToUpper(nfc(p)), "C")
	}
	d.font("B", sizeHeader)
	ly = d.block(marginLeft, ly, leftW, h, strings.ToUpper(nfc(d.r.office.UnitName)), "C")
	d.pdf.SetLineWidth(0.3)
	d.pdf.Line(marginLeft+leftW/2-14, ly+1.4, marginLeft+leftW/2+14, ly+1.4)

	// Right column: Quốc hiệu and Tiêu ngữ, the motto underlined across its width.
	ry := y
	d.font("B", sizeHeader)
	ry = d.block(rightX, ry, rightW, h, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "C")
	d.font("B", sizeHeader+1)
	motto := "Độc lập - Tự do - Hạnh phúc"
	d.textAt(rightX, ry, rightW, h+0.4, motto, "C")
	mw := d.strWidth(motto)
	ry += h + 0.4
	d.pdf.Line(rightX+(rightW-mw)/2, ry+0.6, rightX+(rightW+mw)/2, ry+0.6)

	// Số and the place-date line share a row, below the taller column.
	row := max(ly, ry) + 3.5
	if number == "" {
		number = "………/" + suffix
	}
	d.font("", sizeHeader)
	d.block(marginLeft, row, leftW, h, "Số: "+number, "C")
	if placeDate != "" {
		d.font("I", sizeHeader)
		row = max(row, d.block(rightX, row, rightW, h, placeDate, "C")-h)
	}
	d.setY(row + h + 6)
}

// title prints the centred bold form title and optional lines under it.
func (d *doc) title(subtitle ...string) {
	d.font("B", sizeTitle)
	d.pdf.SetX(marginLeft)
	d.pdf.MultiCell(d.width, 7, nfc(d.form.Title), "", "C", false)
	for _, s := range subtitle {
		d.font("I", sizeBody)
		d.pdf.SetX(marginLeft)
		d.pdf.MultiCell(d.width, lineBody, nfc(s), "", "C", false)
	}
	d.space(4)
	d.font("", sizeBody)
}

// signature is one signing block: title, hint, space for the signature, name.
type signature struct {
	title string
	hint  string
	name  string
}

// signatures prints blocks side by side; a single block goes to the right
// half, where documents are signed. The blocks never split across pages.
func (d *doc) signatures(blocks ...signature) {
	const need = 44.0
	d.space(4)
	d.ensure(need)
	colW := d.width / 2
	y := d.y()
	bottom := y
	for i, b := range blocks {
		x := marginLeft + float64(i)*colW
		if len(blocks) == 1 {
			x = marginLeft + colW
		}
		d.font("B", sizeBody)
		by := d.block(x, y, colW, lineBody, strings.ToUpper(nfc(b.title)), "C")
		d.font("I", sizeBody-1)
		by = d.block(x, by, colW, lineBody-0.8, b.hint, "C")
		by += 22
		if b.name != "" {
			d.font("B", sizeBody)
			by = d.block(x, by, colW, lineBody, b.name, "C")
		}
		bottom = max(bottom, by)
	}
	d.setY(bottom + 2)
	d.font("", sizeBody)
}

// fit joins parts with dashes, dropping parts from the end and finally
// cutting the text so that it fits in w with the current font.
func (d *doc) fit(parts []string, w float64) string {
	for n := len(parts); n > 0; n-- {
		if s := strings.Join(parts[:n], " – "); d.strWidth(s) <= w {
			return s
		}
	}
	if len(parts) == 0 {
		return ""
	}
	rs := []rune(nfc(parts[0]))
	for len(rs) > 0 && d.strWidth(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

// finish prints the footer of every page and writes the document.
func (d *doc) finish(w io.Writer) error {
	n := d.pdf.PageCount()
	pw, ph := d.pdf.GetPageSize()
	d.pdf.SetAutoPageBreak(false, 0)
	o := d.r.office
	var contact []string
	for _, s := range []string{o.UnitName, o.Address} {
		if s != "" {
			contact = append(contact, s)
		}
	}
	if o.Phone != "" {
		contact = append(contact, "ĐT: "+o.Phone)
	}
	if o.AgencyCode != "" {
		contact = append(contact, "Mã định danh: "+o.AgencyCode)
	}
	for i := 1; i <= n; i++ {
		d.pdf.SetPage(i)
		d.pdf.SetDrawColor(120, 120, 120)
		d.pdf.SetLineWidth(0.2)
		d.pdf.Line(marginLeft, ph-12.5, pw-marginRight, ph-12.5)
		d.pdf.SetDrawColor(0, 0, 0)
		d.font("I", 8.5)
		right := ""
		if n > 1 {
			right = fmt.Sprintf("Trang %d/%d", i, n)
			if d.code != "" {
				right = "Mã hồ sơ: " + d.code + " – " + right
			}
		}
		rw := d.strWidth(right) + 4
		d.textAt(marginLeft, ph-12, d.width-rw, 4, d.fit(contact, d.width-rw), "L")
		d.textAt(pw-marginRight-rw, ph-12, rw, 4, right, "R")
	}
	if err := d.pdf.Error(); err != nil {
		return fmt.Errorf("render %s: %w", d.form.Kind, err)
	}
	if err := d.pdf.Output(w); err != nil {
		return fmt.Errorf("write %s: %w", d.form.Kind, err)
	}
	return nil
}
