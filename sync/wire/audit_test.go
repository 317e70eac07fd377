package wire_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"motcua/sync/wire"
)

func hexOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// pinnedEntry is an entry whose hash was computed by app/audit before the
// hash moved here: desks' existing chains were written with it.
func pinnedEntry() wire.AuditEntry {
	return wire.AuditEntry{Seq: 7, At: time.Date(2026, 3, 2, 1, 15, 0, 123456789, time.UTC), Actor: "u-tiepnhan-01", Role: "clerk",
		Action: "receive", Object: "dossier/0195f3a2-7c41-7d2e-9b1a-3f5c2e8d4a10",
		After: hexOf("sau"), Summary: "000.17.22.H56-260302-0007 <1.001193> & Hộ tịch", Prev: hexOf("trước")}
}

const pinnedHash = "11b48075ae441dd67c2443192838ca1141ae7c6a196845db7379da901edc2ce3"

// sampleAuditChain is two linked entries, hashes filled in.
func sampleAuditChain() []wire.AuditEntry {
	a := pinnedEntry()
	a.Hash = a.ComputeHash()
	b := wire.AuditEntry{Seq: 8, At: time.Date(2026, 3, 2, 2, 40, 0, 0, time.UTC), Actor: "u-chuyenmon-02", Role: "specialist",
		Action: "transfer", Object: "dossier/0195f3a2-7c41-7d2e-9b1a-3f5c2e8d4a10",
		Before: hexOf("sau"), After: hexOf("sau nữa"), Summary: "000.17.22.H56-260302-0007", Prev: a.Hash}
	b.Hash = b.ComputeHash()
	return []wire.AuditEntry{a, b}
}

func TestAuditHashIsTheChainsHash(t *testing.T) {
	e := pinnedEntry()
	if got := e.ComputeHash(); got != pinnedHash {
		t.Fatalf("hash of the pinned entry changed: %s (existing chains would no longer verify)", got)
	}
	e.Hash = "whatever"
	if e.ComputeHash() != pinnedHash {
		t.Fatal("the hash depends on the Hash field itself")
	}
	// Every field is covered.
	v := reflect.ValueOf(&e).Elem()
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Name
		if name == "Hash" {
			continue
		}
		c := pinnedEntry()
		f := reflect.ValueOf(&c).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Uint64:
			f.SetUint(f.Uint() + 1)
		default:
			c.At = c.At.Add(time.Nanosecond)
		}
		if c.ComputeHash() == pinnedHash {
			t.Errorf("changing %s leaves the hash as it was", name)
		}
	}
}

func TestAuditGolden(t *testing.T) {
	chain := sampleAuditChain()
	for _, g := range []struct {
		file  string
		value any
		empty func() any
	}{
		{"audit_request.json", wire.AuditRequest{Head: wire.AuditHead{Seq: 9, Hash: hexOf("đầu chuỗi")}, Entries: chain},
			func() any { return new(wire.AuditRequest) }},
		{"audit_response.json", wire.AuditResponse{
			Results: []wire.AuditResult{
				{Seq: 7, Outcome: wire.OutcomeDuplicate},
				{Seq: 8, Outcome: wire.OutcomeConflict, Code: wire.CodeAuditConflict,
					Reason: "Mục nhật ký số 8 khác với bản máy chủ tỉnh đã nhận."},
			},
			Stored: wire.AuditHead{Seq: 8, Hash: hexOf("bản trên máy chủ")},
		}, func() any { return new(wire.AuditResponse) }},
	} {
		t.Run(g.file, func(t *testing.T) { checkGolden(t, g.file, g.value, g.empty()) })
	}
}

// An entry read back from the golden file still matches its hash: what the
// hub decodes is what the desk hashed.
func TestAuditGoldenEntriesVerifyAfterDecoding(t *testing.T) {
	b, err := os.ReadFile("testdata/audit_request.json")
	if err != nil {
		t.Fatal(err)
	}
	var req wire.AuditRequest
	if err := wire.DecodeStrict(bytes.NewReader(b), wire.MaxAuditBytes, &req); err != nil {
		t.Fatal(err)
	}
	if err := req.Check(); err != nil {
		t.Fatal(err)
	}
	for i, e := range req.Entries {
		if err := e.Validate(); err != nil {
			t.Errorf("entry %d: %v", e.Seq, err)
		}
		if e.ComputeHash() != e.Hash {
			t.Errorf("entry %d does not match its hash after decoding", e.Seq)
		}
		if i > 0 && e.Prev != req.Entries[i-1].Hash {
			t.Errorf("entry %d does not link to %d", e.Seq, req.Entries[i-1].Seq)
		}
	}
	if req.Entries[0].Hash != pinnedHash {
		t.Fatalf("golden entry 7 has hash %s", req.Entries[0].Hash)
	}
}

func TestAuditValidateAndCheck(t *testing.T) {
	chain := sampleAuditChain()
	bad := []struct {
		name string
		f    func(*wire.AuditEntry)
	}{
		{"seq 0", func(e *wire.AuditEntry) { e.Seq = 0 }},
		{"no time", func(e *wire.AuditEntry) { e.At = time.Time{} }},
		{"prev not hex", func(e *wire.AuditEntry) { e.Prev = "abc" }},
		{"hash upper case", func(e *wire.AuditEntry) { e.Hash = strings.ToUpper(e.Hash) }},
		{"summary too long", func(e *wire.AuditEntry) { e.Summary = strings.Repeat("ơ", 8001) }},
	}
	for _, c := range bad {
		e := chain[0]
		c.f(&e)
		if err := e.Validate(); !errors.Is(err, wire.ErrInvalid) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	good := wire.AuditRequest{Head: wire.AuditHead{Seq: 8, Hash: chain[1].Hash}, Entries: chain}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	if err := (&wire.AuditRequest{}).Check(); err != nil {
		t.Fatalf("an empty batch (head only) is fine: %v", err)
	}
	for name, r := range map[string]wire.AuditRequest{
		"not consecutive": {Head: good.Head, Entries: []wire.AuditEntry{chain[1], chain[0]}},
		"head behind":     {Head: wire.AuditHead{Seq: 7, Hash: chain[0].Hash}, Entries: chain},
		"head not hex":    {Head: wire.AuditHead{Seq: 8, Hash: "x"}, Entries: chain},
		"too many":        {Head: wire.AuditHead{Seq: 1000, Hash: chain[1].Hash}, Entries: make([]wire.AuditEntry, wire.MaxAuditEntries+1)},
	} {
		if err := r.Check(); !errors.Is(err, wire.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
