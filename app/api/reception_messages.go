package api

import (
	"strings"

	"motcua/app/reception"
)

// receptionLabels name reception request fields the way the desk UI does.
var receptionLabels = map[string]string{
	"requestId":               "Mã yêu cầu",
	"procedureCode":           "Thủ tục hành chính",
	"applicant.kind":          "Loại đối tượng",
	"applicant.name":          "Họ tên người nộp",
	"applicant.idNumber":      "Số định danh",
	"applicant.birthDate":     "Ngày sinh",
	"applicant.address":       "Địa chỉ",
	"applicant.phone":         "Số điện thoại",
	"applicant.email":         "Thư điện tử",
	"representative.name":     "Họ tên người được ủy quyền",
	"representative.idNumber": "Số định danh người được ủy quyền",
	"channel":                 "Hình thức nộp",
	"postmarkAt":              "Ngày giờ theo dấu bưu điện",
	"components":              "Thành phần hồ sơ",
	"sets":                    "Số bộ hồ sơ",
	"outcome":                 "Kết quả kiểm tra hồ sơ",
	"supplementItems":         "Nội dung cần bổ sung",
	"reason":                  "Lý do",
	"resultDelivery":          "Hình thức nhận kết quả",
	"fee":                     "Phí, lệ phí",
	"note":                    "Ghi chú",
	"action":                  "Thao tác",
	"dueDate":                 "Ngày hẹn trả mới",
	"agency":                  "Mã cơ quan",
	"agencyName":              "Tên cơ quan",
	"assignee":                "Người xử lý",
	"giver":                   "Người giao",
	"receiver":                "Người nhận",
	"receiverName":            "Người nhận kết quả",
	"returnMethod":            "Hình thức trả kết quả",
	"amount":                  "Số tiền",
}

func receptionLabel(field string) string {
	if l, ok := receptionLabels[field]; ok {
		return l
	}
	if strings.HasPrefix(field, "components.") {
		return "Thành phần hồ sơ"
	}
	return field
}

func receptionProblem(field, problem string) string {
	label := receptionLabel(field)
	switch problem {
	case reception.ProblemRequired:
		return label + " không được để trống."
	case reception.ProblemFormat:
		if field == "postmarkAt" {
			return "Chỉ nhập ngày giờ dấu bưu điện cho hồ sơ nộp qua bưu chính."
		}
		return label + " không đúng định dạng."
	case reception.ProblemTooLong:
		return label + " quá dài."
	case reception.ProblemUnknown:
		if field == "procedureCode" {
			return "Không có thủ tục này trong danh mục."
		}
		return label + " không có trong danh sách cho phép."
	case reception.ProblemInactive:
		return "Thủ tục này đã ngừng áp dụng."
	case reception.ProblemRange:
		return label + " nằm ngoài giới hạn cho phép."
	case reception.ProblemFuture:
		return label + " không được ở tương lai."
	case reception.ProblemTooOld:
		return label + " quá xa (quá 60 ngày trước), vui lòng kiểm tra lại."
	case reception.ProblemIDLength:
		return "Số định danh cá nhân phải có đúng 12 chữ số."
	case reception.ProblemIDDigits:
		return "Số định danh cá nhân chỉ gồm chữ số."
	case reception.ProblemIDProvince:
		return "Ba chữ số đầu của số định danh không phải mã tỉnh hợp lệ."
	case reception.ProblemIDCentury:
		return "Chữ số thứ tư của số định danh (mã thế kỷ, giới tính) không hợp lệ."
	case reception.ProblemIDBirthYear:
		return "Năm sinh trong số định danh không khớp với ngày sinh đã nhập."
	case reception.ProblemNotAfter:
		return "Ngày hẹn trả mới phải sau ngày hẹn hiện tại."
	}
	return label + " không hợp lệ."
}
