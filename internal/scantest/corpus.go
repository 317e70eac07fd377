// Package scantest makes the test inputs of the scanning packages: pages of
// Vietnamese text rendered to PDF (fpdf with the repository's Liberation
// Serif) or directly to images, scan degradations, multi-page TIFFs, QR
// cover sheets, and the character error rate. Everything is generated; no
// binary fixture is committed.
package scantest

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Corpus is administrative prose of the kind a commune desk scans, with
// every Vietnamese tone mark and vowel modifier, including the letters OCR
// engines confuse ("Tập trung" read as "Tập ưung").
var Corpus = []string{
	"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
	"Độc lập - Tự do - Hạnh phúc",
	"TỜ KHAI ĐĂNG KÝ KHAI SINH",
	"Kính gửi: Ủy ban nhân dân xã An Bình, tỉnh Đồng Nai.",
	"Họ, chữ đệm, tên người yêu cầu: Nguyễn Thị Thanh Hương.",
	"Nơi cư trú: số 12, đường Lê Lợi, ấp Phước Thạnh, xã An Bình.",
	"Giấy tờ tùy thân: Căn cước công dân số 075186004321.",
	"Quan hệ với người được khai sinh: mẹ ruột của cháu bé.",
	"Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:",
	"Họ, chữ đệm, tên: Trần Minh Khôi. Giới tính: Nam.",
	"Ngày, tháng, năm sinh: 14 tháng 02 năm 2026 (ghi bằng chữ).",
	"Nơi sinh: Bệnh viện Đa khoa Thống Nhất, tỉnh Đồng Nai.",
	"Dân tộc: Kinh. Quốc tịch: Việt Nam. Quê quán: Quảng Ngãi.",
	"Tôi cam đoan những nội dung khai trên đây là đúng sự thật,",
	"được sự thỏa thuận nhất trí của các bên liên quan theo quy định",
	"pháp luật và chịu trách nhiệm trước pháp luật về cam đoan của mình.",
	"Hồ sơ gồm: giấy chứng sinh bản chính, bản sao giấy chứng nhận",
	"kết hôn của cha mẹ, văn bản ủy quyền được chứng thực hợp lệ.",
	"Tập trung giải quyết thủ tục hành chính đúng hạn, công khai,",
	"minh bạch; không yêu cầu người dân nộp thêm giấy tờ ngoài quy định.",
	"Thời hạn giải quyết: ngay trong ngày làm việc; trường hợp nhận",
	"hồ sơ sau 15 giờ thì trả kết quả trong ngày làm việc tiếp theo.",
	"Lệ phí: miễn đối với đăng ký khai sinh đúng hạn, người thuộc",
	"gia đình có công với cách mạng, người thuộc hộ nghèo, cận nghèo.",
	"Người tiếp nhận kiểm tra, đối chiếu thông tin với Cơ sở dữ liệu",
	"quốc gia về dân cư, số hóa thành phần hồ sơ và trả lại bản chính.",
	"Làm tại xã An Bình, ngày 05 tháng 3 năm 2026. Người yêu cầu ký tên.",
	"Ghi chú: mỗi trang quét thành một ảnh, đúng thứ tự của bản gốc.",
}

// Page returns lines of the corpus for page i (0-based), rotating through
// it so that consecutive pages differ.
func Page(i, lines int) []string {
	out := make([]string, lines)
	for k := range out {
		out[k] = Corpus[(i*7+k)%len(Corpus)]
	}
	return out
}

// Normalize is the comparison form of OCR text: NFC, runs of whitespace
// collapsed to one space, trimmed.
func Normalize(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

// CER is the character error rate of got against want: the Levenshtein
// distance between their normalized forms, in runes, over the length of
// want.
func CER(want, got string) float64 {
	a, b := []rune(Normalize(want)), []rune(Normalize(got))
	if len(a) == 0 {
		if len(b) == 0 {
			return 0
		}
		return 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return float64(prev[len(b)]) / float64(len(a))
}
