package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"motcua/app/audit"
	"motcua/app/blobs"
	"motcua/app/office"
	"motcua/app/store"
	"motcua/app/vault"
)

// desk is a data dir with an encrypted store, a blob and a backup service,
// as app/cli composes them.
type desk struct {
	t       *testing.T
	dir     string
	folder  string
	v       *vault.Vault
	st      *store.Store
	svc     *Service
	clock   *clock
	free    *freeSpace
	blobSHA string
	machine string // this PC's machine key dir
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// freeSpace fakes the free bytes of some directories.
type freeSpace struct {
	mu  sync.Mutex
	low map[string]uint64
}

func (f *freeSpace) set(dir string, n uint64) { f.mu.Lock(); f.low[dir] = n; f.mu.Unlock() }
func (f *freeSpace) FreeBytes(dir string) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n, ok := f.low[dir]; ok {
		return n, nil
	}
	return 100 << 30, nil
}

var quiet = slog.New(slog.DiscardHandler)

const commune = "Cam Hải Đông"

func newDesk(t *testing.T) *desk {
	t.Helper()
	d := &desk{t: t, dir: t.TempDir(), folder: t.TempDir(),
		clock: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.Local)}, free: &freeSpace{low: map[string]uint64{}}}
	d.machine = t.TempDir()
	v, _, err := vault.Create(d.dir, vault.Options{MachineDir: d.machine})
	if err != nil {
		t.Fatal(err)
	}
	d.v = v
	d.open()
	s := office.Defaults()
	s.Province, s.ParentAgency, s.UnitName, s.CommuneName = "Khánh Hòa", "UBND xã "+commune, "Trung tâm "+commune, commune
	s.AgencyCode, s.Address = "000.17.22.H56", "Thôn Thủy Triều"
	if _, err := office.NewService(d.st).Save(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	d.blobSHA = d.putBlob("trang hồ sơ số 1 của " + commune)
	return d
}

func (d *desk) open() {
	d.t.Helper()
	st, err := store.Open(store.Options{Dir: filepath.Join(d.dir, "db"), EncryptionKey: d.v.DataKey(), Logger: quiet})
	if err != nil {
		d.t.Fatal(err)
	}
	d.st = st
	svc, err := New(d.config(d.v.ID()))
	if err != nil {
		d.t.Fatal(err)
	}
	d.svc = svc
	d.t.Cleanup(d.close)
}

func (d *desk) close() {
	if d.svc != nil {
		d.svc.Close()
		d.svc = nil
	}
	if d.st != nil {
		d.st.Close()
		d.st = nil
	}
}

