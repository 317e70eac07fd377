package vntext

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// vowels lists every Vietnamese vowel (rows) with every tone (columns: none,
// huyền, sắc, hỏi, ngã, nặng) as precomposed NFC letters. The test builds the
// same letters from combining marks, so a typo here fails loudly.
var vowels = []struct {
	base  string // the letter without tone, as base + vowel mark
	mark  string // combining vowel mark (breve, circumflex, horn) or ""
	fold  string // expected folded form
	toned string // the six precomposed letters
}{
	{"a", "", "a", "aàáảãạ"},
	{"a", "\u0306", "a", "ăằắẳẵặ"},
	{"a", "\u0302", "a", "âầấẩẫậ"},
	{"e", "", "e", "eèéẻẽẹ"},
	{"e", "\u0302", "e", "êềếểễệ"},
	{"i", "", "i", "iìíỉĩị"},
	{"o", "", "o", "oòóỏõọ"},
	{"o", "\u0302", "o", "ôồốổỗộ"},
	{"o", "\u031b", "o", "ơờớởỡợ"},
	{"u", "", "u", "uùúủũụ"},
	{"u", "\u031b", "u", "ưừứửữự"},
	{"y", "", "y", "yỳýỷỹỵ"},
}

// tones are the combining tone marks in column order; "" is thanh ngang.
var tones = []string{"", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}

func TestFoldEveryVowelAndTone(t *testing.T) {
	n := 0
	for _, v := range vowels {
		letters := []rune(v.toned)
		if len(letters) != len(tones) {
			t.Fatalf("row %q has %d letters, want %d", v.toned, len(letters), len(tones))
		}
		for i, tone := range tones {
			nfc := string(letters[i])
			// The second order (tone before vowel mark) is not canonically
			// equivalent when both marks sit above, but sloppy input methods
			// produce it, and it must still fold to the same key.
			decomposed := []string{v.base + v.mark + tone, v.base + tone + v.mark}
			if got := NFC(decomposed[0]); got != nfc {
				t.Errorf("NFC(%+q) = %+q, want %+q", decomposed[0], got, nfc)
			}
			upper := strings.ToUpper(nfc)
			if upper == nfc || !IsNFC(upper) {
				t.Errorf("upper-case of %q is %q: not a distinct NFC letter", nfc, upper)
			}
			inputs := []string{
				nfc,
				upper,
				norm.NFD.String(nfc),
				norm.NFD.String(upper),
				decomposed[0],
				decomposed[1],
				strings.ToUpper(decomposed[0]),
			}
			for _, in := range inputs {
				if got := Fold(in); got != v.fold {
					t.Errorf("Fold(%+q) = %q, want %q", in, got, v.fold)
				}
			}
			n++
		}
	}
	if n != 72 {
		t.Errorf("checked %d vowel/tone pairs, want 72", n)
	}
}

func TestFoldD(t *testing.T) {
	for _, in := range []string{"đ", "Đ", "d", "D"} {
		if got := Fold(in); got != "d" {
			t.Errorf("Fold(%q) = %q, want d", in, got)
		}
	}
}

func TestFold(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"   ", ""},
		{"Nguyễn Văn A", "nguyen van a"},
		{"nguyen van a", "nguyen van a"},
		{norm.NFD.String("Nguyễn Văn A"), "nguyen van a"},
		{"  Đặng \t Thị\n\nĐào  ", "dang thi dao"},
		{"ĐƯỜNG QUỐC LỘ", "duong quoc lo"},
		{"Thủ tục đăng ký khai sinh", "thu tuc dang ky khai sinh"},
		{"Chứng thực bản sao (2.000815)", "chung thuc ban sao (2.000815)"},
		{"Ho\u00a0Chi\u2003Minh", "ho chi minh"},       // no-break and em spaces
		{"khai\u00adsinh", "khaisinh"},                 // soft hyphen
		{"Hoa\u200bBình", "hoabinh"},                   // zero-width space
		{"ＡＢＣ １２３", "abc 123"},                         // full-width forms
		{"Ǆ", "dz"},                                    // compatibility decomposition of a digraph
		{"Hòa Bình / Hoà Bình", "hoa binh / hoa binh"}, // old and new tone placement
		{"a\xffb", "a\ufffdb"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%+q) = %+q, want %+q", tt.in, got, tt.want)
		}
	}
}

