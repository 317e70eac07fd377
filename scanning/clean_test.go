package scanning

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"testing"

	"motcua/internal/scantest"
)

func render(t testing.TB, lines []string, dpi float64) *image.Gray {
	t.Helper()
	g, err := scantest.RenderGray(lines, dpi)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// lighten maps ink to a faint gray, as show-through from the back of thin
// paper looks.
func lighten(g *image.Gray, keep float64) *image.Gray {
	out := image.NewGray(g.Rect)
	for i, v := range g.Pix {
		out.Pix[i] = uint8(255 - float64(255-v)*keep)
	}
	return out
}

func TestBlank(t *testing.T) {
	const dpi = 150
	white := grayPage(1240, 1754, 250)
	border := grayPage(1240, 1754, 250)
	for y := 0; y < 1754; y++ { // scanner lid shadow along the left edge
		for x := 0; x < 30; x++ {
			border.Pix[y*border.Stride+x] = 10
		}
	}
	tests := []struct {
		name  string
		page  *image.Gray
		blank bool
	}{
		{"white", white, true},
		{"white with noise and dust", scantest.Noise(white, 12, 400, 1), true},
		{"dark border only", border, true},
		{"show-through", lighten(render(t, scantest.Page(0, 28), dpi), 0.12), true},
		{"one short line", render(t, []string{"Trang 2"}, dpi), false},
		{"full page", render(t, scantest.Page(0, 28), dpi), false},
		{"full page, noisy and blurred", scantest.Blur(scantest.Noise(render(t, scantest.Page(1, 28), dpi), 20, 400, 2), 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blank, st := Blank(tt.page, dpi)
			t.Logf("paper %d, ink blocks %d (%.4f%%)", st.Paper, st.InkBlocks, 100*st.InkShare)
			if blank != tt.blank {
				t.Errorf("Blank = %v, want %v", blank, tt.blank)
			}
		})
	}
}

func toColour(g *image.Gray) *image.RGBA {
	m := image.NewRGBA(g.Rect)
	for i, v := range g.Pix {
		m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = v, v, v, 0xff
	}
	return m
}

// seal draws a red ring of radius r and width w (pixels) centred at c.
func seal(m *image.RGBA, c image.Point, r, w float64) {
	red := color.RGBA{200, 40, 50, 0xff}
	for y := c.Y - int(r) - 1; y <= c.Y+int(r)+1; y++ {
		for x := c.X - int(r) - 1; x <= c.X+int(r)+1; x++ {
			d := math.Hypot(float64(x-c.X), float64(y-c.Y))
			if d <= r && d >= r-w {
				m.SetRGBA(x, y, red)
			}
		}
	}
}

// signature draws a blue ballpoint scrawl, 0.5 mm wide and about 6 cm
// long, at (x, y) on a page at dpi.
func signature(m *image.RGBA, x, y int, dpi float64) {
	blue := color.RGBA{30, 40, 120, 0xff}
	mm := dpi / 25.4
	r := 0.25 * mm
	for t := 0.0; t < 60; t += 0.05 {
		cx := float64(x) + t*mm
		cy := float64(y) + 6*mm*math.Sin(t/3)
		for dy := -r; dy <= r; dy++ {
			for dx := -r; dx <= r; dx++ {
				if dx*dx+dy*dy <= r*r {
					m.SetRGBA(int(cx+dx), int(cy+dy), blue)
				}
			}
		}
	}
}

func TestColour(t *testing.T) {
	const dpi = 150
	text := render(t, scantest.Page(2, 28), dpi)
	withSeal := toColour(text)
	// A 40 mm commune seal, 1.2 mm ring, bottom right.
	seal(withSeal, image.Pt(900, 1400), 20/25.4*dpi, 1.2/25.4*dpi)
	signed := toColour(text)
	signature(signed, 300, 1500, dpi)
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, withSeal, &jpeg.Options{Quality: 60}); err != nil {
		t.Fatal(err)
	}
	sealJPEG, err := jpeg.Decode(&jpg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		img    image.Image
		colour bool
	}{
		{"gray image", text, false},
		{"gray text as RGB", toColour(text), false},
		{"blue signature", signed, true},
		{"red seal", withSeal, true},
		{"red seal after JPEG", sealJPEG, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Logf("chromatic area %.1f mm²", ChromaticArea(tt.img, dpi))
			if got := IsColour(tt.img, dpi); got != tt.colour {
				t.Errorf("IsColour = %v, want %v", got, tt.colour)
			}
		})
	}
}

