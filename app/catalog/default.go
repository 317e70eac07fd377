package catalog

import (
	"bytes"
	_ "embed"
)

// communeJSON is the built-in commune-level catalog, compiled from the
// sources cited in its "source" field.
//
//go:embed commune.json
var communeJSON []byte

// Default returns a fresh copy of the built-in commune-level catalog.
func Default() (*Catalog, error) {
	return Parse(bytes.NewReader(communeJSON))
}
