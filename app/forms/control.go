package forms

import (
	"io"
)

// blankHandovers is how many empty rows a slip without handovers gets, so
// the printed slip can travel with the paper dossier and be filled by hand.
const blankHandovers = 4

// ControlSlip prints Phiếu kiểm soát quá trình giải quyết hồ sơ.
func (r *Renderer) ControlSlip(w io.Writer, d ControlSlip) error {
	if err := d.Dossier.validate(true); err != nil {
		return err
	}
	doc, err := r.start(KindControlSlip, d.Dossier, d.Number, "PKS-TTPVHCC", d.IssuedAt)
	if err != nil {
		return err
	}
	doc.field("Kèm theo hồ sơ của", d.Dossier.Applicant.Name, "B")
	doc.field("Nội dung yêu cầu giải quyết", procedure(d.Dossier), "")
	doc.field("Mã số hồ sơ", d.Dossier.Code, "B")
	doc.field("Cơ quan (bộ phận) giải quyết hồ sơ", d.LeadAgency, "")
	doc.field("Cơ quan phối hợp giải quyết hồ sơ", d.CoAgencies, "")
	doc.field("Thời gian nhận hồ sơ", r.clock(d.Dossier.ReceivedAt), "")
	doc.field("Thời gian hẹn trả kết quả", r.clock(d.Dossier.DueAt), "B")
	doc.space(3)

	rows := d.Handovers
	if len(rows) == 0 {
		rows = make([]Handover, blankHandovers)
	}
	doc.handovers(rows)
	doc.space(2)
	doc.font("I", 10)
	doc.pdf.SetX(marginLeft)
	doc.pdf.MultiCell(doc.width, 5, nfc("Ghi chú: Kết quả giải quyết hồ sơ do bên nhận hồ sơ ghi khi nhận bàn giao hồ sơ. "+
		"Trường hợp hồ sơ được chuyển qua dịch vụ bưu chính thì thời gian giao, nhận hồ sơ và việc ký nhận "+
		"thể hiện trong hóa đơn của cơ quan bưu chính."), "", "J", false)
	return doc.finish(w)
}

var handoverCols = []float64{48, 62, 36, 29}

func (doc *doc) handoverWidths() []float64 {
	var total float64
	for _, w := range handoverCols {
		total += w
	}
	ws := make([]float64, len(handoverCols))
	for i, w := range handoverCols {
		ws[i] = w / total * doc.width
	}
	return ws
}

func (doc *doc) handoverHeader(ws []float64) {
	titles := []string{
		"TÊN CƠ QUAN\n(ĐƠN VỊ)",
		"THỜI GIAN GIAO, NHẬN HỒ SƠ",
		"KẾT QUẢ GIẢI QUYẾT HỒ SƠ (Trước hạn/đúng hạn/quá hạn)",
		"GHI CHÚ",
	}
	doc.row("B", ws, titles, repeat("C", 4), doc.rowHeight("B", ws, titles))
}

// handovers draws the table; the time column is split under its first line
// into the giver's and the receiver's signature boxes.
func (doc *doc) handovers(hs []Handover) {
	ws := doc.handoverWidths()
	const sigSpace = 11.0
	doc.ensure(40)
	doc.handoverHeader(ws)
	for _, h := range hs {
		r := doc.r
		unit := "1. Giao: " + h.GiverUnit + "\n2. Nhận: " + h.ReceiverUnit
		when := r.clock(h.At)
		half := ws[1] / 2
		doc.font("", doc.tsize)
		unitLines := doc.lines(unit, ws[0]-2*cellPadX)
		whenLines := doc.lines(when, ws[1]-2*cellPadX)
		giver := doc.lines(h.GiverPerson, half-2*cellPadX)
		receiver := doc.lines(h.ReceiverPerson, half-2*cellPadX)
		noteLines := doc.lines(h.Note, ws[3]-2*cellPadX)
		timeH := float64(len(whenLines))*doc.tline + 2*cellPadY
		sigH := doc.tline + sigSpace + float64(max(len(giver), len(receiver)))*doc.tline + 2*cellPadY
		height := max(float64(len(unitLines))*doc.tline+2*cellPadY, timeH+sigH,
			float64(len(noteLines))*doc.tline+2*cellPadY)
		if doc.y()+height > doc.pageBottom() {
			doc.pdf.AddPage()
			doc.handoverHeader(ws)
		}
		x, y := marginLeft, doc.y()
		doc.pdf.SetLineWidth(0.25)
		for _, w := range ws {
			doc.pdf.Rect(x, y, w, height, "D")
			x += w
		}
		// Column 1: giving and receiving units.
		ty := y + cellPadY
		for _, l := range unitLines {
			doc.textAt(marginLeft+cellPadX, ty, ws[0]-2*cellPadX, doc.tline, l, "L")
			ty += doc.tline
		}
		// Column 2: time, then two signature boxes.
		cx := marginLeft + ws[0]
		ty = y + cellPadY
		for _, l := range whenLines {
			doc.textAt(cx+cellPadX, ty, ws[1]-2*cellPadX, doc.tline, l, "C")
			ty += doc.tline
		}
		sy := y + timeH
		doc.pdf.Line(cx, sy, cx+ws[1], sy)
		doc.pdf.Line(cx+half, sy, cx+half, y+height)
		doc.font("I", doc.tsize-1)
		doc.textAt(cx, sy+cellPadY, half, doc.tline, "Người giao", "C")
		doc.textAt(cx+half, sy+cellPadY, half, doc.tline, "Người nhận", "C")
		doc.font("", doc.tsize)
		ny := sy + cellPadY + doc.tline + sigSpace
		doc.block(cx+cellPadX, ny, half-2*cellPadX, doc.tline, h.GiverPerson, "C")
		doc.block(cx+half+cellPadX, ny, half-2*cellPadX, doc.tline, h.ReceiverPerson, "C")
		// Columns 3 and 4: result and note.
		cx += ws[1]
		doc.font("B", doc.tsize)
		doc.textAt(cx, y+(height-doc.tline)/2, ws[2], doc.tline, h.Result.Text(), "C")
		doc.font("", doc.tsize)
		cx += ws[2]
		doc.block(cx+cellPadX, y+cellPadY, ws[3]-2*cellPadX, doc.tline, h.Note, "L")
		doc.setY(y + height)
	}
}
