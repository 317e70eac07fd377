package tesseract

// #cgo LDFLAGS: -ltesseract -lleptonica
// #include <stdlib.h>
// #include <leptonica/allheaders.h>
// #include <tesseract/capi.h>
import "C"

import (
	"errors"
	"image"
	"unsafe"
)

// osd is a Tesseract instance with the "osd" model, used through the C API
// because gosseract offers no DetectOrientationScript.
type osd struct{ api *C.TessBaseAPI }

var errNoOSD = errors.New("tesseract osd model not available")

func newOSD(prefix string) (*osd, error) {
	api := C.TessBaseAPICreate()
	var cprefix *C.char
	if prefix != "" {
		cprefix = C.CString(prefix)
		defer C.free(unsafe.Pointer(cprefix))
	}
	lang := C.CString("osd")
	defer C.free(unsafe.Pointer(lang))
	if C.TessBaseAPIInit3(api, cprefix, lang) != 0 {
		C.TessBaseAPIDelete(api)
		return nil, errNoOSD
	}
	C.TessBaseAPISetPageSegMode(api, C.PSM_OSD_ONLY)
	return &osd{api: api}, nil
}

// detect returns the counter-clockwise turn that makes the page upright.
// Tesseract's orient_deg is exactly that (a page turned 90° clockwise gives
// 90 and must be turned 90° counter-clockwise; TestOrientation pins it).
func (o *osd) detect(img *image.Gray, dpi float64) (int, float64, error) {
	data := bmp(img)
	// The detector reads the resolution from the image itself (Leptonica
	// Pix), not from SetSourceResolution: set it there.
	pix := C.pixReadMem((*C.l_uint8)(unsafe.Pointer(&data[0])), C.size_t(len(data)))
	if pix == nil {
		return 0, 0, errors.New("tesseract osd: leptonica cannot read the page")
	}
	defer C.pixDestroy(&pix)
	C.pixSetResolution(pix, C.l_int32(dpi+0.5), C.l_int32(dpi+0.5))
	C.TessBaseAPISetImage2(o.api, (*C.struct_Pix)(unsafe.Pointer(pix)))
	var deg C.int
	var conf, scriptConf C.float
	var script *C.char
	ok := C.TessBaseAPIDetectOrientationScript(o.api, &deg, &conf, &script, &scriptConf)
	C.TessBaseAPIClear(o.api)
	if ok == 0 {
		// Too little text to decide: not an error, just no answer.
		return 0, 0, nil
	}
	return int(deg), float64(conf), nil
}

func (o *osd) close() {
	C.TessBaseAPIEnd(o.api)
	C.TessBaseAPIDelete(o.api)
}
