package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"motcua/app/store"
)

// The manifest and the store file's header of a backup brought on a USB
// drive are outside input. The seed corpora in testdata/fuzz start from a
// real backup's files (and a few hand-made hostile ones: a store file
// outside the directory, a newer format, a vault that does not match).

// outsideErr reports whether err is one a damaged, hostile or newer backup
// may give.
func outsideErr(err error) bool {
	return errors.Is(err, store.ErrBadBackup) || errors.Is(err, store.ErrNewerSchema) || errors.Is(err, ErrNotFound)
}

// FuzzParseManifest: garbage is refused as ErrBadBackup (or ErrNewerSchema
// for a newer format or schema, and only then); an accepted manifest names
// a store file inside the backup directory, has no negative size, and
// reads back the same after this program writes it.
func FuzzParseManifest(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			if !errors.Is(err, store.ErrBadBackup) && !errors.Is(err, store.ErrNewerSchema) {
				t.Fatalf("%q: error %v is neither ErrBadBackup nor ErrNewerSchema", data, err)
			}
			if errors.Is(err, store.ErrNewerSchema) {
				var raw Manifest
				if json.Unmarshal(data, &raw) != nil || (raw.Format <= 1 && raw.Schema <= store.SchemaVersion()) {
					t.Fatalf("%q: ErrNewerSchema for a manifest that is not newer", data)
				}
			}
			return
		}
		checkManifest(t, data, m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("%q: accepted manifest does not encode: %v", data, err)
		}
		m2, err := ParseManifest(b)
		if err != nil {
			t.Fatalf("%q: re-encoded manifest %s refused: %v", data, b, err)
		}
		if b2, _ := json.Marshal(m2); !bytes.Equal(b, b2) {
			t.Fatalf("%q: round trip %s → %s", data, b, b2)
		}
	})
}

func checkManifest(t *testing.T, data []byte, m Manifest) {
	t.Helper()
	dir := filepath.Join("backup", "motcua-20260101-000000")
	p := filepath.Join(dir, m.StoreFile)
	if filepath.Dir(p) != dir || strings.ContainsAny(m.StoreFile, `/\`) {
		t.Fatalf("%q: accepted store file %q outside the backup directory", data, m.StoreFile)
	}
	if m.StoreSize < 0 || m.BlobBytes < 0 || m.Blobs < 0 || m.Format != 1 || m.App != "motcua" ||
		m.Schema == 0 || m.Schema > store.SchemaVersion() || len(m.StoreSHA256) != 64 || len(m.VaultID) > 64 {
		t.Fatalf("%q: accepted %+v", data, m)
	}
}

// FuzzLocate puts a fuzzed manifest.json and a fuzzed store file (its
// header is what Locate reads) in a backup directory on disk and locates
// it three ways: the folder of backups, the directory, the store file. Each
// either refuses with an outside-input error or finds a backup whose store
// file is inside its directory and whose manifest and header agree on the
// vault; the three ways agree.
func FuzzLocate(f *testing.F) {
	f.Fuzz(func(t *testing.T, manifest, storeData []byte) {
		folder := t.TempDir()
		dir := filepath.Join(folder, "motcua-20260101-000000")
		if err := os.MkdirAll(filepath.Join(dir, blobsDir), 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, manifestFile), manifest, 0o600)
		os.WriteFile(filepath.Join(dir, storeFile), storeData, 0o600)
		var found []Source
		for _, path := range []string{folder, dir, filepath.Join(dir, storeFile)} {
			src, err := Locate(path)
			if err != nil {
				if !outsideErr(err) {
					t.Fatalf("Locate(%s): error %v is not an outside-input error", path, err)
				}
				found = append(found, Source{})
				continue
			}
			if src.Manifest == nil || src.Dir != dir {
				t.Fatalf("Locate(%s): found %+v, not the backup directory", path, src)
			}
			checkManifest(t, manifest, *src.Manifest)
			if filepath.Dir(src.StoreFile) != dir {
				t.Fatalf("Locate(%s): store file %s outside %s", path, src.StoreFile, dir)
			}
			if src.VaultID() != src.Manifest.VaultID {
				t.Fatalf("Locate(%s): manifest vault %q, header vault %q", path, src.Manifest.VaultID, src.VaultID())
			}
			if src.Header.Schema > store.SchemaVersion() {
				t.Fatalf("Locate(%s): accepted a newer header %+v", path, src.Header)
			}
			if src.Vault != nil && !vaultIDRE.MatchString(src.Vault.ID) {
				t.Fatalf("Locate(%s): vault ID %q", path, src.Vault.ID)
			}
			found = append(found, src)
		}
		for i := 1; i < len(found); i++ {
			if (found[i].Manifest == nil) != (found[0].Manifest == nil) || found[i].StoreFile != found[0].StoreFile {
				t.Fatalf("the folder, the directory and the store file located differently: %+v", found)
			}
		}
	})
}
