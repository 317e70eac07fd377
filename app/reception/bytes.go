package reception

import (
	"encoding/binary"
	"encoding/json"
)

func beUint64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func bePutUint64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
