package scantest

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
)

func pngEncode(w io.Writer, img image.Image) error { return png.Encode(w, img) }

// Noise adds Gaussian noise of standard deviation sigma (in gray levels)
// and a sprinkle of dark specks (dust), deterministically from seed.
func Noise(g *image.Gray, sigma float64, specks int, seed uint64) *image.Gray {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := image.NewGray(g.Rect)
	for i, v := range g.Pix {
		x := float64(v) + r.NormFloat64()*sigma
		out.Pix[i] = uint8(min(max(x, 0), 255))
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	for range specks {
		x, y := r.IntN(w-2), r.IntN(h-2)
		out.Pix[y*out.Stride+x] = 40
		out.Pix[y*out.Stride+x+1] = 60
	}
	return out
}

// Blur applies a box blur of the given radius twice (close to a Gaussian
// of sigma ≈ radius), like a scanner slightly out of focus.
func Blur(g *image.Gray, radius int) *image.Gray {
	if radius <= 0 {
		return g
	}
	out := g
	for range 2 {
		out = boxH(boxV(out, radius), radius)
	}
	return out
}

func boxH(g *image.Gray, r int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(g.Rect)
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		o := out.Pix[y*out.Stride:]
		sum, n := 0, 0
		for x := 0; x < min(r, w); x++ {
			sum += int(row[x])
			n++
		}
		for x := 0; x < w; x++ {
			if x+r < w {
				sum += int(row[x+r])
				n++
			}
			if x-r-1 >= 0 {
				sum -= int(row[x-r-1])
				n--
			}
			o[x] = uint8(sum / n)
		}
	}
	return out
}

func boxV(g *image.Gray, r int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(g.Rect)
	sums := make([]int, w)
	n := 0
	for y := 0; y < min(r, h); y++ {
		for x := 0; x < w; x++ {
			sums[x] += int(g.Pix[y*g.Stride+x])
		}
		n++
	}
	for y := 0; y < h; y++ {
		if y+r < h {
			for x := 0; x < w; x++ {
				sums[x] += int(g.Pix[(y+r)*g.Stride+x])
			}
			n++
		}
		if y-r-1 >= 0 {
			for x := 0; x < w; x++ {
				sums[x] -= int(g.Pix[(y-r-1)*g.Stride+x])
			}
			n--
		}
		o := out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			o[x] = uint8(sums[x] / n)
		}
	}
	return out
}

// JPEG round-trips g through JPEG at quality q.
func JPEG(g *image.Gray, q int) *image.Gray {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, g, &jpeg.Options{Quality: q}); err != nil {
		panic(err)
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		panic(err)
	}
	return img.(*image.Gray)
}
