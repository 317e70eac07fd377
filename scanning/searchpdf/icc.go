package searchpdf

import (
	"bytes"
	"encoding/binary"
	"math"
)

// srgbProfile builds an ICC v2 display profile for sRGB (IEC 61966-2-1):
// D50-adapted primaries, the sRGB tone curve sampled at 1024 points. PDF/A
// needs an output intent with an ICC profile once device colour (the page
// images are DeviceRGB or DeviceGray) is used; generating it keeps the
// module free of a binary profile of unclear licence.
func srgbProfile() []byte {
	be := binary.BigEndian
	s15 := func(v float64) uint32 { return uint32(int32(math.Round(v * 65536))) }
	xyz := func(x, y, z float64) []byte {
		var b bytes.Buffer
		b.WriteString("XYZ ")
		_ = binary.Write(&b, be, []uint32{0, s15(x), s15(y), s15(z)})
		return b.Bytes()
	}
	text := func(s string) []byte {
		var b bytes.Buffer
		b.WriteString("text")
		b.Write(make([]byte, 4))
		b.WriteString(s)
		b.WriteByte(0)
		return b.Bytes()
	}
	desc := func(s string) []byte {
		var b bytes.Buffer
		b.WriteString("desc")
		b.Write(make([]byte, 4))
		_ = binary.Write(&b, be, uint32(len(s)+1))
		b.WriteString(s)
		b.WriteByte(0)
		_ = binary.Write(&b, be, []uint32{0, 0}) // Unicode language, count
		b.Write(make([]byte, 2+1+67))            // ScriptCode code, count, data
		return b.Bytes()
	}
	var curv bytes.Buffer
	curv.WriteString("curv")
	const n = 1024
	_ = binary.Write(&curv, be, []uint32{0, n})
	for i := 0; i < n; i++ {
		v := float64(i) / (n - 1)
		if v <= 0.04045 {
			v /= 12.92
		} else {
			v = math.Pow((v+0.055)/1.055, 2.4)
		}
		_ = binary.Write(&curv, be, uint16(math.Round(v*65535)))
	}

	type tag struct {
		sig  string
		data []byte
	}
	trc := curv.Bytes()
	tags := []tag{
		{"desc", desc("sRGB IEC61966-2.1 (motcua)")},
		{"cprt", text("No copyright, use freely")},
		{"wtpt", xyz(0.9505, 1.0, 1.0890)},
		{"rXYZ", xyz(0.4361, 0.2225, 0.0139)},
		{"gXYZ", xyz(0.3851, 0.7169, 0.0971)},
		{"bXYZ", xyz(0.1431, 0.0606, 0.7141)},
		{"rTRC", trc},
		{"gTRC", trc},
		{"bTRC", trc},
	}
	var table, data bytes.Buffer
	base := 128 + 4 + 12*len(tags)
	_ = binary.Write(&table, be, uint32(len(tags)))
	offsets := map[*byte]int{}
	for _, t := range tags {
		off, shared := offsets[&t.data[0]]
		if !shared {
			off = base + data.Len()
			offsets[&t.data[0]] = off
			data.Write(t.data)
			for data.Len()%4 != 0 {
				data.WriteByte(0)
			}
		}
		table.WriteString(t.sig)
		_ = binary.Write(&table, be, []uint32{uint32(off), uint32(len(t.data))})
	}
	size := base + data.Len()
	var hdr bytes.Buffer
	_ = binary.Write(&hdr, be, []uint32{uint32(size), 0, 0x02100000})
	hdr.WriteString("mntrRGB XYZ ")
	_ = binary.Write(&hdr, be, []uint16{2026, 1, 1, 0, 0, 0})
	hdr.WriteString("acsp")
	_ = binary.Write(&hdr, be, []uint32{0, 0, 0, 0, 0, 0})                         // platform, flags, manufacturer, model, attributes (8 bytes)
	_ = binary.Write(&hdr, be, []uint32{0, s15(0.9642), s15(1.0), s15(0.8249), 0}) // intent, D50 illuminant, creator
	hdr.Write(make([]byte, 128-hdr.Len()))
	return append(append(hdr.Bytes(), table.Bytes()...), data.Bytes()...)
}