func (d *desk) config(vaultID string) Config {
	v := d.v
	return Config{Store: d.st, DataDir: d.dir, DataKey: v.DataKey(), BlobKey: v.BlobKey(), VaultID: vaultID,
		Version: "test", Now: d.clock.Now, FreeBytes: d.free.FreeBytes, Logger: quiet, VaultOptions: vault.Options{MachineDir: d.machine},
		Encrypt: store.BackupOptions{Vault: mustJSON(v.File()), Encrypt: func(w io.Writer) (io.WriteCloser, error) {
			r, err := age.NewScryptRecipient(v.BackupSecret())
			if err != nil {
				return nil, err
			}
			r.SetWorkFactor(10)
			return age.Encrypt(w, r)
		}},
		Decrypt: func(_ store.BackupHeader, body io.Reader) (io.Reader, error) {
			id, err := age.NewScryptIdentity(v.BackupSecret())
			if err != nil {
				return nil, err
			}
			return age.Decrypt(body, id)
		}}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// putBlob stores a blob and the reference that makes the store need it.
func (d *desk) putBlob(content string) string {
	d.t.Helper()
	bs, err := blobs.Open(filepath.Join(d.dir, "blobs"), d.v.BlobKey(), quiet)
	if err != nil {
		d.t.Fatal(err)
	}
	ref, err := bs.Put(context.Background(), strings.NewReader(content))
	if err != nil {
		d.t.Fatal(err)
	}
	if err := d.st.Update(func(x *store.Txn) error { return x.Set(store.KeyBlobRef(ref.SHA256, "scan/test/original"), nil) }); err != nil {
		d.t.Fatal(err)
	}
	return ref.SHA256
}

func (d *desk) configure(keep int) {
	d.t.Helper()
	s := Defaults()
	s.Folder, s.Keep = d.folder, keep
	if _, err := d.svc.SaveSettings(context.Background(), s); err != nil {
		d.t.Fatal(err)
	}
}

// backupNow runs one backup to the end and returns its result.
func (d *desk) backupNow() Result {
	d.t.Helper()
	if err := d.svc.BackupNow(context.Background(), "u1"); err != nil {
		d.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.svc.Wait(ctx); err != nil {
		d.t.Fatal(err)
	}
	st, err := d.svc.Status(context.Background())
	if err != nil || st.Last == nil {
		d.t.Fatalf("status: %v %+v", err, st)
	}
	return *st.Last
}

func (d *desk) communeName() string {
	d.t.Helper()
	s, err := office.NewService(d.st).Settings(context.Background())
	if err != nil {
		d.t.Fatal(err)
	}
	return s.CommuneName
}

func TestBackupIsEncryptedVerifiedAndRotated(t *testing.T) {
	d := newDesk(t)
	d.configure(2)
	var names []string
	for i := range 3 {
		res := d.backupNow()
		if !res.Verified || res.Problem != "" || res.Verification == nil || !res.Verification.OK {
			t.Fatalf("backup %d: %+v", i, res)
		}
		if res.Verification.AuditEntries < 2 || res.Verification.Blobs != 1 || res.Blobs != 1 || res.Size <= 0 {
			t.Fatalf("backup %d verification: %+v", i, res.Verification)
		}
		names = append(names, res.Name)
		if i == 2 && (len(res.Removed) != 1 || res.Removed[0] != names[0]) {
			t.Fatalf("third backup should rotate the first away: %v", res.Removed)
		}
		d.clock.Add(time.Minute)
	}
	list, err := d.svc.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != names[2] || list[1].Name != names[1] {
		t.Fatalf("list after rotation: %+v", list)
	}
	for _, b := range list {
		if !b.Verified || !b.Restorable || b.Blobs != 1 {
			t.Fatalf("listed backup: %+v", b)
		}
	}
	if _, err := os.Stat(filepath.Join(d.folder, names[0])); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("rotated backup still on the drive")
	}
	// Nothing personal in the clear on the drive, and nothing left over.
	filepath.Walk(d.folder, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(commune)) {
			t.Errorf("%s holds the commune name in the clear", p)
		}
		if strings.HasPrefix(filepath.Base(filepath.Dir(p)), partialPrefix) {
			t.Errorf("partial backup left: %s", p)
		}
		return nil
	})
	if left, _ := filepath.Glob(filepath.Join(d.dir, "tmp", verifyPrefix+"*")); len(left) > 0 {
		t.Fatalf("test restores left in the data dir: %v", left)
	}
	// The second backup hard-linked the blob the first one had copied.
	a, _ := os.Stat(onlyBlob(t, filepath.Join(d.folder, names[1])))
	b, _ := os.Stat(onlyBlob(t, filepath.Join(d.folder, names[2])))
	if !os.SameFile(a, b) {
		t.Error("unchanged blob was copied again instead of linked")
	}
}

func onlyBlob(t *testing.T, dir string) string {
	t.Helper()
	bs, err := listBlobs(filepath.Join(dir, blobsDir))
	if err != nil || len(bs) != 1 {
		t.Fatalf("blobs in %s: %v %v", dir, bs, err)
	}
	return bs[0].path
}