func TestEstimateSkew(t *testing.T) {
	const dpi = 150
	page := render(t, scantest.Page(3, 28), dpi)
	for _, angle := range []float64{-4, -2.5, -0.7, 0, 1.3, 3} {
		skewed := Rotate(page, angle).(*image.Gray)
		got := EstimateSkew(skewed, dpi)
		if math.Abs(got-angle) > 0.1 {
			t.Errorf("page rotated %.2f°: estimated %.2f°", angle, got)
		}
		// Straightening leaves no skew to find.
		if again := EstimateSkew(Rotate(skewed, -got).(*image.Gray), dpi); math.Abs(again) > 0.1 {
			t.Errorf("page rotated %.2f° and straightened: %.2f° left", angle, again)
		}
	}
	// At 300 dpi the page is analysed at a quarter of its size; the
	// precision holds.
	page300 := render(t, scantest.Page(4, 28), 300)
	for _, angle := range []float64{-1.7, 2.35} {
		if got := EstimateSkew(Rotate(page300, angle).(*image.Gray), 300); math.Abs(got-angle) > 0.1 {
			t.Errorf("300 dpi page rotated %.2f°: estimated %.2f°", angle, got)
		}
	}
	if got := EstimateSkew(grayPage(1240, 1754, 255), dpi); got != 0 {
		t.Errorf("blank page: skew %.2f, want 0", got)
	}
}

func TestSideways(t *testing.T) {
	const dpi = 150
	page := render(t, scantest.Page(4, 28), dpi)
	for q, want := range []bool{false, true, false, true} {
		if got := Sideways(RotateQuarter(page, q).(*image.Gray), dpi); got != want {
			t.Errorf("page turned %d°: Sideways = %v, want %v", 90*q, got, want)
		}
	}
}

func TestRotateQuarter(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(g.Pix, []byte{1, 2, 3, 4, 5, 6})
	// Counter-clockwise: the right column becomes the top row.
	tests := []struct {
		q    int
		w, h int
		pix  []byte
	}{
		{1, 2, 3, []byte{3, 6, 2, 5, 1, 4}},
		{2, 3, 2, []byte{6, 5, 4, 3, 2, 1}},
		{3, 2, 3, []byte{4, 1, 5, 2, 6, 3}},
		{4, 3, 2, []byte{1, 2, 3, 4, 5, 6}},
		{-1, 2, 3, []byte{4, 1, 5, 2, 6, 3}},
	}
	for _, tt := range tests {
		got := RotateQuarter(g, tt.q)
		gg, ok := got.(*image.Gray)
		if !ok || gg.Rect.Dx() != tt.w || gg.Rect.Dy() != tt.h || !bytes.Equal(gg.Pix, tt.pix) {
			t.Errorf("q=%d: got %v", tt.q, got)
		}
		rgba := RotateQuarter(toColour(g), tt.q).(*image.RGBA)
		for i, v := range tt.pix {
			if rgba.Pix[4*i] != v {
				t.Errorf("q=%d RGBA pixel %d = %d, want %d", tt.q, i, rgba.Pix[4*i], v)
			}
		}
	}
}

func TestRotateRoundTrip(t *testing.T) {
	page := render(t, scantest.Page(5, 10), 100)
	back := Rotate(Rotate(page, 3), -3).(*image.Gray)
	// Away from the corners the round trip only softens edges.
	var diff, n float64
	b := page.Rect.Inset(page.Rect.Dx() / 8)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			diff += math.Abs(float64(page.GrayAt(x, y).Y) - float64(back.GrayAt(x, y).Y))
			n++
		}
	}
	if mean := diff / n; mean > 3 {
		t.Errorf("mean difference after ±3° is %.2f gray levels", mean)
	}
	// Uncovered corners are paper white.
	if v := Rotate(grayPage(200, 300, 0), 5).(*image.Gray).GrayAt(0, 0).Y; v != 0xff {
		t.Errorf("corner after rotation = %d, want 255", v)
	}
}

