// Package pgtest starts a throw-away PostgreSQL cluster for tests: initdb in
// a temporary directory, the server on a random loopback port with its unix
// socket inside that directory, and one fresh database per test. A package
// starts one cluster in TestMain and stops it at the end.
//
// initdb refuses to run as root, so as root the cluster is created and run
// as the postgres user (runuser), in a directory that user owns; as any
// other user the binaries run directly. The binaries are found through
// $PG_BIN, then /usr/lib/postgresql/*/bin (Debian), then $PATH.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a running PostgreSQL server owned by a test binary.
type Cluster struct {
	Dir  string // data directory and socket directory
	Port int
	bin  string
	asPG bool // run binaries as the postgres user (we are root)
	n    atomic.Int64
}

// FindBin returns the directory holding initdb and pg_ctl.
func FindBin() (string, error) {
	if d := os.Getenv("PG_BIN"); d != "" {
		return d, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) > 0 {
		// Highest major version first; numeric so that 9 < 15.
		sort.Slice(matches, func(i, j int) bool { return pgMajor(matches[i]) > pgMajor(matches[j]) })
		return filepath.Dir(matches[0]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("pgtest: PostgreSQL binaries not found: install the postgresql package or set PG_BIN")
}

func pgMajor(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// Start creates and starts a cluster. Stop it with Stop.
func Start() (*Cluster, error) {
	bin, err := FindBin()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, asPG: os.Geteuid() == 0}
	// The postgres user must be able to reach the directory, so as root it
	// lives under /tmp whatever TMPDIR says (a TMPDIR under /root is not
	// traversable by postgres). Keep the path short: a unix socket path is
	// limited to ~107 bytes.
	base := ""
	if c.asPG {
		base = "/tmp"
	}
	c.Dir, err = os.MkdirTemp(base, "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if c.asPG {
		if err := chownToPostgres(c.Dir); err != nil {
			os.RemoveAll(c.Dir)
			return nil, err
		}
	}
	if err := c.initdb(); err != nil {
		os.RemoveAll(c.Dir)
		return nil, err
	}
	// A free port can be taken between our probe and the server's bind;
	// try a few.
	for attempt := 0; ; attempt++ {
		c.Port, err = freePort()
		if err == nil {
			err = c.start()
		}
		if err == nil {
			return c, nil
		}
		if attempt == 4 {
			os.RemoveAll(c.Dir)
			return nil, err
		}
	}
}

func chownToPostgres(dir string) error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("pgtest: running as root needs the postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *Cluster) dataDir() string { return filepath.Join(c.Dir, "data") }

func (c *Cluster) run(name string, args ...string) error {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.asPG {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgtest: %s: %w\n%s", name, err, out.String())
	}
	return nil
}

func (c *Cluster) initdb() error {
	return c.run("initdb", "-D", c.dataDir(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C.UTF-8", "--no-sync")
}

func (c *Cluster) start() error {
	// Durability is not what these tests check, so skip fsync for speed;
	// the hub's own fsync discipline is on its blob store.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "+
		"-c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB", c.Port, c.Dir)
	return c.run("pg_ctl", "-D", c.dataDir(), "-l", filepath.Join(c.Dir, "postgres.log"), "-o", opts, "-w", "-t", "60", "start")
}

// Stop shuts the server down at once and removes its directory.
func (c *Cluster) Stop() error {
	err := c.run("pg_ctl", "-D", c.dataDir(), "-m", "immediate", "-w", "stop")
	if rmErr := os.RemoveAll(c.Dir); err == nil {
		err = rmErr
	}
	return err
}

// URL returns the connection URL of database db (over TCP on loopback).
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// NewDatabase creates an empty database with a fresh name and returns its
// URL, so each test sees only its own rows.
func (c *Cluster) NewDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t%d_%d", time.Now().UnixNano()%1e9, c.n.Add(1))
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	return c.URL(name), nil
}

// Log returns the server log, for a failing test to print.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.Dir, "postgres.log"))
	return strings.TrimSpace(string(b))
}

// Main runs a package's tests with a cluster started for them: it sets
// *c, runs m, prints the server log's tail when a test failed, stops the
// cluster, and returns the exit code for os.Exit.
func Main(m interface{ Run() int }, c **Cluster) int {
	cl, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*c = cl
	code := m.Run()
	if code != 0 {
		log := cl.Log()
		if len(log) > 3000 {
			log = log[len(log)-3000:]
		}
		fmt.Fprintln(os.Stderr, "postgres log tail:\n", log)
	}
	if err := cl.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop postgres:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}