func TestUnpluggedDriveOrFullDiskFailsClearlyAndKeepsEverything(t *testing.T) {
	d := newDesk(t)
	d.configure(1)
	first := d.backupNow()
	if !first.Verified {
		t.Fatalf("first backup: %+v", first)
	}
	d.clock.Add(time.Minute)

	// The backup drive is full: refused before writing.
	d.free.set(d.folder, 1<<20)
	if r := d.backupNow(); r.Problem != ProblemTargetFull || r.Verified {
		t.Fatalf("full drive: %+v", r)
	}
	d.free.set(d.folder, 100<<30)
	// The desk's own disk is low: refused, nothing written.
	d.free.set(d.dir, 10<<20)
	if r := d.backupNow(); r.Problem != ProblemDiskLow {
		t.Fatalf("low data disk: %+v", r)
	}
	d.free.set(d.dir, 100<<30)

	// The drive is unplugged: the folder is gone, and is not re-created.
	hidden := d.folder + ".unplugged"
	if err := os.Rename(d.folder, hidden); err != nil {
		t.Fatal(err)
	}
	r := d.backupNow()
	if r.Problem != ProblemFolderMissing || !strings.Contains(r.Error, d.folder) {
		t.Fatalf("unplugged: %+v", r)
	}
	if _, err := os.Stat(d.folder); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the backup folder was created on the desk's disk")
	}
	if _, err := d.svc.List(context.Background()); !errors.Is(err, ErrFolderMissing) {
		t.Fatalf("list while unplugged: %v", err)
	}
	st, _ := d.svc.Status(context.Background())
	if st.LastSuccess == nil || st.LastSuccess.Name != first.Name {
		t.Fatalf("last success forgotten: %+v", st.LastSuccess)
	}
	if err := os.Rename(hidden, d.folder); err != nil {
		t.Fatal(err)
	}
	// The failures left the first backup and the data alone.
	list, err := d.svc.List(context.Background())
	if err != nil || len(list) != 1 || list[0].Name != first.Name {
		t.Fatalf("after failures: %+v %v", list, err)
	}
	if d.communeName() != commune {
		t.Fatal("data changed")
	}
	if rep, _ := audit.Verify(d.st); !rep.OK() {
		t.Fatalf("audit: %+v", rep)
	}
}

