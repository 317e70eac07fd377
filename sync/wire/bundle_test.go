package wire_test

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"motcua/sync/wire"
)

// testKey is a fixed key, so the golden manifest's key_id is stable.
var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

func sampleManifest() wire.BundleManifest {
	return wire.BundleManifest{
		Kind: wire.BundleOutbox, ID: "0195f3b0-1a2b-7c3d-8e4f-5a6b7c8d9e0f", CreatedAt: at("2026-03-04T10:00:00+07:00"),
		DeviceID: "dev-0123456789abcdef01234567", CommuneCode: "000.17.22.H56", Cursor: "3f2a9c41d0e1b2c3.41",
		AgeRecipient: testRecipient,
	}
}

// testRecipient is a valid age X25519 recipient (a desk's, in the samples).
const testRecipient = "age1tz03fuu6mlc8q67dpenfsmsdwsfl7hjzj5qm85a5p65wxkvuh5fq96ekfn"

// writeBundle writes a bundle of the golden dossier and events with the
// golden dossier's two scans.
func writeBundle(t *testing.T, key ed25519.PrivateKey) ([]byte, wire.BundleManifest, map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	bw := wire.NewBundleWriter(&buf)
	d := sampleDossier()
	blobs := map[string][]byte{}
	for i, ref := range d.Blobs() {
		data := bytes.Repeat([]byte{byte('a' + i)}, 3000+i)
		ref.SHA256, ref.Size = wire.SumHex(data), int64(len(data))
		d.Components[i].Blobs[0] = ref
		blobs[ref.SHA256] = data
		if err := bw.AddBlob(ref.SHA256, ref.Size, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		// Adding a blob twice stores it once.
		if err := bw.AddBlob(ref.SHA256, ref.Size, bytes.NewReader(data)); err != nil || !bw.HasBlob(ref.SHA256) {
			t.Fatalf("second add: %v", err)
		}
	}
	doc, _ := json.Marshal(d)
	if err := bw.AddItem(wire.BundleItemDossier, d.ID, d.ID, doc); err != nil {
		t.Fatal(err)
	}
	for _, e := range sampleEvents() {
		doc, _ := json.Marshal(e)
		if err := bw.AddItem(wire.BundleItemEvent, e.ID, e.DossierID, doc); err != nil {
			t.Fatal(err)
		}
	}
	m, err := bw.Finish(sampleManifest(), key)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), m, blobs
}

func openBundle(data []byte) (*wire.Bundle, error) {
	return wire.OpenBundle(bytes.NewReader(data), int64(len(data)))
}

func TestBundleRoundTrip(t *testing.T) {
	data, m, blobs := writeBundle(t, testKey)
	if m.Format != wire.BundleFormat || m.Protocol != wire.Current.String() || len(m.Items) != 3 || len(m.Blobs) != 2 {
		t.Fatalf("manifest %+v", m)
	}
	b, err := openBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(testKey.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	if err := b.CheckContent(); err != nil {
		t.Fatal(err)
	}
	var d wire.Dossier
	raw, err := b.Item(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := wire.DecodeStrict(bytes.NewReader(raw), wire.MaxBundleItemBytes, &d); err != nil || d.ID != m.Items[0].ID {
		t.Fatalf("item 0: %v %s", err, d.ID)
	}
	for sum, want := range blobs {
		rc, err := b.OpenBlob(sum)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("blob %s: %v", sum, err)
		}
	}
	if _, err := b.OpenBlob(wire.SumHex([]byte("not here"))); !errors.Is(err, wire.ErrBundleInvalid) {
		t.Fatalf("unknown blob: %v", err)
	}
}

func TestBundleRefusesAnotherKey(t *testing.T) {
	data, _, _ := writeBundle(t, testKey)
	b, err := openBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize)).Public()
	if err := b.Verify(other.(ed25519.PublicKey)); !errors.Is(err, wire.ErrBundleSignature) || !strings.Contains(err.Error(), "signed by key") {
		t.Fatalf("verify with another key: %v", err)
	}
}

