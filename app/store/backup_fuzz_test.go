package store

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadBackupHeader reads arbitrary files as backups. Garbage must be
// refused as ErrBadBackup (or ErrNewerSchema for a future version) and an
// accepted header must leave the reader exactly at the body.
func FuzzReadBackupHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		h, body, err := ReadBackupHeader(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrBadBackup) && !errors.Is(err, ErrNewerSchema) {
				t.Fatalf("input %q: error %v is neither ErrBadBackup nor ErrNewerSchema", data, err)
			}
			if errors.Is(err, ErrNewerSchema) {
				// Only a well-formed header from a newer program says so.
				var raw BackupHeader
				line, _, _ := bytes.Cut(data, []byte("\n"))
				if json.Unmarshal(line, &raw) != nil || raw.Magic != backupMagic || raw.Schema <= SchemaVersion() {
					t.Fatalf("input %q: ErrNewerSchema for a header that is not newer", data)
				}
			}
			return
		}
		if h.Magic != backupMagic || h.Format != 1 || h.Schema > SchemaVersion() {
			t.Fatalf("input %q: accepted header %+v", data, h)
		}
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			t.Fatalf("input %q: accepted without a header line", data)
		}
		rest, err := io.ReadAll(body)
		if err != nil || !bytes.Equal(rest, data[i+1:]) {
			t.Fatalf("input %q: body reader gave %q, %v; want %q", data, rest, err, data[i+1:])
		}
		// The header this program would write for h reads back as h.
		line, err := json.Marshal(h)
		if err != nil {
			t.Fatalf("input %q: header %+v does not encode: %v", data, h, err)
		}
		h2, _, err := ReadBackupHeader(bytes.NewReader(append(line, '\n')))
		if err != nil {
			t.Fatalf("input %q: re-encoded header %s refused: %v", data, line, err)
		}
		a, _ := json.Marshal(h2)
		if !bytes.Equal(a, line) {
			t.Fatalf("input %q: header round trip %s → %s", data, line, a)
		}
	})
}

// FuzzRestoreBody restores arbitrary Badger backup streams. With gz set
// the input is the decompressed stream (so the fuzzer works on Badger's
// framing, not on deflate); otherwise it is the body as found on disk. A
// damaged backup must be refused as ErrBadBackup, with no crash and
// nothing left behind: not in the target, not as a temporary directory.
func FuzzRestoreBody(f *testing.F) {
	// A real backup of a small store, so the corpus starts from valid
	// framing.
	src, err := Open(Options{Dir: f.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	if err := src.Update(func(x *Txn) error { return x.Set(settingsKey("office"), []byte(`{"commune":"Tân Phú"}`)) }); err != nil {
		f.Fatal(err)
	}
	var file bytes.Buffer
	if err := src.Backup(&file); err != nil {
		f.Fatal(err)
	}
	src.Close()
	_, body, err := ReadBackupHeader(&file)
	if err != nil {
		f.Fatal(err)
	}
	gzBody, _ := io.ReadAll(body)
	zr, err := gzip.NewReader(bytes.NewReader(gzBody))
	if err != nil {
		f.Fatal(err)
	}
	stream, err := io.ReadAll(zr)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(true, stream)
	f.Add(false, gzBody)
	f.Add(false, gzBody[:len(gzBody)-5]) // truncated: the gzip trailer is gone

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, gz bool, data []byte) {
		in := data
		if gz {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(data)
			zw.Close()
			in = b.Bytes()
		}
		parent := t.TempDir()
		dir := filepath.Join(parent, "data")
		err := RestoreBody(dir, bytes.NewReader(in), Options{Logger: quiet})
		entries, _ := os.ReadDir(parent)
		if err != nil {
			if !errors.Is(err, ErrBadBackup) {
				t.Fatalf("gz=%v %q: error %v does not wrap ErrBadBackup", gz, data, err)
			}
			for _, e := range entries {
				if e.Name() == "data" || strings.HasPrefix(e.Name(), ".restore-") {
					t.Fatalf("gz=%v %q: refused restore left %s behind", gz, data, e.Name())
				}
			}
			return
		}
		// RestoreBody opened the store before moving it into place; what
		// is left to check is that it is there and nothing else is.
		if len(entries) != 1 || entries[0].Name() != "data" {
			t.Fatalf("gz=%v %q: restore left %v in the parent directory", gz, data, entries)
		}
	})
}
