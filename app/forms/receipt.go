package forms

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// start opens a dossier form of the given kind: top strip with the codes,
// header, title. It returns an *UnknownFormError if the set lacks the kind.
func (r *Renderer) start(k Kind, d Dossier, number, suffix string, issued time.Time, subtitle ...string) (*doc, error) {
	form, err := r.set.FormOf(k)
	if err != nil {
		return nil, err
	}
	doc := r.newDoc(form, false, d.Code)
	var p QRPayload
	if d.Code != "" {
		p = QRPayload{DossierCode: d.Code, ProcedureCode: d.ProcedureCode, Set: r.set, Form: form.Number}
	}
	y, err := doc.codes(p)
	if err != nil {
		return nil, err
	}
	doc.header(y, number, suffix, r.placeDate(issued))
	doc.title(subtitle...)
	return doc, nil
}

// procedure is the "Nội dung yêu cầu giải quyết" value: name and code.
func procedure(d Dossier) string {
	if d.ProcedureCode == "" {
		return d.ProcedureName
	}
	return fmt.Sprintf("%s (mã TTHC: %s)", d.ProcedureName, d.ProcedureCode)
}

// person prints the identifying lines of a person under the given name label.
func (doc *doc) person(nameLabel string, p Person) {
	doc.field(nameLabel, p.Name, "B")
	doc.field("Số định danh cá nhân/tổ chức", p.IDNumber, "")
	doc.field("Địa chỉ", p.Address, "")
	doc.fields("Số điện thoại", p.Phone, "Email", p.Email)
}

// Receipt prints Giấy tiếp nhận hồ sơ và hẹn trả kết quả.
func (r *Renderer) Receipt(w io.Writer, d Receipt) error {
	if err := d.Dossier.validate(true); err != nil {
		return err
	}
	if d.Dossier.ReceivedAt.IsZero() || d.Dossier.DueAt.IsZero() {
		return invalid("receipt needs the received and due times")
	}
	issued := d.IssuedAt
	if issued.IsZero() {
		issued = d.Dossier.ReceivedAt
	}
	doc, err := r.start(KindReceipt, d.Dossier, d.Number, "TTPVHCC", issued,
		"Mã hồ sơ: "+d.Dossier.Code)
	if err != nil {
		return err
	}
	doc.para("", r.office.UnitName+" tiếp nhận hồ sơ của:", "L")
	doc.person("Ông (Bà)/Tổ chức", d.Dossier.Applicant)
	if rep := d.Representative; rep != nil {
		doc.para("I", "Trường hợp nộp hồ sơ theo ủy quyền:", "L")
		doc.person("Người được ủy quyền nộp hồ sơ", *rep)
		doc.field("Giấy ủy quyền", d.AuthorisationDoc, "")
	}
	doc.field("Nội dung yêu cầu giải quyết", procedure(d.Dossier), "B")
	doc.para("", "Thành phần hồ sơ nộp gồm:", "L")
	doc.components(d.Components)
	sets := d.Sets
	if sets <= 0 {
		sets = 1
	}
	doc.space(1.5)
	doc.field("Số lượng hồ sơ", count(sets)+" (bộ)", "")
	doc.field("Thời gian giải quyết hồ sơ theo quy định", d.LegalTime, "")
	doc.field("Thời gian nhận hồ sơ", r.clock(d.Dossier.ReceivedAt), "")
	doc.field("Thời gian trả kết quả giải quyết hồ sơ", r.clock(d.Dossier.DueAt), "B")
	doc.field("Đăng ký nhận kết quả tại", d.ResultAt, "")
	if d.Fee != "" {
		doc.field("Phí, lệ phí", d.Fee, "")
	}
	book, no := d.RegisterBook, d.RegisterNo
	if book == "" {
		book = "……"
	}
	if no == "" {
		no = "……"
	}
	doc.para("", fmt.Sprintf("Vào Sổ theo dõi hồ sơ, Quyển số: %s, Số thứ tự: %s.", book, no), "L")

	submitter := d.Dossier.Applicant.Name
	if d.Representative != nil {
		submitter = d.Representative.Name
	}
	doc.signatures(
		signature{"Người nộp hồ sơ", "(Ký và ghi rõ họ tên)", submitter},
		signature{"Người tiếp nhận hồ sơ", "(Ký và ghi rõ họ tên)", d.Receiver},
	)
	return doc.finish(w)
}

// components prints the documents received with their copy counts.
func (doc *doc) components(cs []Component) {
	cols := []column{
		{"STT", 11, "C"},
		{"Tên giấy tờ", 86, "L"},
		{"Bản chính", 19, "C"},
		{"Bản sao chứng thực", 22, "C"},
		{"Bản sao, bản chụp", 22, "C"},
	}
	rows := make([][]string, 0, len(cs))
	for i, c := range cs {
		rows = append(rows, []string{
			fmt.Sprint(i + 1), strings.TrimSpace(c.Name),
			count(c.Originals), count(c.Certified), count(c.Copies),
		})
	}
	if len(rows) == 0 {
		rows = append(rows, []string{"1", "", "", "", ""})
	}
	doc.table(cols, rows)
}
