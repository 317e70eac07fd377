package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"motcua/app/blobs"
	"motcua/app/store"
	"motcua/app/vault"
)

// putScan stores a blob in the stopped data dir dir, with the reference
// that makes the store need it, as the scan pipeline does.
func putScan(t *testing.T, dir, content string) string {
	t.Helper()
	v, err := vault.Unlock(dir, vaultOptions(Env{Getenv: os.Getenv}))
	if err != nil {
		t.Fatal(err)
	}
	st := openDataStore(t, dir)
	defer st.Close()
	bs, err := blobs.Open(filepath.Join(dir, "blobs"), v.BlobKey(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := bs.Put(context.Background(), strings.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(func(x *store.Txn) error { return x.Set(store.KeyBlobRef(ref.SHA256, "scan/test/original"), nil) }); err != nil {
		t.Fatal(err)
	}
	return ref.SHA256
}

// readScan reads a blob of the stopped data dir dir.
func readScan(t *testing.T, dir, sha string) string {
	t.Helper()
	v, err := vault.Unlock(dir, vaultOptions(Env{Getenv: os.Getenv}))
	if err != nil {
		t.Fatal(err)
	}
	bs, err := blobs.Open(filepath.Join(dir, "blobs"), v.BlobKey(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	r, err := bs.Open(sha)
	if err != nil {
		t.Fatalf("blob %s after restore: %v", sha, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCommandLineBackupIsCompleteAndRestoresScansOnAnotherPC: "motcua
// backup" writes the scheduled backups' directory (store, blob copies,
// verified manifest); "motcua restore" on a new PC with the recovery key
// brings the store and the scans back, and leaves nothing half-done.
func TestCommandLineBackupIsCompleteAndRestoresScansOnAnotherPC(t *testing.T) {
	src := t.TempDir()
	c := startServe(t, src)
	putSettings(t, c.url, settingsBody)
	cl := authed(t, c.url)
	_, rk := callJSON(t, cl, "GET", c.url+"/api/security/recovery-key", nil)
	key, _ := rk["recoveryKey"].(string)
	if key == "" {
		t.Fatalf("no recovery key offered: %v", rk)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()
	const page = "Trang 1: giấy khai sinh của Nguyễn Thị Hoa"
	sha := putScan(t, src, page)

	folder := t.TempDir()
	code, out, errs := run(t, "backup", "--data", src, "--to", folder)
	if code != 0 || !strings.Contains(out, "khôi phục thử thành công") || !strings.Contains(out, "1 tệp số hóa") {
		t.Fatalf("backup: %d %s %s", code, out, errs)
	}
	names, _ := filepath.Glob(filepath.Join(folder, "motcua-*"))
	if len(names) != 1 {
		t.Fatalf("backup folder holds %v", names)
	}
	var m struct {
		Blobs        int
		Verification struct{ OK bool }
	}
	b, err := os.ReadFile(filepath.Join(names[0], "manifest.json"))
	if err != nil || json.Unmarshal(b, &m) != nil || m.Blobs != 1 || !m.Verification.OK {
		t.Fatalf("manifest: %v %s", err, b)
	}
	if hits := scanFiles(t, folder, []byte("Nguyễn Thị Hoa")); len(hits) > 0 {
		t.Fatalf("scan in plain text in the backup: %v", hits)
	}
	// A second run with --keep 1 rotates the first away, after verifying.
	if code, out, errs := run(t, "backup", "--data", src, "--to", folder, "--keep", "1"); code != 0 || !strings.Contains(out, "Đã xóa bản sao lưu cũ") {
		t.Fatalf("backup --keep 1: %d %s %s", code, out, errs)
	}
	names, _ = filepath.Glob(filepath.Join(folder, "motcua-*"))
	if len(names) != 1 {
		t.Fatalf("after --keep 1 the folder holds %v", names)
	}

	// Another PC with the recovery key; --from names the backup's store
	// file, which stands for its directory.
	t.Setenv("MOTCUA_MACHINE_DIR", t.TempDir())
	t.Setenv("MOTCUA_RECOVERY_KEY", key)
	dst := filepath.Join(t.TempDir(), "moi")
	code, out, errs = run(t, "restore", "--data", dst, "--from", filepath.Join(names[0], "store.mcbak"))
	if code != 0 || !strings.Contains(out, "1 tệp số hóa") {
		t.Fatalf("restore: %d %s %s", code, out, errs)
	}
	t.Setenv("MOTCUA_RECOVERY_KEY", "")
	if got := readScan(t, dst, sha); got != page {
		t.Fatalf("restored scan %q, want %q", got, page)
	}
	left, _ := filepath.Glob(filepath.Join(dst, "*restore*"))
	if len(left) != 0 {
		t.Fatalf("restore left %v", left)
	}
	if code, out, errs := run(t, "audit", "verify", "--data", dst); code != 0 {
		t.Fatalf("audit after restore: %d %s %s", code, out, errs)
	}

	// The store file alone (an old "backup --to FILE") still restores,
	// with a warning naming the scans it lacks.
	lone := filepath.Join(t.TempDir(), "sao-luu.mcbak")
	b, _ = os.ReadFile(filepath.Join(names[0], "store.mcbak"))
	os.WriteFile(lone, b, 0o600)
	t.Setenv("MOTCUA_RECOVERY_KEY", key)
	code, out, errs = run(t, "restore", "--data", filepath.Join(t.TempDir(), "d"), "--from", lone)
	if code != 0 || !strings.Contains(out, "không kèm 1 tệp số hóa") {
		t.Fatalf("restore of a lone store file: %d %s %s", code, out, errs)
	}

	// A damaged blob copy fails the restore and leaves the target empty.
	blobFiles, _ := filepath.Glob(filepath.Join(names[0], "blobs", "*", "*"))
	if len(blobFiles) != 1 {
		t.Fatalf("blob copies: %v", blobFiles)
	}
	b, _ = os.ReadFile(blobFiles[0])
	b[len(b)/2] ^= 0x01
	os.Remove(blobFiles[0]) // a new file, not a write through a hard link
	os.WriteFile(blobFiles[0], b, 0o600)
	bad := filepath.Join(t.TempDir(), "hong")
	code, _, errs = run(t, "restore", "--data", bad, "--from", folder)
	if code != 1 || !strings.Contains(errs, "bị hỏng") {
		t.Fatalf("restore of a damaged backup: %d %s", code, errs)
	}
	for _, p := range []string{"db", "blobs", "vault.json", "restore-pending", "restore-pending.partial"} {
		if _, err := os.Stat(filepath.Join(bad, p)); err == nil {
			t.Errorf("refused restore left %s", p)
		}
	}
}