func TestNFC(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"Nguye\u0302\u0303n", "Nguyễn"},
		{"Nguyễn", "Nguyễn"},
		{"Đ", "Đ"},
		{"a\u0323\u0306", "ặ"},
		{"a\u0306\u0323", "ặ"},
	}
	for _, tt := range tests {
		got := NFC(tt.in)
		if got != tt.want {
			t.Errorf("NFC(%+q) = %+q, want %+q", tt.in, got, tt.want)
		}
		if !IsNFC(got) {
			t.Errorf("IsNFC(NFC(%+q)) = false", tt.in)
		}
	}
	if IsNFC("Nguye\u0302\u0303n") {
		t.Error("IsNFC reports decomposed text as NFC")
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" ,.;-– ", nil},
		{"Đăng ký khai sinh", []string{"dang", "ky", "khai", "sinh"}},
		{"Chứng thực bản sao (2.000815)", []string{"chung", "thuc", "ban", "sao", "2", "000815"}},
		{"cha, mẹ, con", []string{"cha", "me", "con"}},
		{"Bà Rịa - Vũng Tàu", []string{"ba", "ria", "vung", "tau"}},
		{"CCCD:001099012345", []string{"cccd", "001099012345"}},
	}
	for _, tt := range tests {
		if got := Tokens(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// vietnameseAlphabet holds every letter that Vietnamese text uses, upper and
// lower case; used by the fuzz test to decide when the output must be ASCII.
var vietnameseAlphabet = func() map[rune]bool {
	m := map[rune]bool{'đ': true, 'Đ': true}
	for r := 'a'; r <= 'z'; r++ {
		m[r] = true
		m[unicode.ToUpper(r)] = true
	}
	for _, v := range vowels {
		for _, r := range v.toned {
			m[r] = true
			m[unicode.ToUpper(r)] = true
		}
	}
	return m
}()

func FuzzFold(f *testing.F) {
	for _, s := range []string{
		"", "Nguyễn Văn A", norm.NFD.String("Trần Thị Ngọc Ánh"), "ĐƯỜNG", "  a \t b  ",
		"Thủ tục đăng ký kết hôn", "ＡＢＣ", "\xff\xfe", "İ", "ẞ", "ǅ", "x\u0345",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Fold(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Fold(%+q) = %+q is not valid UTF-8", s, out)
		}
		if again := Fold(out); again != out {
			t.Fatalf("Fold not idempotent: Fold(%+q) = %+q, Fold of that = %+q", s, out, again)
		}
		if strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.Contains(out, "  ") {
			t.Fatalf("Fold(%+q) = %+q has stray spaces", s, out)
		}
		for _, r := range out {
			if (unicode.IsSpace(r) && r != ' ') || unicode.Is(unicode.Mn, r) {
				t.Fatalf("Fold(%+q) = %+q keeps %U", s, out, r)
			}
		}
		if utf8.ValidString(s) {
			if nfc, nfd := Fold(NFC(s)), Fold(norm.NFD.String(s)); nfc != out || nfd != out {
				t.Fatalf("Fold differs by normal form of %+q: %+q, NFC %+q, NFD %+q", s, out, nfc, nfd)
			}
			vietnamese := true
			for _, r := range NFC(s) {
				if !vietnameseAlphabet[r] && r != ' ' && !('0' <= r && r <= '9') {
					vietnamese = false
					break
				}
			}
			if vietnamese {
				for _, r := range out {
					if r > unicode.MaxASCII || unicode.IsUpper(r) {
						t.Fatalf("Fold(%+q) = %+q: %q is not lower-case ASCII", s, out, r)
					}
				}
			}
		}
	})
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"  Cam Ha\u0309i \t\u0110o\u0302ng \n": "Cam Hải Đông",
		"":                                     "",
		"Nguyễn  Văn   A":                      "Nguyễn Văn A",
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEcho(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"a\u0309", 40, "ả"}, // decomposed becomes NFC
		{strings.Repeat("x", 50), 40, strings.Repeat("x", 40) + "…"},
		{"Nguyễn", 3, "Ngu…"},
		{"bad\xffbyte", 40, "bad\uFFFDbyte"},
		{"", 40, ""},
	} {
		if got := Echo(tc.in, tc.max); got != tc.want || !IsNFC(got) {
			t.Errorf("Echo(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