// rezip copies a bundle entry by entry through edit, which may change an
// entry's bytes or drop it (nil), and appends extra entries.
func rezip(t *testing.T, data []byte, edit func(name string, b []byte) []byte, extra map[string][]byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	write := func(name string, b []byte) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if b = edit(f.Name, b); b != nil {
			write(f.Name, b)
		}
	}
	for name, b := range extra {
		write(name, b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func same(_ string, b []byte) []byte { return b }

func TestBundleTampering(t *testing.T) {
	data, m, _ := writeBundle(t, testKey)
	pub := testKey.Public().(ed25519.PublicKey)
	blob := wire.BundleBlobPath(m.Blobs[0].SHA256)
	flip := func(target string) func(string, []byte) []byte {
		return func(name string, b []byte) []byte {
			if name == target {
				b = append([]byte(nil), b...)
				b[len(b)/2] ^= 1
			}
			return b
		}
	}
	tests := []struct {
		name string
		data []byte
		want error
		at   string // "open", "verify" or "content": the step that must refuse
	}{
		{"not a zip", []byte("PK\x03\x04 but nothing else"), wire.ErrBundleInvalid, "open"},
		{"truncated", data[:len(data)-30], wire.ErrBundleInvalid, "open"},
		{"manifest edited", rezip(t, data, func(name string, b []byte) []byte {
			if name == wire.BundleManifestName {
				return bytes.Replace(b, []byte(`"000.17.22.H56"`), []byte(`"000.18.22.H56"`), 1)
			}
			return b
		}, nil), wire.ErrBundleSignature, "verify"},
		{"signature edited", rezip(t, data, func(name string, b []byte) []byte {
			if name == wire.BundleSignatureName {
				sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
				if err != nil {
					t.Fatal(err)
				}
				sig[10] ^= 1
				return []byte(base64.StdEncoding.EncodeToString(sig))
			}
			return b
		}, nil), wire.ErrBundleSignature, "verify"},
		{"item edited", rezip(t, data, flip(wire.BundleItemPath(1)), nil), wire.ErrBundleTampered, "content"},
		{"blob edited", rezip(t, data, flip(blob), nil), wire.ErrBundleTampered, "content"},
		{"blob grown", rezip(t, data, func(name string, b []byte) []byte {
			if name == blob {
				return append(b, 'x')
			}
			return b
		}, nil), wire.ErrBundleTampered, "open"},
		{"blob dropped", rezip(t, data, func(name string, b []byte) []byte {
			if name == blob {
				return nil
			}
			return b
		}, nil), wire.ErrBundleTampered, "open"},
		{"entry added", rezip(t, data, same, map[string][]byte{"items/000009.json": []byte("{}")}), wire.ErrBundleTampered, "open"},
		{"no signature", rezip(t, data, func(name string, b []byte) []byte {
			if name == wire.BundleSignatureName {
				return nil
			}
			return b
		}, nil), wire.ErrBundleInvalid, "open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := openBundle(tt.data)
			step := "open"
			if err == nil {
				step, err = "verify", b.Verify(pub)
			}
			if err == nil {
				step, err = "content", b.CheckContent()
			}
			if !errors.Is(err, tt.want) || step != tt.at {
				t.Fatalf("refused at %s with %v; want %v at %s", step, err, tt.want, tt.at)
			}
		})
	}
	// The untouched copy passes every step.
	b, err := openBundle(rezip(t, data, same, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(pub); err != nil {
		t.Fatal(err)
	}
	if err := b.CheckContent(); err != nil {
		t.Fatal(err)
	}
}

func TestBundleWriterRefusesWrongBlobsAndManifests(t *testing.T) {
	bw := wire.NewBundleWriter(io.Discard)
	data := []byte("bản quét")
	if err := bw.AddBlob(wire.SumHex([]byte("other")), int64(len(data)), bytes.NewReader(data)); err == nil {
		t.Fatal("a blob that does not hash to its name was added")
	}
	if err := bw.AddBlob(wire.SumHex(data), int64(len(data))-1, bytes.NewReader(data)); err == nil {
		t.Fatal("a blob longer than its size was added")
	}
	if err := bw.AddItem(wire.BundleItemDossier, "x", "x", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	// The item's IDs are not UUIDs: the manifest is refused, not written.
	if _, err := bw.Finish(sampleManifest(), testKey); !errors.Is(err, wire.ErrBundleInvalid) {
		t.Fatalf("finish with a bad item: %v", err)
	}
	bw = wire.NewBundleWriter(io.Discard)
	m := sampleManifest()
	m.Kind = wire.BundleChanges
	doc := []byte(`{"id":"x"}`)
	if err := bw.AddItem(wire.BundleItemDossier, m.ID, m.ID, doc); err != nil {
		t.Fatal(err)
	}
	if _, err := bw.Finish(m, testKey); !errors.Is(err, wire.ErrBundleInvalid) {
		t.Fatalf("a dossier in a changes bundle: %v", err)
	}
}

func TestParseCursor(t *testing.T) {
	for _, tt := range []struct {
		in    string
		epoch string
		seq   int64
		ok    bool
	}{
		{"3f2a9c41d0e1b2c3.41", "3f2a9c41d0e1b2c3", 41, true},
		{"e.0", "e", 0, true},
		{"", "", 0, false},
		{".5", "", 0, false},
		{"e.-1", "", 0, false},
		{"e.x", "", 0, false},
		{"e5", "", 0, false},
	} {
		epoch, seq, ok := wire.ParseCursor(tt.in)
		if epoch != tt.epoch || seq != tt.seq || ok != tt.ok {
			t.Errorf("ParseCursor(%q) = %q, %d, %v", tt.in, epoch, seq, ok)
		}
	}
}

// TestBundleGolden pins the manifest and the bundle key document as the
// other wire documents are pinned: a change here is a format change.
func TestBundleGolden(t *testing.T) {
	_, m, _ := writeBundle(t, testKey)
	pub := testKey.Public().(ed25519.PublicKey)
	bundleGolden(t, "bundle_manifest.json", m, new(wire.BundleManifest))
	bundleGolden(t, "bundle_key_response.json",
		wire.BundleKeyResponse{Marker: wire.HealthMarker, PublicKey: pub, KeyID: wire.BundleKeyID(pub),
			AgeRecipient: testRecipient}, new(wire.BundleKeyResponse))
	bundleGolden(t, "device_recipient.json", wire.DeviceRecipient{AgeRecipient: testRecipient}, new(wire.DeviceRecipient))
}

// TestAgeRecipientShape: the manifest takes only a well-formed recipient,
// and only in an outbox bundle (a changes bundle is encrypted to it, it
// does not carry one).
func TestAgeRecipientShape(t *testing.T) {
	for s, ok := range map[string]bool{
		testRecipient:                  true,
		strings.ToUpper(testRecipient): false,
		testRecipient[:61]:             false,
		testRecipient[:61] + "b":       false, // not in the Bech32 alphabet
		"age1":                         false,
		"AGE-SECRET-KEY-1" + strings.Repeat("Q", 58): false,
	} {
		if wire.ValidAgeRecipient(s) != ok {
			t.Errorf("ValidAgeRecipient(%q) = %v", s, !ok)
		}
	}
	for _, tt := range []struct {
		kind, rcpt string
	}{{wire.BundleOutbox, "age1nope"}, {wire.BundleChanges, testRecipient}} {
		var buf bytes.Buffer
		m := sampleManifest()
		m.Kind, m.AgeRecipient = tt.kind, tt.rcpt
		if _, err := wire.NewBundleWriter(&buf).Finish(m, testKey); !errors.Is(err, wire.ErrBundleInvalid) {
			t.Errorf("%s bundle with recipient %q: %v", tt.kind, tt.rcpt, err)
		}
	}
}

// TestBundleEncryptionMarks: readers tell an encrypted bundle from a plain
// one by its first bytes, and the refusals have their own codes.
func TestBundleEncryptionMarks(t *testing.T) {
	plain, _, _ := writeBundle(t, testKey)
	if !wire.IsPlainBundle(plain) || wire.IsEncryptedBundle(plain) {
		t.Error("a bundle zip is not recognised as plain")
	}
	enc := []byte(wire.BundleAgeMagic + "-> X25519 abc\n")
	if !wire.IsEncryptedBundle(enc) || wire.IsPlainBundle(enc) {
		t.Error("an age file is not recognised as encrypted")
	}
	if wire.IsEncryptedBundle([]byte("age-encryption")) {
		t.Error("a truncated magic passes")
	}
	for err, code := range map[error]string{
		fmt.Errorf("x: %w", wire.ErrBundlePlaintext): wire.CodeBundlePlaintext,
		fmt.Errorf("x: %w", wire.ErrBundleDecrypt):   wire.CodeBundleDecrypt,
	} {
		if got := wire.BundleErrorCode(err); got != code {
			t.Errorf("BundleErrorCode(%v) = %q, want %q", err, got, code)
		}
	}
}

func bundleGolden(t *testing.T, file string, v, empty any) {
	t.Helper()
	path := filepath.Join("testdata", file)
	got := marshalGolden(t, v)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	switch want, err := os.ReadFile(path); {
	case err != nil:
		t.Fatalf("%v (run go test ./sync/wire -update to create it)", err)
	case !bytes.Equal(got, want):
		t.Fatalf("%s differs:\n got: %s\nwant: %s", path, got, want)
	default:
		if err := wire.DecodeStrict(bytes.NewReader(want), wire.MaxBundleManifestBytes, empty); err != nil {
			t.Fatalf("strict decode of %s: %v", path, err)
		}
	}
}
