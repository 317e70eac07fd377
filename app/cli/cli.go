// Package cli is the command line of the motcua binary: it opens the store,
// composes the use cases and the API, and runs the desktop window (through a
// function main.go provides, so Wails stays in main), the LAN server, or a
// maintenance command (backup, restore, version).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"motcua/app/accounts"
	"motcua/app/api"
	"motcua/app/audit"
	"motcua/app/backup"
	"motcua/app/office"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/app/syncing"
	"motcua/app/vault"
)

// DesktopConfig is what the desktop shell needs to show the UI.
type DesktopConfig struct {
	Title string
	// API serves /api/ requests; the shell serves the frontend assets.
	API http.Handler
	// OnShutdown runs when the window closes.
	OnShutdown func()
}

// Env is the outside world of Run.
type Env struct {
	Version string
	// Assets is the built frontend (the contents of frontend/dist).
	Assets fs.FS
	// Desktop runs the window until it is closed. Nil when the binary was
	// built without the desktop shell.
	Desktop func(DesktopConfig) error
	Stdout  io.Writer
	Stderr  io.Writer
	Getenv  func(string) string
}

const usage = `Một Cửa Xã — phần mềm một cửa cấp xã

Cách dùng:
  motcua [--data THƯ_MỤC]                      mở cửa sổ ứng dụng
  motcua serve [--listen ĐỊA_CHỈ] [--data THƯ_MỤC]  phục vụ giao diện qua trình duyệt (mạng LAN)
  motcua backup --to THƯ_MỤC [--keep N] [--data THƯ_MỤC]   sao lưu đầy đủ (dữ liệu và tệp số hóa), có khôi phục thử
  motcua restore --from ĐƯỜNG_DẪN [--keep-device] [--data THƯ_MỤC]   khôi phục vào thư mục dữ liệu trống
  motcua audit verify [--data THƯ_MỤC]         kiểm tra tính toàn vẹn của nhật ký thao tác
  motcua version                               phiên bản
`

// Run executes the command in args (without the program name) and returns
// the process exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Stdout == nil {
		env.Stdout = os.Stdout
	}
	if env.Stderr == nil {
		env.Stderr = os.Stderr
	}
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	cmd := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "":
		err = runDesktop(ctx, args, env)
	case "serve":
		err = runServe(ctx, args, env)
	case "backup":
		err = runBackup(ctx, args, env)
	case "restore":
		err = runRestore(ctx, args, env)
	case "audit":
		err = runAudit(args, env)
	case "version":
		fmt.Fprintf(env.Stdout, "motcua %s (%s, schema %d)\n", env.Version, runtime.Version(), store.SchemaVersion())
	case "help":
		fmt.Fprint(env.Stdout, usage)
	default:
		fmt.Fprintf(env.Stderr, "Lệnh không hợp lệ: %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(env.Stderr, "%s\n\n%s", ue.msg, usage)
			return 2
		}
		fmt.Fprintf(env.Stderr, "Lỗi: %s\n", userMessage(err))
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// userMessage turns an error into the Vietnamese sentence the operator sees;
// the details go to the log.
func userMessage(err error) string {
	switch {
	case errors.Is(err, store.ErrLocked):
		return "dữ liệu đang được mở bởi một phiên khác. Hãy đóng cửa sổ Một Cửa Xã đang chạy (hoặc lệnh serve) rồi thử lại."
	case errors.Is(err, store.ErrNewerSchema):
		return "dữ liệu được tạo bởi phiên bản mới hơn của phần mềm. Hãy cập nhật phần mềm."
	case errors.Is(err, store.ErrEncryptionKey):
		return "khóa mã hóa dữ liệu không đúng."
	case errors.Is(err, vault.ErrLocked):
		return "không mở khóa được dữ liệu đã mã hóa trên máy này. Hãy chạy lại với khóa khôi phục: MOTCUA_RECOVERY_KEY=... (hoặc mật khẩu quản trị MOTCUA_PASSPHRASE=...)."
	case errors.Is(err, vault.ErrBadSecret):
		return "khóa khôi phục hoặc mật khẩu quản trị không đúng."
	case errors.Is(err, vault.ErrCorrupt):
		return "tệp khóa (vault.json) trong thư mục dữ liệu bị hỏng; hãy khôi phục từ bản sao lưu bằng khóa khôi phục."
	case errors.Is(err, store.ErrNotEmpty):
		return "thư mục dữ liệu đích không trống. Hãy chọn một thư mục trống để khôi phục."
	case errors.Is(err, store.ErrBadBackup), errors.Is(err, backup.ErrVerify):
		return "bản sao lưu bị hỏng hoặc không phải bản sao lưu của Một Cửa Xã (chi tiết trong motcua.log); dữ liệu hiện có không bị thay đổi."
	case errors.Is(err, backup.ErrNotFound):
		return "không tìm thấy bản sao lưu ở đường dẫn đã cho (một thư mục motcua-…, thư mục chứa các bản sao lưu, hoặc tệp store.mcbak)."
	case errors.Is(err, backup.ErrFolderMissing):
		return "không tìm thấy thư mục sao lưu. Nếu đó là ổ USB, hãy cắm ổ vào máy; phần mềm không tự tạo thư mục."
	case errors.Is(err, backup.ErrFolderNotWritable):
		return "không ghi được vào thư mục sao lưu (ổ chỉ cho đọc hoặc không có quyền ghi)."
	case errors.Is(err, backup.ErrInsideData):
		return "thư mục sao lưu không được nằm trong thư mục dữ liệu; hãy chọn ổ khác (ví dụ ổ USB)."
	case errors.Is(err, backup.ErrTargetFull):
		return "ổ chứa thư mục sao lưu không còn đủ chỗ trống; các bản sao lưu cũ vẫn được giữ."
	case errors.Is(err, backup.ErrDiskLow):
		return "ổ đĩa của máy sắp đầy nên chưa thể sao lưu hoặc khôi phục; dữ liệu đã lưu vẫn an toàn."
	case errors.Is(err, os.ErrNotExist):
		return "không tìm thấy tệp hoặc thư mục: " + err.Error()
	case errors.Is(err, errAuditBroken):
		return "nhật ký thao tác đã bị can thiệp; hãy báo quản trị viên và giữ nguyên thư mục dữ liệu."
	case errors.Is(err, errNoDesktop):
		return "bản build này không có giao diện cửa sổ; hãy dùng \"motcua serve\"."
	}
	return err.Error()
}

