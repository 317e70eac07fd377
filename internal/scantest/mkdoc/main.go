// Command mkdoc writes a scan-like PDF for end-to-end tests: Vietnamese text
// rendered to page images (no text layer), one image per page, as scanner
// software produces. Debian's ImageMagick policy refuses to write PDF, so
// the Chromium tests call this instead:
//
//	go run ./internal/scantest/mkdoc -o ho-so.pdf                 # the fixed 3-page document
//	go run ./internal/scantest/mkdoc -o x.pdf "line 1|line 2" "page 2 …"
//	go run ./internal/scantest/mkdoc -o x.pdf -noise 40 -blur 2   # a poor scan (low OCR confidence)
//
// Each argument is one page; "|" separates its lines. Without arguments the
// pages are Pages below: page 2 alone carries "Giấy khai sinh", so a search
// for "giay khai sinh" must land on it. It runs from anywhere inside the
// module (the font is found by walking up to app/forms/fonts).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"os"
	"strings"

	"motcua/internal/scantest"
)

// Pages is the default document: three pages with a distinctive phrase
// each, none sharing the words of another page's phrase.
var Pages = [][]string{
	{
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
		"Độc lập - Tự do - Hạnh phúc",
		"ĐƠN ĐỀ NGHỊ CHỨNG THỰC BẢN SAO",
		"Kính gửi: Ủy ban nhân dân xã Cam Hải Đông.",
		"Tôi là Nguyễn Thị Hương, cư trú tại thôn Thủy Triều.",
		"Đề nghị chứng thực bản sao từ bản chính đính kèm.",
		"Số lượng bản sao cần chứng thực: hai bản.",
	},
	{
		"GIẤY KHAI SINH",
		"Họ, chữ đệm, tên: Trần Minh Khôi. Giới tính: Nam.",
		"Ngày, tháng, năm sinh: 14 tháng 02 năm 2026.",
		"Nơi sinh: Bệnh viện Đa khoa tỉnh Khánh Hòa.",
		"Dân tộc: Kinh. Quốc tịch: Việt Nam.",
		"Bản sao Giấy khai sinh được cấp từ sổ hộ tịch.",
		"Người đi đăng ký: Nguyễn Thị Hương, mẹ ruột.",
	},
	{
		"BIÊN LAI THU PHÍ, LỆ PHÍ",
		"Đơn vị thu: Trung tâm Phục vụ hành chính công xã.",
		"Người nộp tiền: Nguyễn Thị Hương.",
		"Nội dung thu: lệ phí chứng thực bản sao.",
		"Số tiền: hai nghìn đồng một trang.",
		"Hình thức thanh toán: tiền mặt tại quầy.",
		"Thủ quỹ đã nhận đủ số tiền trên.",
	},
}

func main() {
	out := flag.String("o", "", "output PDF file (required)")
	dpi := flag.Float64("dpi", 200, "resolution of the page images")
	noise := flag.Float64("noise", 0, "Gaussian noise sigma in gray levels (0: none)")
	blur := flag.Int("blur", 0, "box blur radius in px (0: none)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: mkdoc -o out.pdf [-dpi N] [-noise S] [-blur R] [page…]  (lines of a page separated by |)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || *dpi < 50 || *dpi > 600 {
		flag.Usage()
		os.Exit(2)
	}
	pages := Pages
	if flag.NArg() > 0 {
		pages = nil
		for _, a := range flag.Args() {
			pages = append(pages, strings.Split(a, "|"))
		}
	}
	if err := write(*out, pages, *dpi, *noise, *blur); err != nil {
		fmt.Fprintln(os.Stderr, "mkdoc:", err)
		os.Exit(1)
	}
}

func write(path string, pages [][]string, dpi, noise float64, blur int) error {
	imgs := make([]image.Image, 0, len(pages))
	for i, lines := range pages {
		g, err := scantest.RenderGray(lines, dpi)
		if err != nil {
			return err
		}
		if blur > 0 {
			g = scantest.Blur(g, blur)
		}
		if noise > 0 {
			g = scantest.Noise(g, noise, 200, uint64(i+1))
		}
		imgs = append(imgs, g)
	}
	var b bytes.Buffer
	if err := scantest.WriteImagePDF(&b, imgs, dpi); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
