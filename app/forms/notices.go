package forms

import (
	"io"
)

const headOfUnit = "Thủ trưởng cơ quan, đơn vị"

// Supplement prints Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ.
func (r *Renderer) Supplement(w io.Writer, d SupplementRequest) error {
	if err := d.Dossier.validate(true); err != nil {
		return err
	}
	if len(d.Items) == 0 {
		return invalid("supplement request lists nothing to supplement")
	}
	doc, err := r.start(KindSupplement, d.Dossier, d.Number, "PBS-TTPVHCC", d.IssuedAt)
	if err != nil {
		return err
	}
	a := d.Dossier.Applicant
	doc.field("Mã hồ sơ", d.Dossier.Code, "B")
	doc.field("Hồ sơ của", a.Name, "B")
	doc.field("Nội dung yêu cầu giải quyết", procedure(d.Dossier), "")
	doc.field("Địa chỉ", a.Address, "")
	doc.fields("Điện thoại", a.Phone, "Email", a.Email)
	doc.space(1)
	doc.para("", "Sau khi xem xét, kiểm tra thành phần hồ sơ, "+r.office.UnitName+
		" yêu cầu Ông (Bà)/Tổ chức hoàn thiện hồ sơ gồm những nội dung sau:", "J")
	doc.numbered(d.Items, 4)
	doc.field("Lý do", d.Reason, "")
	if !d.SupplementBy.IsZero() {
		doc.field("Thời hạn bổ sung, hoàn thiện hồ sơ: trước", r.clock(d.SupplementBy), "B")
	}
	contact := d.ContactName
	if contact == "" {
		contact = d.GuideStaff
	}
	if contact == "" {
		contact = blank
	}
	phone := d.ContactPhone
	if phone == "" {
		phone = r.office.Phone
	}
	if phone == "" {
		phone = blank
	}
	doc.para("", "Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông (Bà)/Tổ chức liên hệ với "+
		contact+", số điện thoại "+phone+" để được hướng dẫn.", "J")
	doc.signatures(signature{"Người hướng dẫn", "(Ký và ghi rõ họ tên)", d.GuideStaff})
	return doc.finish(w)
}

// Refusal prints Phiếu từ chối tiếp nhận giải quyết hồ sơ.
func (r *Renderer) Refusal(w io.Writer, d Refusal) error {
	if err := d.Dossier.validate(false); err != nil {
		return err
	}
	if len(d.Reasons) == 0 {
		return invalid("refusal gives no reason")
	}
	doc, err := r.start(KindRefusal, d.Dossier, d.Number, "PTC-TTPVHCC", d.IssuedAt)
	if err != nil {
		return err
	}
	doc.para("", r.office.UnitName+" tiếp nhận hồ sơ của:", "L")
	doc.person("Ông (Bà)/Tổ chức", d.Dossier.Applicant)
	doc.field("Mã hồ sơ (nếu có)", d.Dossier.Code, "B")
	doc.field("Nội dung yêu cầu giải quyết", procedure(d.Dossier), "")
	doc.space(1)
	doc.para("", "Sau khi xem xét, kiểm tra thành phần hồ sơ, "+r.office.UnitName+
		" thông báo không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:", "J")
	doc.numbered(d.Reasons, 4)
	doc.para("", "Xin thông báo để Ông (Bà)/Tổ chức được biết và thực hiện./.", "L")
	doc.signatures(
		signature{"Người nộp hồ sơ", "(Ký và ghi rõ họ tên)", d.Dossier.Applicant.Name},
		signature{"Người tiếp nhận hồ sơ", "(Ký và ghi rõ họ tên)", d.Receiver},
	)
	return doc.finish(w)
}