var errNoDesktop = errors.New("built without the desktop shell")

// DefaultDataDir is where the desk keeps its store unless told otherwise.
func DefaultDataDir(getenv func(string) string) string {
	if d := getenv("MOTCUA_DATA"); d != "" {
		return d
	}
	switch runtime.GOOS {
	case "windows":
		if d := getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "MotCuaXa")
		}
	case "darwin":
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, "Library", "Application Support", "MotCuaXa")
		}
	}
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "motcua")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "motcua")
	}
	return "motcua-data"
}

func newFlags(name string, env Env) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	data := fs.String("data", DefaultDataDir(env.Getenv), "thư mục dữ liệu")
	return fs, data
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("tham số thừa: %v", fs.Args())}
	}
	return nil
}

// app is the composed application on an open store.
type app struct {
	store   *store.Store
	backups *backup.Service
	vault   *vault.Vault
	api     http.Handler
	log     *slog.Logger
	close   func()
	// startSync starts the hub sync loop and the scan queue; only the
	// desktop and serve run them (a backup or an audit check must not talk
	// to the hub or run OCR).
	startSync func()
}

// openApp opens the store in dataDir and composes the application; desktop
// adds what only the desktop window has (printing through the OS viewer).
func openApp(dataDir string, env Env, desktop ...bool) (*app, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	log, closeLog := newLogger(dataDir, env.Stderr)
	if err := applyRestore(dataDir, log); err != nil {
		closeLog()
		return nil, err
	}
	key, v, recovery, err := unlockStore(dataDir, env, log)
	if err != nil {
		log.Error("unlock store", "err", err, "dir", dataDir)
		closeLog()
		return nil, err
	}
	st, err := store.Open(store.Options{Dir: filepath.Join(dataDir, "db"), Logger: log, EncryptionKey: key})
	if err != nil {
		log.Error("open store", "err", err, "dir", dataDir)
		closeLog()
		return nil, err
	}
	off := office.NewService(st)
	if v != nil {
		off.SetVault(v) // a new recovery key from the UI
	}
	if recovery != "" {
		// Shown once in the UI (first run) until the office confirms it
		// printed or wrote it down; kept only inside the encrypted store.
		if err := off.SetPendingRecoveryKey(context.Background(), recovery); err != nil {
			st.Close()
			closeLog()
			return nil, err
		}
	}
	// The sync service is built first: reception queues every change for
	// the hub through it, and it applies the hub's changes through
	// reception once started.
	bs, err := openBlobs(dataDir, st, v, log)
	if err != nil {
		st.Close()
		closeLog()
		return nil, err
	}
	// Reception is built after the sync service (it queues through it); the
	// installer gets it before the sync loop starts.
	refs := &referenceInstaller{}
	syn, err := syncing.New(syncing.Config{Store: st, Office: off, HubURL: env.Getenv("MOTCUA_HUB_URL"), Reference: refs,
		Blobs: syncing.DeskBlobs{Store: bs}, Results: syncing.DeskBlobs{Store: bs}, AppVersion: env.Version, Logger: log})
	if err != nil {
		st.Close()
		closeLog()
		return nil, err
	}
	rec, err := reception.New(st, off, reception.WithOutbox(syn))
	refs.rec = rec
	if err != nil {
		st.Close()
		closeLog()
		return nil, err
	}
	dig, closeEngines, err := openDigitize(dataDir, env, st, bs, rec, syn, log)
	if err != nil {
		st.Close()
		closeLog()
		return nil, err
	}
	bak, err := openBackups(dataDir, env, st, v, key, log)
	if err != nil {
		closeEngines()
		st.Close()
		closeLog()
		return nil, err
	}
	cfg := api.Config{Version: env.Version, Office: off, Store: st, Reception: rec, Recovery: off,
		Accounts: accounts.New(st), Sync: syn, Digitize: dig, Backups: bak,
		AuditCheck: func() (audit.Report, error) { return audit.Verify(st) },
		DiskSpace:  backup.Space{Dir: dataDir}, Logger: log}
	if len(desktop) == 0 || !desktop[0] {
		// LAN mode: other PCs reach the API; the desktop window does not.
		cfg.RateLimit = api.DefaultRateLimits()
		cfg.Network = true
	}
	if len(desktop) > 0 && desktop[0] {
		// Printed documents hold personal data in the clear for the PDF
		// viewer; they live in the data dir and are removed at each start.
		cfg.PrintDir = filepath.Join(dataDir, "print")
		os.RemoveAll(cfg.PrintDir)
		cfg.OpenDocument = openWithOS
	}
	h := api.New(cfg)
	log.Info("store opened", "dir", dataDir, "version", env.Version)
	runCtx, stopRun := context.WithCancel(context.Background())
	var loops sync.WaitGroup
	return &app{store: st, backups: bak, api: h, log: log, vault: v, startSync: func() {
		syn.Start(rec)
		bak.Start()
		loops.Go(func() { dig.Run(runCtx) })
		loops.Go(func() { dig.Watch(runCtx, 0, 0) })
	}, close: func() {
		// The loops write to the store: they stop first. A scan job
		// interrupted here resumes at its next page on the next start; a
		// backup is abandoned (its partial folder removed).
		bak.Close()
		syn.Close()
		stopRun()
		loops.Wait()
		closeEngines()
		if err := st.Close(); err != nil {
			log.Error("close store", "err", err)
		}
		closeLog()
	}}, nil
}