func TestDamagedBlobOrMissingBlobFailsVerificationAndRotatesNothing(t *testing.T) {
	d := newDesk(t)
	d.configure(1)
	first := d.backupNow()
	d.clock.Add(time.Minute)

	// A blob the store needs is missing from the data dir.
	missing := strings.Repeat("ab", 32)
	if err := d.st.Update(func(x *store.Txn) error { return x.Set(store.KeyBlobRef(missing, "scan/x/pdf"), nil) }); err != nil {
		t.Fatal(err)
	}
	r := d.backupNow()
	if r.Problem != ProblemVerify || r.Verified || !strings.Contains(r.Error, missing) {
		t.Fatalf("missing blob: %+v", r)
	}
	names := backupNames(d.folder)
	if len(names) != 1 || names[0] != first.Name {
		t.Fatalf("a failed backup rotated the good one away: %v", names)
	}

	// A blob file damaged on the desk's disk is not passed off as a backup
	// (on a desk with no earlier backup to link the good copy from).
	d2 := newDesk(t)
	d2.configure(1)
	bs, _ := listBlobs(filepath.Join(d2.dir, blobsDir))
	data, _ := os.ReadFile(bs[0].path)
	data[len(data)/2] ^= 1
	if err := os.WriteFile(bs[0].path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r = d2.backupNow()
	if r.Problem != ProblemVerify || !strings.Contains(r.Error, "corrupt") {
		t.Fatalf("damaged blob: %+v", r)
	}
	if names := backupNames(d2.folder); len(names) != 0 {
		t.Fatalf("a backup that did not verify is listed: %v", names)
	}
	for _, f := range []string{d.folder, d2.folder} {
		if parts, _ := filepath.Glob(filepath.Join(f, partialPrefix+"*")); len(parts) > 0 {
			t.Fatalf("failed backup left files: %v", parts)
		}
	}
}

func TestSettingsAreValidatedAndAudited(t *testing.T) {
	d := newDesk(t)
	ctx := audit.WithActor(context.Background(), audit.Who{ID: "admin-1", Role: "admin"})
	file := filepath.Join(d.folder, "a-file")
	os.WriteFile(file, nil, 0o600)
	cases := []struct {
		name  string
		edit  func(*Settings)
		field string
		want  string
	}{
		{"enabled without folder", func(s *Settings) { s.Enabled, s.Folder = true, "" }, "folder", ProblemRequired},
		{"relative", func(s *Settings) { s.Folder = "usb/motcua" }, "folder", ProblemNotAbsolute},
		{"missing", func(s *Settings) { s.Folder = filepath.Join(d.folder, "nope") }, "folder", ProblemMissing},
		{"a file", func(s *Settings) { s.Folder = file }, "folder", ProblemNotDir},
		{"inside the data dir", func(s *Settings) { s.Folder = filepath.Join(d.dir, "blobs") }, "folder", ProblemInsideData},
		{"time", func(s *Settings) { s.At = "25:00" }, "at", ProblemFormat},
		{"hours", func(s *Settings) { s.Schedule, s.EveryHours = Interval, 0 }, "everyHours", ProblemRange},
		{"schedule", func(s *Settings) { s.Schedule = "weekly" }, "schedule", ProblemUnknown},
		{"keep", func(s *Settings) { s.Keep = 0 }, "keep", ProblemRange},
	}
	for _, c := range cases {
		s := Defaults()
		s.Folder = d.folder
		c.edit(&s)
		_, err := d.svc.SaveSettings(ctx, s)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields[c.field] != c.want {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if got, _ := d.svc.Settings(ctx); got.Folder != "" {
		t.Fatalf("invalid settings were saved: %+v", got)
	}
	s := Defaults()
	s.Folder, s.Enabled, s.Schedule, s.EveryHours = d.folder+string(filepath.Separator), true, Interval, 6
	saved, err := d.svc.SaveSettings(ctx, s)
	if err != nil || saved.Folder != d.folder {
		t.Fatalf("save: %+v %v", saved, err)
	}
	last := lastAudit(d.st)
	if last.Action != "save_backup_settings" || last.Actor != "admin-1" {
		t.Fatalf("not audited: %+v", last)
	}
}

func TestNextRun(t *testing.T) {
	loc := time.FixedZone("ICT", 7*3600)
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, loc) }
	saved := at(1, 9, 0)
	daily := Settings{Enabled: true, Folder: "/media/usb", Schedule: Daily, At: "12:00", Keep: 7, UpdatedAt: saved}
	hourly := Settings{Enabled: true, Folder: "/media/usb", Schedule: Interval, EveryHours: 6, Keep: 7, UpdatedAt: saved}
	ok := func(t time.Time) *Result { return &Result{StartedAt: t, Verified: true} }
	bad := func(t time.Time) *Result { return &Result{StartedAt: t, Problem: ProblemFolderMissing} }
	cases := []struct {
		name string
		doc  document
		want time.Time
	}{
		{"daily, never run: today at noon", document{Settings: daily}, at(1, 12, 0)},
		{"daily after a success: tomorrow", document{Settings: daily, LastSuccess: ok(at(1, 12, 0)), Last: ok(at(1, 12, 0))}, at(2, 12, 0)},
		{"daily, failed: retried 30 minutes later", document{Settings: daily, LastSuccess: ok(at(1, 12, 0)), Last: bad(at(2, 12, 0))}, at(2, 12, 30)},
		{"interval, never run: at once", document{Settings: hourly}, saved},
		{"interval after a success", document{Settings: hourly, LastSuccess: ok(at(1, 10, 0)), Last: ok(at(1, 10, 0))}, at(1, 16, 0)},
		{"interval, failed after due", document{Settings: hourly, LastSuccess: ok(at(1, 10, 0)), Last: bad(at(1, 17, 0))}, at(1, 17, 30)},
	}
	for _, c := range cases {
		got, on := nextRun(c.doc, at(3, 8, 0))
		if !on || !got.Equal(c.want) {
			t.Errorf("%s: got %v %v, want %v", c.name, got, on, c.want)
		}
	}
	off := daily
	off.Enabled = false
	if _, on := nextRun(document{Settings: off}, at(3, 8, 0)); on {
		t.Error("a disabled schedule has a next run")
	}
}

func TestSchedulerRunsADueBackupByItself(t *testing.T) {
	d := newDesk(t)
	d.svc.Close()
	cfg := d.config(d.v.ID())
	cfg.Tick = 20 * time.Millisecond
	svc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.svc = svc
	s := Defaults()
	s.Folder, s.Enabled, s.Schedule, s.EveryHours = d.folder, true, Interval, 6
	if _, err := svc.SaveSettings(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	svc.Start()
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := svc.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.LastSuccess != nil {
			if st.LastSuccess.Trigger != "schedule" || len(backupNames(d.folder)) != 1 {
				t.Fatalf("scheduled run: %+v", st.LastSuccess)
			}
			if want := st.LastSuccess.StartedAt.Add(6 * time.Hour); !st.Next.Equal(want) {
				t.Fatalf("next run %v, want %v", st.Next, want)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the scheduler did not run the due backup")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Not due again: no second backup.
	time.Sleep(200 * time.Millisecond)
	if n := len(backupNames(d.folder)); n != 1 {
		t.Fatalf("%d backups, want 1", n)
	}
}

func TestRestoreIsPreparedBesideAndSwappedAtNextStart(t *testing.T) {
	d := newDesk(t)
	d.configure(3)
	b := d.backupNow()
	if !b.Verified {
		t.Fatalf("backup: %+v", b)
	}
	// Work continues after the backup.
	s, _ := office.NewService(d.st).Settings(context.Background())
	s.CommuneName = "Cam Phúc Bắc"
	if _, err := office.NewService(d.st).Save(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	later := d.putBlob("trang thêm sau khi sao lưu")

	ctx := audit.WithActor(context.Background(), audit.Who{ID: "admin-1", Role: "admin"})
	if _, err := d.svc.PrepareRestore(ctx, "motcua-20200101-000000", "admin-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown backup: %v", err)
	}
	if _, err := d.svc.PrepareRestore(ctx, "../../etc", "admin-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("path in name: %v", err)
	}
	p, err := d.svc.PrepareRestore(ctx, b.Name, "admin-1")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Verification.OK || p.Name != b.Name {
		t.Fatalf("prepared: %+v", p)
	}
	if _, err := d.svc.PrepareRestore(ctx, b.Name, "admin-1"); !errors.Is(err, ErrRestorePending) {
		t.Fatalf("second prepare: %v", err)
	}
	st, _ := d.svc.Status(ctx)
	if st.PendingRestore == nil || st.PendingRestore.Name != b.Name {
		t.Fatalf("status does not show the prepared restore: %+v", st)
	}
	// The running data is untouched until the next start.
	if d.communeName() != "Cam Phúc Bắc" {
		t.Fatal("the running store changed")
	}
	// The swap refuses while the store is open (another process, here).
	if _, err := ApplyPending(d.dir, quiet); !errors.Is(err, ErrInUse) || !errors.Is(err, store.ErrLocked) {
		t.Fatalf("apply while open: %v", err)
	}
	if _, err := os.Stat(filepath.Join(d.dir, pendingDir, markerFile)); err != nil {
		t.Fatal("a refused swap dropped the prepared restore")
	}

	d.close()
	applied, err := ApplyPending(d.dir, quiet)
	if err != nil || applied == nil || applied.Name != b.Name {
		t.Fatalf("apply: %+v %v", applied, err)
	}
	if again, err := ApplyPending(d.dir, quiet); again != nil || err != nil {
		t.Fatalf("applied twice: %v %v", again, err)
	}
	d.open()
	if got := d.communeName(); got != commune {
		t.Fatalf("after restore the commune is %q, want the backup's %q", got, commune)
	}
	rep, err := audit.Verify(d.st)
	if err != nil || !rep.OK() {
		t.Fatalf("audit after restore: %+v %v", rep, err)
	}
	last := lastAudit(d.st)
	if last.Action != "restore_from_backup" || last.Actor != "admin-1" || last.Object != "backup/"+b.Name {
		t.Fatalf("restore not recorded in the restored chain: %+v", last)
	}
	bs, _ := blobs.Open(filepath.Join(d.dir, "blobs"), d.v.BlobKey(), quiet)
	if err := bs.Verify(d.blobSHA); err != nil {
		t.Fatalf("restored blob: %v", err)
	}
	if ok, _ := bs.Has(later); ok {
		t.Fatal("a blob added after the backup is in the restored data")
	}
	// The replaced data is kept, whole.
	old, err := store.Open(store.Options{Dir: filepath.Join(d.dir, applied.Replaced, "db"), EncryptionKey: d.v.DataKey(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	os2, _ := office.NewService(old).Settings(context.Background())
	if os2.CommuneName != "Cam Phúc Bắc" {
		t.Fatalf("replaced data: %q", os2.CommuneName)
	}
}

func TestApplyFinishesASwapInterruptedByACrash(t *testing.T) {
	d := newDesk(t)
	d.configure(3)
	b := d.backupNow()
	p, err := d.svc.PrepareRestore(context.Background(), b.Name, "admin-1")
	if err != nil {
		t.Fatal(err)
	}
	d.close()
	// The crash came after the current db was moved aside.
	replaced := filepath.Join(d.dir, p.Replaced)
	os.MkdirAll(replaced, 0o700)
	if err := os.Rename(filepath.Join(d.dir, "db"), filepath.Join(replaced, "db")); err != nil {
		t.Fatal(err)
	}
	if _, err := ApplyPending(d.dir, quiet); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"db", "blobs", filepath.Join(p.Replaced, "db"), filepath.Join(p.Replaced, "blobs")} {
		if _, err := os.Stat(filepath.Join(d.dir, p)); err != nil {
			t.Fatalf("%s after the resumed swap: %v", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(d.dir, pendingDir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("prepared restore left after the swap")
	}
	d.open()
	if d.communeName() != commune {
		t.Fatal("restored data does not open")
	}
}

func TestRestoreRefusesOtherVaultsAndChangedFilesAndCanBeCancelled(t *testing.T) {
	d := newDesk(t)
	d.configure(3)
	b := d.backupNow()

	other, err := New(d.config("another-vault"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.PrepareRestore(context.Background(), b.Name, "x"); !errors.Is(err, ErrOtherVault) {
		t.Fatalf("other vault: %v", err)
	}
	if list, _ := other.List(context.Background()); len(list) != 1 || list[0].Restorable {
		t.Fatalf("another vault's backup listed as restorable: %+v", list)
	}

	p, err := d.svc.PrepareRestore(context.Background(), b.Name, "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.svc.CancelRestore(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.svc.Pending(); got != nil {
		t.Fatalf("still pending after cancel: %+v", got)
	}
	if _, err := os.Stat(filepath.Join(d.dir, p.Replaced)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("cancel moved data")
	}

	file := filepath.Join(d.folder, b.Name, storeFile)
	data, _ := os.ReadFile(file)
	data[len(data)-10] ^= 0xff
	os.WriteFile(file, data, 0o600)
	if _, err := d.svc.PrepareRestore(context.Background(), b.Name, "x"); !errors.Is(err, ErrVerify) {
		t.Fatalf("changed backup file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(d.dir, pendingDir+partialSuffix)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("refused restore left a staging dir")
	}
	if d.communeName() != commune {
		t.Fatal("data changed")
	}
}

// lastAudit is the newest audit entry of st.
func lastAudit(st *store.Store) audit.Entry {
	var last audit.Entry
	st.View(func(x *store.Txn) error {
		return x.Scan(store.PrefixAudit(), nil, true, false, func(_, v []byte) (bool, error) {
			return false, json.Unmarshal(v, &last)
		})
	})
	return last
}

func TestCloseStopsARunningBackupAndRemovesItsPartialDir(t *testing.T) {
	d := newDesk(t)
	d.configure(3)
	d.svc.Close()
	reached, release := make(chan struct{}), make(chan struct{})
	var calls int
	cfg := d.config(d.v.ID())
	cfg.FreeBytes = func(dir string) (uint64, error) {
		if dir == d.dir {
			calls++
			if calls == 2 { // after the store file was written, before the test restore
				close(reached)
				<-release
			}
		}
		return 100 << 30, nil
	}
	svc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.svc = svc
	if err := svc.BackupNow(context.Background(), "u1"); err != nil {
		t.Fatal(err)
	}
	<-reached
	if parts, _ := filepath.Glob(filepath.Join(d.folder, partialPrefix+"*")); len(parts) != 1 {
		t.Fatalf("partial dir while running: %v", parts)
	}
	closed := make(chan struct{})
	go func() { svc.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while the backup still ran")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-closed
	if err := svc.BackupNow(context.Background(), "u1"); err == nil {
		t.Fatal("a closed service started a backup")
	}
	st, err := svc.Status(context.Background())
	if err != nil || st.Last == nil || st.Last.Problem != ProblemCanceled || st.Last.Verified {
		t.Fatalf("after close: %+v %v", st.Last, err)
	}
	if entries, _ := os.ReadDir(d.folder); len(entries) != 0 {
		t.Fatalf("the stopped backup left %v", entries)
	}
}
