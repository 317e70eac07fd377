// Command hub runs the provincial sync hub of Một Cửa Xã: the server that
// commune devices push dossiers and scans to and pull results from.
//
//	hub serve       serve the sync API (migrates the database first)
//	hub migrate     bring the database schema up to date and exit
//	hub agency      create or rename an agency (province, commune, department …)
//	hub enrol-code  mint a one-time enrolment code for a commune's device
//	hub revoke      revoke a device
//	hub staff       create a staff account of the web UI (password on stdin)
//	hub import-bundle   apply a commune's encrypted outbox bundle (USB stick) like a push
//	hub export-bundle   write a device's changes as a signed, encrypted bundle for its USB stick
//	hub version
//
// Every flag has an environment variable (shown in -h) so the hub can run
// under systemd or in a container without a command line. See dev-hub.sh
// for a local PostgreSQL and hub on loopback.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"motcua/sync/hub"
	"motcua/sync/hub/blobdisk"
	"motcua/sync/hub/web"
	"motcua/sync/wire"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}

const usage = `usage: hub COMMAND [flags]

commands:
  serve        serve the sync API and the staff web UI (migrates the database first)
  migrate      bring the database schema up to date
  agency       create or rename an agency: --code --name --level [--kind] [--parent]
  enrol-code   mint a one-time device enrolment code: --commune CODE [--ttl 168h]
  revoke       revoke a device: --device ID [--reason TEXT]
  staff        create a staff account of the web UI: --username --name [--role staff|admin] [--agency CODE];
               or set a new password and unlock it: --username --reset. The password is read from stdin.
               An official sees the communes under their agency only: --username --set-agency CODE moves one.
  import-bundle  apply a commune's outbox bundle (from a USB stick, encrypted to this hub) with the rules
               of a push: [--results-to OUT] FILE; OUT gets the commune's changes since the desk's cursor
  export-bundle  write a device's changes and result papers as a bundle signed by the hub and encrypted
               to the commune's desks: --device ID [--since CURSOR] --to FILE.zip.age
  version      print the version

Run "hub COMMAND -h" for the flags of a command.
`

// common are the flags every command that touches the database shares.
type common struct {
	db, blobs, adminToken, publicURL, referenceDir string
	logJSON                                        bool
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.db, "db", env("HUB_DATABASE_URL", ""), "PostgreSQL URL (env HUB_DATABASE_URL)")
	fs.StringVar(&c.blobs, "blobs", env("HUB_BLOB_DIR", "hub-blobs"), "blob store directory (env HUB_BLOB_DIR)")
	fs.StringVar(&c.adminToken, "admin-token", env("HUB_ADMIN_TOKEN", ""), "bearer token for /admin/ endpoints; empty disables them (env HUB_ADMIN_TOKEN)")
	fs.StringVar(&c.publicURL, "public-url", env("HUB_PUBLIC_URL", ""), "external base URL, for file links in the national export (env HUB_PUBLIC_URL)")
	fs.StringVar(&c.referenceDir, "reference-dir", env("HUB_REFERENCE_DIR", ""), "folder of documents published to every commune: catalog.json, calendar-YYYY.json (env HUB_REFERENCE_DIR)")
	fs.BoolVar(&c.logJSON, "log-json", env("HUB_LOG_JSON", "") != "", "log JSON lines instead of text (env HUB_LOG_JSON)")
}

func (c *common) open(ctx context.Context, log *slog.Logger) (*hub.Server, error) {
	if c.db == "" {
		return nil, errors.New("no database: set --db or HUB_DATABASE_URL")
	}
	store, err := blobdisk.New(c.blobs)
	if err != nil {
		return nil, err
	}
	return hub.New(ctx, hub.Config{
		DatabaseURL: c.db, Blobs: store, AdminToken: c.adminToken, PublicURL: c.publicURL, ReferenceDir: c.referenceDir,
		Logger: log,
	})
}

func (c *common) logger(stderr io.Writer) *slog.Logger {
	if c.logJSON {
		return slog.New(slog.NewJSONHandler(stderr, nil))
	}
	return slog.New(slog.NewTextHandler(stderr, nil))
}