// Apology prints the apology for a late result. TT 03/2025 words it as a
// request to extend the processing time, TT 01/2018 as a new appointment.
func (r *Renderer) Apology(w io.Writer, d Apology) error {
	if err := d.Dossier.validate(true); err != nil {
		return err
	}
	if d.NewDueAt.IsZero() {
		return invalid("apology needs the new due time")
	}
	doc, err := r.start(KindApology, d.Dossier, d.Number, "PXL", d.IssuedAt)
	if err != nil {
		return err
	}
	a := d.Dossier.Applicant
	addressee := d.Addressee
	if addressee == "" {
		addressee = a.Name
	}
	agency := d.Agency
	if agency == "" {
		agency = r.office.UnitName
	}
	doc.field("Kính gửi", addressee, "B")
	doc.space(1)
	doc.para("", "Ngày "+r.date(d.Dossier.ReceivedAt)+", "+agency+
		" tiếp nhận giải quyết hồ sơ của Ông (Bà)/Tổ chức:", "J")
	doc.field("Ông (Bà)/Tổ chức", a.Name, "B")
	doc.field("Số định danh cá nhân/tổ chức", a.IDNumber, "")
	doc.field("Đề nghị giải quyết thủ tục", procedure(d.Dossier), "")
	doc.field("Mã số hồ sơ", d.Dossier.Code, "B")
	doc.field("Thời gian hẹn trả kết quả giải quyết hồ sơ", r.clock(d.Dossier.DueAt), "")
	doc.para("", "Tuy nhiên đến nay, "+agency+" chưa trả kết quả giải quyết hồ sơ cho Ông (Bà)/Tổ chức "+
		"đúng thời hạn ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả.", "J")
	doc.field("Lý do", d.Reason, "")
	var ask string
	if r.set == Set01_2018 {
		ask = " xin lỗi Ông (Bà)/Tổ chức và hẹn lại thời gian trả kết quả vào:"
	} else {
		ask = " xin lỗi Ông (Bà)/Tổ chức và đề nghị gia hạn thời gian giải quyết hồ sơ đến:"
	}
	doc.para("", "Sự chậm trễ này đã gây phiền hà, tốn kém chi phí, công sức của Ông (Bà)/Tổ chức. "+
		agency+ask, "J")
	doc.para("B", r.clock(d.NewDueAt)+".", "C")
	doc.para("", "Kính mong nhận được sự thông cảm của Ông (Bà)/Tổ chức. Xin trân trọng cảm ơn./.", "J")
	title := d.SignerTitle
	if title == "" {
		title = headOfUnit
	}
	doc.signatures(signature{title, "(Ký, ghi rõ họ tên và đóng dấu)", d.Signer})
	return doc.finish(w)
}

// StopNotice prints Thông báo dừng giải quyết hồ sơ (TT 03/2025 Mẫu 05).
func (r *Renderer) StopNotice(w io.Writer, d StopNotice) error {
	if err := d.Dossier.validate(true); err != nil {
		return err
	}
	doc, err := r.start(KindStopNotice, d.Dossier, d.Number, "TB-TTPVHCC", d.IssuedAt)
	if err != nil {
		return err
	}
	a := d.Dossier.Applicant
	doc.field("Kính gửi", a.Name, "B")
	doc.space(1)
	doc.para("", "Ngày "+r.date(d.RequestedAt)+", "+r.office.UnitName+
		" nhận được yêu cầu dừng giải quyết hồ sơ của Ông (Bà)/Tổ chức:", "J")
	doc.field("Ông (Bà)/Tổ chức", a.Name, "B")
	doc.field("Số định danh cá nhân/tổ chức", a.IDNumber, "")
	doc.field("Địa chỉ", a.Address, "")
	doc.fields("Số điện thoại", a.Phone, "Email", a.Email)
	doc.field("Mã hồ sơ", d.Dossier.Code, "B")
	doc.field("Nội dung yêu cầu giải quyết", procedure(d.Dossier), "")
	doc.field("Thời gian nhận hồ sơ", r.clock(d.Dossier.ReceivedAt), "")
	doc.field("Thời gian hẹn trả kết quả", r.clock(d.Dossier.DueAt), "")
	doc.field("Lý do dừng giải quyết", d.Reason, "")
	doc.space(1)
	doc.para("", "Hồ sơ chưa có kết quả giải quyết. "+r.office.UnitName+
		" thông báo dừng giải quyết hồ sơ nêu trên theo yêu cầu của Ông (Bà)/Tổ chức.", "J")
	if d.ReturnNote != "" {
		doc.para("", d.ReturnNote, "J")
	}
	doc.para("", "Xin thông báo để Ông (Bà)/Tổ chức được biết./.", "L")
	title := d.SignerTitle
	if title == "" {
		title = headOfUnit
	}
	doc.signatures(signature{title, "(Ký, ghi rõ họ tên và đóng dấu)", d.Signer})
	return doc.finish(w)
}