func TestGrayFastPaths(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 2, 1))
	src.Pix = []byte{255, 0, 0, 255, 10, 200, 30, 255}
	want := []byte{
		color.GrayModel.Convert(color.RGBA{255, 0, 0, 255}).(color.Gray).Y,
		color.GrayModel.Convert(color.RGBA{10, 200, 30, 255}).(color.Gray).Y,
	}
	ycc := image.NewYCbCr(image.Rect(0, 0, 2, 1), image.YCbCrSubsampleRatio444)
	copy(ycc.Y, []byte{7, 9})
	for name, tt := range map[string]struct {
		img  image.Image
		want []byte
	}{
		"rgba":       {src, want},
		"ycbcr luma": {ycc, []byte{7, 9}},
		"sub-image":  {src.SubImage(image.Rect(1, 0, 2, 1)), want[1:]},
	} {
		if got := Gray(tt.img).Pix; !bytes.Equal(got, tt.want) {
			t.Errorf("%s: Gray = %v, want %v", name, got, tt.want)
		}
	}
}

// The OCR crop keeps every mark, including a page number deep in the
// bottom margin and text that the deskew moves, and leaves out the empty
// margins and lone specks.
func TestOCRBounds(t *testing.T) {
	const dpi = 150
	g := render(t, scantest.Page(1, 12), dpi)
	w, h := g.Rect.Dx(), g.Rect.Dy()
	text := inkRect(g, 128)
	// A page number 8 mm from the bottom edge, inside blank detection's
	// ignored margin; specks in the margins.
	const numY = 47 // px: 8 mm from the bottom edge at 150 dpi
	num := image.Rect(w/2-12, h-numY-14, w/2+12, h-numY)
	for y := num.Min.Y; y < num.Max.Y; y++ {
		for x := num.Min.X; x < num.Max.X; x += 3 {
			g.Pix[y*g.Stride+x] = 20
		}
	}
	for _, p := range []image.Point{{5, 5}, {w - 20, 40}, {30, h / 2}} {
		g.Pix[p.Y*g.Stride+p.X] = 0
	}
	thumb := thumbnail(g, dpi)
	_, st := blankOf(thumb)
	crop := ocrBounds(thumb, st.Paper, w, h, dpi, 0)
	if !text.In(crop) || !num.In(crop) {
		t.Fatalf("crop %v leaves out text %v or page number %v", crop, text, num)
	}
	if crop.Min.X < 15 || crop.Min.Y < 15 || crop.Max.X > w-15 {
		t.Errorf("crop %v reaches specks in the margins of %dx%d", crop, w, h)
	}
	if share := float64(crop.Dx()*crop.Dy()) / float64(w*h); share > cropMaxShare {
		t.Errorf("crop keeps %.0f%% of the page", share*100)
	}

	// A crooked page: the crop is computed before the deskew and must hold
	// the text where the deskew puts it.
	for _, skew := range []float64{5, -4.5} {
		crooked := Rotate(render(t, scantest.Page(2, 12), dpi), skew).(*image.Gray)
		th := thumbnail(crooked, dpi)
		_, st := blankOf(th)
		crop := ocrBounds(th, st.Paper, w, h, dpi, skew)
		straight := Rotate(crooked, -skew).(*image.Gray)
		if ink := inkRect(straight, 128); !ink.In(crop) {
			t.Errorf("skew %v: crop %v leaves out the deskewed text %v", skew, crop, ink)
		}
	}

	// Nothing to crop to, or marks all over: the whole page.
	white := grayPage(w, h, 250)
	if c := ocrBounds(thumbnail(white, dpi), 250, w, h, dpi, 0); c != white.Rect {
		t.Errorf("blank page: crop %v", c)
	}
	framed := grayPage(w, h, 250)
	for x := 0; x < w; x++ {
		for _, y := range []int{3, 4, 5, 6, h - 5, h - 6, h - 7, h - 8} {
			framed.Pix[y*framed.Stride+x] = 0
		}
	}
	if c := ocrBounds(thumbnail(framed, dpi), 250, w, h, dpi, 0); c != framed.Rect {
		t.Errorf("framed page: crop %v, want the page", c)
	}
}

// inkRect is the bounding box of the pixels darker than limit.
func inkRect(g *image.Gray, limit uint8) image.Rectangle {
	var r image.Rectangle
	for y := 0; y < g.Rect.Dy(); y++ {
		for x := 0; x < g.Rect.Dx(); x++ {
			if g.Pix[y*g.Stride+x] < limit {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}
