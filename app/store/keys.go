package store

// This file is the one place that defines the Badger key schema. Every key
// starts with a one-byte prefix naming its table; the rest of the layout is
// documented next to each prefix. Sequence numbers are big-endian so that
// Badger's byte order is numeric order. Never reuse or renumber a prefix: add
// a new one and a migration instead.

const (
	// prefixMeta holds store-level metadata.
	//   0x00 "schema"  -> big-endian uint32 schema version
	//   0x00 "created" -> RFC 3339 creation time
	prefixMeta byte = 0x00

	// prefixSettings holds singleton configuration documents, JSON-encoded.
	//   0x01 "office" -> office settings (commune name, agency code, hours …)
	prefixSettings byte = 0x01
)

var (
	keySchemaVersion = []byte{prefixMeta, 's', 'c', 'h', 'e', 'm', 'a'}
	keyCreated       = []byte{prefixMeta, 'c', 'r', 'e', 'a', 't', 'e', 'd'}
)

// KeyOfficeSettings is the key of the office settings document.
func KeyOfficeSettings() []byte { return settingsKey("office") }

func settingsKey(name string) []byte {
	return append([]byte{prefixSettings}, name...)
}
