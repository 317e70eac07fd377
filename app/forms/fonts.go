package forms

import _ "embed"

// Liberation Serif is metric-compatible with Times New Roman, the face of
// Vietnamese official documents, covers Vietnamese fully and is under the OFL
// (fonts/OFL.txt), so it can ship inside the binary. Embedding keeps the
// forms identical on every desk PC whatever fonts it has.
var (
	//go:embed fonts/LiberationSerif-Regular.ttf
	fontRegular []byte
	//go:embed fonts/LiberationSerif-Bold.ttf
	fontBold []byte
	//go:embed fonts/LiberationSerif-Italic.ttf
	fontItalic []byte
)

const fontFamily = "LiberationSerif"
