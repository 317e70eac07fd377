package forms

// column of a bordered table; widths are relative and scaled to the space given.
type column struct {
	title string
	w     float64
	align string // "L", "C" or "R" for the body cells
}

const (
	defaultTableSize = 11.0
	defaultTableLine = 5.2
	cellPadX         = 1.5
	cellPadY         = 1.2
)

// table draws a bordered table across the text width. Rows never split;
// when one does not fit, it goes to the next page under a repeated header.
func (d *doc) table(cols []column, rows [][]string) {
	var total float64
	for _, c := range cols {
		total += c.w
	}
	widths := make([]float64, len(cols))
	for i, c := range cols {
		widths[i] = c.w / total * d.width
	}
	titles := make([]string, len(cols))
	aligns := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.title
		aligns[i] = "C"
	}
	headerH := d.rowHeight("B", widths, titles)
	d.ensure(headerH + d.rowHeight("", widths, first(rows)))
	d.row("B", widths, titles, aligns, headerH)
	for i, c := range cols {
		aligns[i] = c.align
	}
	for _, cells := range rows {
		h := d.rowHeight("", widths, cells)
		if d.y()+h > d.pageBottom() {
			d.pdf.AddPage()
			d.row("B", widths, titles, repeat("C", len(cols)), headerH)
		}
		d.row("", widths, cells, aligns, h)
	}
	d.font("", sizeBody)
}

func first(rows [][]string) []string {
	if len(rows) == 0 {
		return nil
	}
	return rows[0]
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func (d *doc) rowHeight(style string, widths []float64, cells []string) float64 {
	d.font(style, d.tsize)
	n := 1
	for i, c := range cells {
		if i < len(widths) {
			n = max(n, len(d.lines(c, widths[i]-2*cellPadX)))
		}
	}
	return float64(n)*d.tline + 2*cellPadY
}

// row draws one row of height h at the cursor and moves below it.
func (d *doc) row(style string, widths []float64, cells, aligns []string, h float64) {
	d.font(style, d.tsize)
	x, y := marginLeft, d.y()
	d.pdf.SetLineWidth(0.25)
	for i, w := range widths {
		d.pdf.Rect(x, y, w, h, "D")
		if i < len(cells) {
			lines := d.lines(cells[i], w-2*cellPadX)
			// Centre short cells vertically, as the printed forms do.
			ty := y + (h-float64(len(lines))*d.tline)/2
			for _, l := range lines {
				d.textAt(x+cellPadX, ty, w-2*cellPadX, d.tline, l, aligns[i])
				ty += d.tline
			}
		}
		x += w
	}
	d.setY(y + h)
}
