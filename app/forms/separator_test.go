package forms

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSeparatorSheet(t *testing.T) {
	var b bytes.Buffer
	if err := SeparatorSheet(&b, "MOTCUA:TACH"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tach.pdf")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(pdfPages(t, path), "\n"); !strings.Contains(text, "TỜ TÁCH TÀI LIỆU") {
		t.Errorf("text: %q", text)
	}
	if codes := scanCodes(t, pagePNG(t, path, 1, 150)); len(codes) != 1 || codes[0] != "MOTCUA:TACH" {
		t.Errorf("codes on the sheet: %q", codes)
	}
}