// newLogger logs to stderr and to motcua.log in the data dir, so a clerk's
// "it failed" can be followed up from the file.
func newLogger(dataDir string, stderr io.Writer) (*slog.Logger, func()) {
	console := slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})
	f, err := os.OpenFile(filepath.Join(dataDir, "motcua.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return slog.New(console), func() {}
	}
	file := slog.NewJSONHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})
	return slog.New(slog.NewMultiHandler(console, file)), func() { f.Close() }
}

func runDesktop(ctx context.Context, args []string, env Env) error {
	fs, data := newFlags("motcua", env)
	if err := parse(fs, args); err != nil {
		return err
	}
	if env.Desktop == nil {
		return errNoDesktop
	}
	a, err := openApp(*data, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	a.startSync()
	return env.Desktop(DesktopConfig{Title: "Một Cửa Xã", API: a.api})
}

func runBackup(ctx context.Context, args []string, env Env) error {
	fs, data := newFlags("backup", env)
	to := fs.String("to", "", "thư mục sao lưu (ví dụ trên ổ USB); phải có sẵn")
	keep := fs.Int("keep", 0, "số bản sao lưu giữ lại trong thư mục (0: không xóa bản nào)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *to == "" {
		return usageError{msg: "thiếu --to THƯ_MỤC"}
	}
	if *keep < 0 || *keep > 100 {
		return usageError{msg: "--keep phải từ 0 đến 100"}
	}
	if _, err := os.Stat(filepath.Join(*data, "db")); err != nil {
		return fmt.Errorf("data dir %s: %w", *data, err)
	}
	a, err := openApp(*data, env)
	if err != nil {
		return err
	}
	defer a.close()
	// The scheduled backups' code path: store file, blob copies, manifest,
	// verified by a test restore before it is named and before rotating.
	res, err := a.backups.BackupTo(ctx, *to, *keep)
	if err != nil {
		a.log.Error("backup", "err", err, "to", *to)
		return err
	}
	v := res.Verification
	fmt.Fprintf(env.Stdout, "Đã sao lưu vào %s (%d tệp số hóa, %.1f MB); đã khôi phục thử thành công: %d mục nhật ký thao tác hợp lệ.\n",
		res.Path, res.Blobs, float64(res.Size)/(1<<20), v.AuditEntries)
	if v.AuditBrokenAt != 0 {
		fmt.Fprintf(env.Stdout, "Cảnh báo: nhật ký thao tác của máy này đã hỏng từ mục số %d (%s); bản sao lưu giữ nguyên như vậy.\n", v.AuditBrokenAt, v.AuditReason)
	}
	for _, n := range res.Removed {
		fmt.Fprintf(env.Stdout, "Đã xóa bản sao lưu cũ %s\n", n)
	}
	return nil
}

// errAuditBroken is returned when the audit chain does not verify; the
// report has already been printed.
var errAuditBroken = errors.New("audit chain broken")

func runAudit(args []string, env Env) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{msg: "cách dùng: motcua audit verify [--data THƯ_MỤC]"}
	}
	fs, data := newFlags("audit verify", env)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(*data, "db")); err != nil {
		return fmt.Errorf("data dir %s: %w", *data, err)
	}
	a, err := openApp(*data, env)
	if err != nil {
		return err
	}
	defer a.close()
	r, err := audit.Verify(a.store)
	if err != nil {
		return err
	}
	if !r.OK() {
		fmt.Fprintf(env.Stdout, "Nhật ký thao tác KHÔNG toàn vẹn: mục số %d bị sửa, xóa hoặc chèn (%s). %d mục trước đó hợp lệ.\n",
			r.BrokenAt, r.Reason, r.Entries)
		return errAuditBroken
	}
	fmt.Fprintf(env.Stdout, "Nhật ký thao tác toàn vẹn: %d mục đã được kiểm tra.\n", r.Entries)
	return nil
}