// run is main without the process: tests call it. ready, when not nil,
// receives the address serve listens on.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, ready chan<- string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("hub "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	switch cmd {
	case "version", "-v", "--version":
		fmt.Fprintf(stdout, "hub %s (protocol %s)\n", version, wire.Current)
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "serve":
		c.register(fs)
		listen := fs.String("listen", env("HUB_LISTEN", "127.0.0.1:8090"), "address to listen on (env HUB_LISTEN)")
		cert := fs.String("tls-cert", env("HUB_TLS_CERT", ""), "TLS certificate file; empty serves plain HTTP behind a proxy (env HUB_TLS_CERT)")
		key := fs.String("tls-key", env("HUB_TLS_KEY", ""), "TLS key file (env HUB_TLS_KEY)")
		secure := fs.Bool("secure-cookies", env("HUB_SECURE_COOKIES", "") != "",
			"mark staff cookies Secure on plain HTTP: behind a TLS-terminating proxy (env HUB_SECURE_COOKIES)")
		if err := fs.Parse(args); err != nil {
			return 2
		}
		return fail(stderr, serve(ctx, &c, *listen, *cert, *key, *secure, stderr, ready))
	case "migrate":
		c.register(fs)
		if err := fs.Parse(args); err != nil {
			return 2
		}
		srv, err := c.open(ctx, c.logger(stderr))
		if err != nil {
			return fail(stderr, err)
		}
		srv.Close()
		fmt.Fprintln(stdout, "schema up to date")
		return 0
	case "agency":
		c.register(fs)
		var a hub.Agency
		fs.StringVar(&a.Code, "code", "", "agency e-ID code, e.g. 000.17.22.H56")
		fs.StringVar(&a.Name, "name", "", "agency name")
		fs.StringVar(&a.Kind, "kind", "commune", "province, commune, department …")
		fs.IntVar(&a.Level, "level", 2, "level in the tree, 1 = top")
		fs.StringVar(&a.ParentCode, "parent", "", "parent agency code")
		if err := fs.Parse(args); err != nil {
			return 2
		}
		return withServer(ctx, &c, stderr, func(s *hub.Server) error {
			if err := s.UpsertAgency(ctx, a); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "agency %s saved\n", a.Code)
			return nil
		})
	case "enrol-code":
		c.register(fs)
		commune := fs.String("commune", "", "commune agency code")
		ttl := fs.Duration("ttl", 7*24*time.Hour, "how long the code stays valid")
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if *commune == "" {
			fmt.Fprintln(stderr, "hub enrol-code: --commune is required")
			return 2
		}
		return withServer(ctx, &c, stderr, func(s *hub.Server) error {
			ec, err := s.CreateEnrolmentCode(ctx, *commune, "cli", *ttl)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s\n", ec.Code)
			fmt.Fprintf(stderr, "one-time code for %s, valid until %s\n", ec.CommuneCode, ec.ExpiresAt.Format(time.RFC3339))
			return nil
		})
	case "revoke":
		c.register(fs)
		dev := fs.String("device", "", "device ID")
		reason := fs.String("reason", "", "why (kept with the device)")
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if *dev == "" {
			fmt.Fprintln(stderr, "hub revoke: --device is required")
			return 2
		}
		return withServer(ctx, &c, stderr, func(s *hub.Server) error {
			if err := s.RevokeDevice(ctx, *dev, *reason); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "device %s revoked\n", *dev)
			return nil
		})
	case "staff":
		c.register(fs)
		var n hub.NewStaff
		fs.StringVar(&n.Username, "username", "", "login name: 3–32 of a-z 0-9 . _ -")
		fs.StringVar(&n.FullName, "name", "", "full name, shown in the UI and to the communes")
		fs.StringVar(&n.Role, "role", hub.RoleStaff, "staff or admin")
		fs.StringVar(&n.AgencyCode, "agency", "", "code of the agency the official acts for (optional)")
		reset := fs.Bool("reset", false, "set a new password for an existing account and unlock it")
		setAgency := fs.String("set-agency", "", "give an existing account this agency (the communes under it are what it sees)")
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if *setAgency != "" {
			if n.Username == "" {
				fmt.Fprintln(stderr, "hub staff: --set-agency needs --username")
				return 2
			}
			return withServer(ctx, &c, stderr, func(s *hub.Server) error {
				if err := s.SetStaffAgency(ctx, n.Username, *setAgency); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "%s now acts for agency %s and sees the communes under it\n", n.Username, *setAgency)
				return nil
			})
		}
		if n.Username == "" || (!*reset && n.FullName == "") {
			fmt.Fprintln(stderr, "hub staff: --username and --name are required (--username only with --reset)")
			return 2
		}
		pw, err := readPassword(stdin)
		if err != nil {
			return fail(stderr, err)
		}
		n.Password = pw
		return withServer(ctx, &c, stderr, func(s *hub.Server) error {
			if *reset {
				if err := s.ResetStaffPassword(ctx, n.Username, n.Password); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "password of %s set; account unlocked\n", n.Username)
				return nil
			}
			st, err := s.CreateStaff(ctx, n)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "staff account %s (%s) created\n", st.Username, st.Role)
			if st.Unassigned() {
				// Not refused, so an admin can create the account first; but
				// say it plainly: it sees no dossier until it has an agency.
				fmt.Fprintf(stderr, "warning: %s has no agency and sees no commune; give one with --set-agency CODE\n", st.Username)
			}
			return nil
		})
	case "import-bundle":
		c.register(fs)
		resultsTo := fs.String("results-to", "", "also write the changes since the desk's cursor to this bundle file")
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, "hub import-bundle: give the bundle file: hub import-bundle [flags] FILE")
			return 2
		}
		return withServer(ctx, &c, stderr, func(s *hub.Server) error {
			return importBundle(ctx, s, fs.Arg(0), *resultsTo, stdout)
		})
	case "export-bundle":
		c.register(fs)
		dev := fs.String("device", "", "device ID the bundle is for")
		since := fs.String("since", "", "the desk's pull cursor (from its outbox bundle); empty for every change")
		to := fs.String("to", "", "bundle file to write")
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if *dev == "" || *to == "" {
			fmt.Fprintln(stderr, "hub export-bundle: --device and --to are required")
			return 2
		}
		return withServer(ctx, &c, stderr, func(s *hub.Server) error {
			return exportBundle(ctx, s, *dev, *since, *to, stdout)
		})
	}
	fmt.Fprintf(stderr, "hub: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// importBundle applies an outbox bundle and prints what happened to each
// item the hub did not take; with resultsTo it writes the changes bundle
// for the same device from the desk's cursor.
func importBundle(ctx context.Context, s *hub.Server, path, resultsTo string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	res, err := s.ImportBundle(ctx, f, fi.Size())
	if code, msg, refused := hub.BundleRefusal(err); refused {
		return fmt.Errorf("bundle refused (%s): %s\n%w", code, msg, err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bundle %s from device %s (%s), written %s\n", res.BundleID, res.DeviceID, res.CommuneCode,
		res.CreatedAt.Format(time.RFC3339))
	fmt.Fprintf(stdout, "%d created, %d already here, %d refused; %d new files\n", res.Created, res.Duplicates, res.Refused, res.BlobsStored)
	for _, r := range append(append([]wire.ItemResult{}, res.Dossiers...), res.Events...) {
		if !r.Accepted() {
			fmt.Fprintf(stdout, "  %s %s %s: %s\n", r.ID, r.Outcome, r.Code, r.Reason)
		}
	}
	fmt.Fprintf(stdout, "desk cursor: %q\n", res.Cursor)
	if resultsTo == "" {
		return nil
	}
	return exportBundle(ctx, s, res.DeviceID, res.Cursor, resultsTo, stdout)
}

// exportBundle writes the changes bundle to path through a temporary file
// that is synced before it takes the name: a USB stick pulled out early
// leaves no half bundle under the real name.
func exportBundle(ctx context.Context, s *hub.Server, deviceID, since, path string, stdout io.Writer) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".hub-bundle-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	m, err := s.ExportChangesBundle(ctx, deviceID, since, tmp)
	if code, msg, refused := hub.BundleRefusal(err); refused {
		return fmt.Errorf("no bundle for this device (%s): %s\n%w", code, msg, err)
	}
	if err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d changes, %d result files, from %q to %q", path, len(m.Items), len(m.Blobs), m.Since, m.Cursor)
	if m.More {
		fmt.Fprint(stdout, " (more changes remain: export again from the new cursor)")
	}
	fmt.Fprintln(stdout)
	return nil
}

// readPassword reads the password from the first line of stdin, so it
// never appears in the process list or the shell history.
func readPassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(stdin, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin (type it, or pipe it: printf '%s\\n' \"$PW\" | hub staff …)")
	}
	return line, nil
}

