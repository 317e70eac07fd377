// Package scanning turns scanned and imported documents into what the
// archive keeps: one cleaned image per page, its text with word boxes, and a
// searchable PDF (image plus invisible text layer), the original file left
// untouched beside them.
//
// # Pipeline
//
// Pipeline.Process takes one file and runs, page by page:
//
//	intake   Inspect: real type from the bytes (PDF, JPEG, PNG, TIFF with
//	         several pages), extension consistent with it, name sanitized,
//	         size and pixel limits read from headers before decoding,
//	         SHA-256 of the file.
//	render   PDF pages through a Rasterizer (scanning/fitz) at Options.DPI,
//	         one document handle per worker; raster files decoded in Go at
//	         their own resolution (a TIFF page at a time).
//	clean    colour check (seals, signatures, photos keep colour), gray
//	         conversion, blank detection (reported, and by default left out
//	         of the PDF), skew estimate over ±5° and correction.
//	ocr      a Recognizer (scanning/tesseract), one per worker, kept across
//	         documents; pages that look sideways, or read with low
//	         confidence, are asked for their orientation and turned. An
//	         upright page is read within the box of its marks, padded
//	         (ocrBounds: the empty margins cost time and yield dust). PDF
//	         pages with their own text layer are not OCR'd. Noise "words"
//	         from dust and JPEG artefacts are dropped.
//	barcode  every QR code on the page; a dossier payload
//	         (forms.ParseQRPayload) makes the page a binding page.
//	encode   JPEG (colour, gray) or 1-bit PNG (Options.Compact); SHA-256.
//	assemble pages go to the searchable PDF (scanning/searchpdf) and to the
//	         caller in order.
//
// Workers process pages in parallel; a window of twice the workers bounds
// the pages between dispatch and delivery, so memory does not grow with the
// length of the document (a 2,000-page PDF is counted, then rendered one
// page at a time). Progress is reported per page and stage; a failing page
// stops the document with a *PageError naming the page and the stage; the
// context cancels everything.
//
// # Engines and cgo
//
// This package has no cgo and builds and tests without MuPDF or Tesseract.
// The engines sit behind Rasterizer and Recognizer (owned here) in the thin
// adapters scanning/fitz and scanning/tesseract; their end-to-end tests are
// in scanning/e2e.
//
// Tesseract must run with OMP_THREAD_LIMIT=1 set before the process starts
// (Debian's build uses OpenMP and is 4–5 times slower with parallel
// workers otherwise), and glibc's allocator is tuned the same way to keep
// peak memory down. main calls EnsureEngineEnv first thing; test binaries
// of packages that run Tesseract do it in TestMain.
//
// # Errors
//
// Errors wrap the sentinels of errors.go (ErrEncrypted, ErrCorrupt,
// ErrTooLarge, ErrExtensionMismatch …) and carry details in typed errors
// (*PageError, *TooLargeError, *ExtensionMismatchError …); the API edge
// turns them into Vietnamese messages.
package scanning