func runRestore(ctx context.Context, args []string, env Env) error {
	fs, data := newFlags("restore", env)
	from := fs.String("from", "", "bản sao lưu: thư mục motcua-…, thư mục chứa các bản sao lưu (lấy bản mới nhất), hoặc tệp store.mcbak")
	keep := fs.Bool("keep-device", false, "giữ đăng ký thiết bị với máy chủ tỉnh (chỉ khi máy cũ đã hỏng hẳn)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *from == "" {
		return usageError{msg: "thiếu --from ĐƯỜNG_DẪN"}
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return err
	}
	log, closeLog := newLogger(*data, env.Stderr)
	defer closeLog()
	// The restore from the app's code path, run at once: restored and
	// verified beside, then swapped in.
	p, err := backup.RestoreNew(ctx, *from, *data, backup.RestoreOptions{Vault: vaultOptions(env), KeepDevice: *keep, Logger: log})
	if err != nil {
		log.Error("restore", "err", err, "from", *from)
		return err
	}
	v := p.Verification
	fmt.Fprintf(env.Stdout, "Đã khôi phục bản sao lưu %s (tạo lúc %s) vào %s: %d tệp số hóa, %d mục nhật ký thao tác đã kiểm tra.\n",
		p.Name, p.Created.Local().Format("15:04 02/01/2006"), *data, v.Blobs, v.AuditEntries)
	if v.MissingBlobs > 0 {
		fmt.Fprintf(env.Stdout, "Cảnh báo: tệp %s không kèm %d tệp số hóa mà dữ liệu cần (bản sao lưu cũ chỉ gồm cơ sở dữ liệu); hãy khôi phục từ thư mục sao lưu đầy đủ nếu có.\n", *from, v.MissingBlobs)
	}
	if v.AuditBrokenAt != 0 {
		fmt.Fprintf(env.Stdout, "Cảnh báo: nhật ký thao tác trong bản sao lưu đã hỏng từ mục số %d (%s).\n", v.AuditBrokenAt, v.AuditReason)
	}
	if p.DeviceForgotten {
		fmt.Fprintln(env.Stdout, "Đăng ký thiết bị với máy chủ tỉnh đã được bỏ: hãy đăng ký lại máy này.")
	}
	return nil
}