func fail(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "hub:", err)
	return 1
}

func withServer(ctx context.Context, c *common, stderr io.Writer, fn func(*hub.Server) error) int {
	log := c.logger(io.Discard) // one-shot commands print their result, not the server's start-up log
	s, err := c.open(ctx, log)
	if err != nil {
		return fail(stderr, err)
	}
	defer s.Close()
	return fail(stderr, fn(s))
}

// serve runs the hub until ctx ends, then shuts down gracefully: in-flight
// requests (a chunk being fsynced, a push committing) finish first.
func serve(ctx context.Context, c *common, listen, cert, key string, secure bool, stderr io.Writer, ready chan<- string) error {
	log := c.logger(stderr)
	srv, err := c.open(ctx, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	ui, err := web.New(srv, web.Config{SecureCookies: secure || cert != "", Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           ui, // the staff pages, and the sync API passed through
		ReadHeaderTimeout: 15 * time.Second,
		// Chunks and pushes on 2G take time; a chunk's own read deadline is
		// set by the hub, this bounds everything else.
		ReadTimeout:  10 * time.Minute,
		WriteTimeout: 10 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the janitor: owned here, ends with runCtx
		defer wg.Done()
		srv.Run(runCtx)
	}()
	errc := make(chan error, 1)
	go func() { // the listener: ends when Shutdown closes it
		if cert != "" {
			errc <- hs.ServeTLS(ln, cert, key)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	log.Info("hub serving", "addr", ln.Addr().String(), "tls", cert != "", "version", version)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
		shutCtx, done := context.WithTimeout(context.Background(), 30*time.Second)
		err = hs.Shutdown(shutCtx)
		done()
		<-errc
	}
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("hub stopped")
	return err
}
