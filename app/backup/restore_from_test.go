package backup

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"motcua/app/blobs"
	"motcua/app/office"
	"motcua/app/store"
	"motcua/app/vault"
)

// oldPC is a desk whose backup lands on a USB drive, with its recovery key.
func oldPC(t *testing.T) (d *desk, name, key string) {
	t.Helper()
	d = newDesk(t)
	key = newKey(t, d)
	d.configure(3)
	r := d.backupNow()
	if !r.Verified {
		t.Fatalf("backup of the old PC: %+v", r)
	}
	return d, r.Name, key
}

// newKey gives d a recovery key known to the test; the backups made from
// then on carry it.
func newKey(t *testing.T, d *desk) string {
	t.Helper()
	key := d.v.NewRecoveryKey()
	if err := d.v.SetRecoveryKey(key); err != nil {
		t.Fatal(err)
	}
	d.close()
	d.open()
	return key
}

// snapshot lists the files of dir with their sizes, to show nothing
// changed.
func snapshot(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && !strings.Contains(p, string(filepath.Separator)+"db"+string(filepath.Separator)) {
			out[p] = info.Size()
		}
		return nil
	})
	return out
}

// TestAnotherPCsBackupRestoresFromTheAppWithItsRecoveryKey: the old PC
// died; the new PC (its own vault, a fresh install) gets the USB drive and
// the printed key. A wrong or missing key, a damaged backup and a backup
// from a newer version are refused and change nothing; the right key
// prepares a verified restore that the next start swaps in, vault
// included, after which the new PC opens the old PC's data by itself.
func TestAnotherPCsBackupRestoresFromTheAppWithItsRecoveryKey(t *testing.T) {
	old, name, key := oldPC(t)
	usb := old.folder
	old.close()

	pc := newDesk(t)
	ctx := context.Background()
	before := snapshot(t, pc.dir)
	vaultBefore, _ := os.ReadFile(filepath.Join(pc.dir, vault.FileName))

	if _, err := pc.svc.PrepareFrom(ctx, usb, "", "admin", false); !errors.Is(err, ErrKeyRequired) {
		t.Fatalf("no key: %v", err)
	}
	if _, err := pc.svc.PrepareFrom(ctx, usb, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH", "admin", false); !errors.Is(err, vault.ErrBadSecret) {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := pc.svc.PrepareFrom(ctx, filepath.Join(t.TempDir(), "khong-co"), key, "admin", false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("nothing at the path: %v", err)
	}
	// A backup from a newer version: a copy with the next schema in its
	// manifest.
	newer := filepath.Join(t.TempDir(), name)
	copyTree(t, filepath.Join(usb, name), newer)
	editManifest(t, newer, func(m map[string]any) { m["schema"] = store.SchemaVersion() + 1 })
	if _, err := pc.svc.PrepareFrom(ctx, newer, key, "admin", false); !errors.Is(err, store.ErrNewerSchema) {
		t.Fatalf("newer backup: %v", err)
	}
	// A damaged store file (the manifest's digest no longer matches) and a
	// damaged blob copy.
	damaged := filepath.Join(t.TempDir(), name)
	copyTree(t, filepath.Join(usb, name), damaged)
	flipByte(t, filepath.Join(damaged, storeFile))
	if _, err := pc.svc.PrepareFrom(ctx, damaged, key, "admin", false); !errors.Is(err, ErrVerify) {
		t.Fatalf("damaged store file: %v", err)
	}
	damaged = filepath.Join(t.TempDir(), name)
	copyTree(t, filepath.Join(usb, name), damaged)
	flipByte(t, onlyBlob(t, damaged))
	if _, err := pc.svc.PrepareFrom(ctx, damaged, key, "admin", false); !errors.Is(err, ErrVerify) {
		t.Fatalf("damaged blob: %v", err)
	}
	if p, _ := pc.svc.Pending(); p != nil {
		t.Fatalf("a refused restore is pending: %+v", p)
	}
	after := snapshot(t, pc.dir)
	for f, n := range before {
		if after[f] != n {
			t.Errorf("refused restores changed %s (%d → %d bytes)", f, n, after[f])
		}
	}
	if pc.communeName() != commune {
		t.Fatal("refused restores changed the running data")
	}

	// The right key, given the backup's store file (it stands for its
	// directory).
	p, err := pc.svc.PrepareFrom(ctx, filepath.Join(usb, name, storeFile), " "+strings.ToLower(key)+" ", "admin", false)
	if err != nil {
		t.Fatal(err)
	}
	if !p.OtherPC || p.Name != name || !p.Verification.OK || p.Verification.Blobs != 1 {
		t.Fatalf("prepared: %+v", p)
	}
	if got, _ := os.ReadFile(filepath.Join(pc.dir, vault.FileName)); string(got) != string(vaultBefore) {
		t.Fatal("the running vault changed before the restart")
	}
	if _, err := pc.svc.PrepareFrom(ctx, usb, key, "admin", false); !errors.Is(err, ErrRestorePending) {
		t.Fatalf("second restore while one is pending: %v", err)
	}
	pc.close()

	applied, err := ApplyPending(pc.dir, quiet)
	if err != nil || applied == nil || applied.Name != name {
		t.Fatalf("apply: %+v %v", applied, err)
	}
	// This PC now opens the old PC's vault with its own machine key.
	v, err := vault.Unlock(pc.dir, vault.Options{MachineDir: pc.machine})
	if err != nil {
		t.Fatalf("the restored vault does not open on this PC: %v", err)
	}
	if v.ID() != old.v.ID() {
		t.Fatalf("vault %s after the restore, want the old PC's %s", v.ID(), old.v.ID())
	}
	st, err := store.Open(store.Options{Dir: filepath.Join(pc.dir, "db"), EncryptionKey: v.DataKey(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := office.NewService(st).Settings(ctx)
	if err != nil || s.CommuneName != commune {
		t.Fatalf("restored settings: %+v %v", s, err)
	}
	last := lastAudit(st)
	if last.Action != "restore_from_backup" || last.Actor != "admin" {
		t.Fatalf("restored chain ends with %+v", last)
	}
	bs, err := blobs.Open(filepath.Join(pc.dir, blobsDir), v.BlobKey(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	r, err := bs.Open(old.blobSHA)
	if err != nil {
		t.Fatalf("the old PC's scan after the restore: %v", err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "trang hồ sơ số 1 của "+commune {
		t.Fatalf("scan content %q", b)
	}
	// The fresh install's data is kept, vault included.
	kept, _ := filepath.Glob(filepath.Join(pc.dir, "before-restore-*", vault.FileName))
	if len(kept) != 1 {
		t.Fatalf("replaced vault not kept: %v", kept)
	}
	if got, _ := os.ReadFile(kept[0]); string(got) != string(vaultBefore) {
		t.Fatal("the kept vault is not the one replaced")
	}
}

// TestRestoreFromDropsTheHubEnrolmentUnlessKept: another PC's data would
// otherwise sync as that PC.
func TestRestoreFromDropsTheHubEnrolmentUnlessKept(t *testing.T) {
	old := newDesk(t)
	key := newKey(t, old)
	if err := old.st.Update(func(x *store.Txn) error { return x.Set(store.KeySyncDevice(), []byte(`{"deviceId":"d1"}`)) }); err != nil {
		t.Fatal(err)
	}
	old.configure(3)
	name := old.backupNow().Name
	for _, keep := range []bool{false, true} {
		pc := newDesk(t)
		p, err := pc.svc.PrepareFrom(context.Background(), filepath.Join(old.folder, name), key, "admin", keep)
		if err != nil {
			t.Fatal(err)
		}
		if p.DeviceForgotten == keep {
			t.Errorf("keep=%v: device forgotten %v", keep, p.DeviceForgotten)
		}
		pc.close()
		if _, err := ApplyPending(pc.dir, quiet); err != nil {
			t.Fatal(err)
		}
		v, err := vault.Unlock(pc.dir, vault.Options{MachineDir: pc.machine})
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(store.Options{Dir: filepath.Join(pc.dir, "db"), EncryptionKey: v.DataKey(), Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		var has bool
		st.View(func(x *store.Txn) error { has, _ = x.Exists(store.KeySyncDevice()); return nil })
		st.Close()
		if has != keep {
			t.Errorf("keep=%v: enrolment present %v", keep, has)
		}
	}
}

// TestLocateFindsABackupThreeWaysAndRefusesAStoreFileOutside: a folder of
// backups (the newest), a backup directory, its store file; a manifest
// naming a file outside its directory is refused.
func TestLocateFindsABackupThreeWaysAndRefusesAStoreFileOutside(t *testing.T) {
	d := newDesk(t)
	d.configure(3)
	first := d.backupNow().Name
	d.clock.Add(time.Hour)
	second := d.backupNow().Name
	for _, path := range []string{d.folder, filepath.Join(d.folder, second), filepath.Join(d.folder, second, storeFile)} {
		src, err := Locate(path)
		if err != nil || src.Name != second || src.Manifest == nil || src.VaultID() != d.v.ID() || src.BlobDir == "" {
			t.Fatalf("Locate(%s): %+v %v", path, src, err)
		}
	}
	editManifest(t, filepath.Join(d.folder, first), func(m map[string]any) { m["storeFile"] = "../" + second + "/" + storeFile })
	if _, err := Locate(filepath.Join(d.folder, first)); !errors.Is(err, store.ErrBadBackup) {
		t.Fatalf("store file outside the backup: %v", err)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func editManifest(t *testing.T, dir string, edit func(map[string]any)) {
	t.Helper()
	p := filepath.Join(dir, manifestFile)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ = json.Marshal(m)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func flipByte(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-10] ^= 0xff
	os.Remove(p) // never write through a hard link into another backup
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPrepareFirstRunOnlyOnAFreshStore: the first-run restore refuses a
// store that holds anything (here a scan's file reference), even with the
// right key, and never goes without a key.
func TestPrepareFirstRunOnlyOnAFreshStore(t *testing.T) {
	old, name, key := oldPC(t)
	pc := newDesk(t)
	ctx := context.Background()
	if ok, err := pc.svc.Fresh(ctx); ok || err != nil {
		t.Fatalf("a desk with a scan is fresh: %v %v", ok, err)
	}
	if _, err := pc.svc.PrepareFirstRun(ctx, filepath.Join(old.folder, name), key, false); !errors.Is(err, ErrNotFresh) {
		t.Fatalf("not fresh: %v", err)
	}
	if _, err := pc.svc.PrepareFirstRun(ctx, filepath.Join(old.folder, name), "", false); !errors.Is(err, ErrKeyRequired) {
		t.Fatalf("no key: %v", err)
	}
	if p, _ := pc.svc.Pending(); p != nil {
		t.Fatalf("a refused restore is pending: %+v", p)
	}
}
