// Command sync measures syncing between commune desks and the provincial
// hub, with a real hub on a throw-away PostgreSQL cluster (sync/hub/pgtest)
// served over loopback HTTP, and real desks (app/syncing and app/reception
// on Badger in a temporary directory) reaching it through the fault proxy.
// wire: bytes on the wire (counted at the proxy, both directions) for a
// typical batch against the payload (JSON records + scan bytes). link: 100
// dossiers with 20 MB of scans through a 2 Mbit/s line that cuts
// connections every few hundred KB, against the ideal transfer time.
// ingest: 200 enrolled devices signing their pushes as sync/client does;
// events/s and push latency at the hub.
//
//	go run ./bench/sync                       # all three
//	go run ./bench/sync -only link -rtt 100ms # one, with options
//
// Every run checks the hub afterwards: each record arrived exactly once and
// every scan is stored with its size; a miss fails the command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"motcua/sync/hub"
	"motcua/sync/hub/blobdisk"
	"motcua/sync/hub/pgtest"
)

type options struct {
	only string
	seed uint64

	// wire
	wireDossiers, wireScans int
	wireScanMB              float64

	// link
	linkDossiers  int
	linkScanMB    float64
	linkRate      int64 // bits/s
	linkCut       int64 // bytes
	linkRTT       time.Duration
	linkChunk     int64
	linkRetryWait time.Duration
	linkTimeout   time.Duration

	// ingest
	devices       int
	ingestRate    int
	ingestSeconds int
	batches       []int
	durable       bool
	viaClient     bool
	cpuProfile    string
}

func main() {
	var o options
	var batches string
	flag.StringVar(&o.only, "only", "wire,link,ingest", "benchmarks to run (comma-separated: wire, link, ingest)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the generated scans and of the proxy's faults")
	flag.IntVar(&o.wireDossiers, "wire-dossiers", 100, "wire: dossiers in the batch")
	flag.IntVar(&o.wireScans, "wire-scans", 25, "wire: dossiers of the batch with a scan")
	flag.Float64Var(&o.wireScanMB, "wire-scan-mb", 4, "wire: MB (10^6 bytes) of scans in all")
	flag.IntVar(&o.linkDossiers, "link-dossiers", 100, "link: dossiers, each with one scan")
	flag.Float64Var(&o.linkScanMB, "link-scan-mb", 20, "link: MB (10^6 bytes) of scans in all")
	flag.Int64Var(&o.linkRate, "rate", 2_000_000, "link: line rate in bits/s, each direction")
	flag.Int64Var(&o.linkCut, "cut", 384<<10, "link: cut each connection after CUT/2..3·CUT/2 request bytes (0: no cuts)")
	flag.DurationVar(&o.linkRTT, "rtt", 0, "link: added round-trip latency")
	flag.Int64Var(&o.linkChunk, "chunk", 128<<10, "link: the desk's upload chunk in bytes (0: the client's default, 128 KiB)")
	flag.DurationVar(&o.linkRetryWait, "retry-wait", 0, "link: the client's first retry wait after a failed request (0: its default, 50 ms)")
	flag.DurationVar(&o.linkTimeout, "link-timeout", 20*time.Minute, "link: give up (and say how far it got) after this long")
	flag.IntVar(&o.devices, "devices", 200, "ingest: concurrent devices, one per commune")
	flag.IntVar(&o.ingestRate, "ingest-rate", 1000, "ingest: events/s the devices offer together in the paced runs")
	flag.IntVar(&o.ingestSeconds, "ingest-seconds", 20, "ingest: length of a paced run")
	flag.StringVar(&batches, "batch", "1,10", "ingest: events per push, one pair of runs (paced, flat out) for each")
	flag.BoolVar(&o.durable, "durable", true, "ingest: restart the test cluster with fsync and synchronous_commit on, as a hub runs")
	flag.BoolVar(&o.viaClient, "via-client", false, "ingest: push through sync/client, whose JSON and gzip work then shares the hub's CPU")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "ingest: write a CPU profile of this process (hub and devices) to this file")
	flag.Parse()
	for _, s := range strings.Split(batches, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 500 {
			fmt.Fprintf(os.Stderr, "bad -batch %q\n", batches)
			os.Exit(2)
		}
		o.batches = append(o.batches, n)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// quiet silences the desks; the hub logs every request as JSON into
// nothing, so the cost of formatting its log lines is measured.
var (
	quiet  = slog.New(slog.DiscardHandler)
	hubLog = slog.New(slog.NewJSONHandler(io.Discard, nil))
)

func run(o options) error {
	ctx := context.Background()
	cluster, err := pgtest.Start()
	if err != nil {
		return err
	}
	defer cluster.Stop()
	tmp, err := os.MkdirTemp("", "motcua-bench-sync-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Printf("%s, %d CPUs, load average at start %s\n\n", runtime.Version(), runtime.NumCPU(), loadAvg())
	for _, b := range strings.Split(o.only, ",") {
		dir := filepath.Join(tmp, b)
		switch strings.TrimSpace(b) {
		case "wire":
			err = benchWire(ctx, cluster, dir, o)
		case "link":
			err = benchLink(ctx, cluster, dir, o)
		case "ingest":
			err = benchIngest(ctx, cluster, dir, o)
		default:
			err = fmt.Errorf("unknown benchmark %q", b)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", b, err)
		}
	}
	return nil
}

// hubProc is a hub on its own database, served over loopback HTTP.
type hubProc struct {
	srv  *hub.Server
	http *http.Server
	addr string // host:port
}

func startHub(ctx context.Context, cluster *pgtest.Cluster, dir string) (*hubProc, error) {
	url, err := cluster.NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	bs, err := blobdisk.New(filepath.Join(dir, "hub-blobs"))
	if err != nil {
		return nil, err
	}
	srv, err := hub.New(ctx, hub.Config{DatabaseURL: url, Blobs: bs, Logger: hubLog})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, err
	}
	h := &hubProc{srv: srv, http: &http.Server{Handler: srv, ReadHeaderTimeout: 30 * time.Second}, addr: ln.Addr().String()}
	go h.http.Serve(ln)
	if err := srv.UpsertAgency(ctx, hub.Agency{Code: province, Name: "UBND tỉnh Thanh Hóa", Kind: "province", Level: 1}); err != nil {
		h.close()
		return nil, err
	}
	return h, nil
}

func (h *hubProc) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.http.Shutdown(ctx)
	h.srv.Close()
}

const province = "H56"

// commune registers a commune under the province and returns a one-time
// enrolment code for it.
func (h *hubProc) commune(ctx context.Context, code, name string) (string, error) {
	if err := h.srv.UpsertAgency(ctx, hub.Agency{Code: code, Name: name, Kind: "commune", Level: 2, ParentCode: province}); err != nil {
		return "", err
	}
	ec, err := h.srv.CreateEnrolmentCode(ctx, code, "bench", 0)
	return ec.Code, err
}

// expect checks a count on the hub.
func (h *hubProc) expect(ctx context.Context, what string, want int64, query string, args ...any) error {
	var got int64
	if err := h.srv.DB().QueryRow(ctx, query, args...).Scan(&got); err != nil {
		return fmt.Errorf("check %s: %w", what, err)
	}
	if got != want {
		return fmt.Errorf("hub holds %d %s, want %d", got, what, want)
	}
	return nil
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func mb(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// cpuTime is this process's CPU time (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pgCPUTime is the CPU time of the cluster's server processes (the
// postmaster's children), read from /proc.
func pgCPUTime(cluster *pgtest.Cluster) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(cluster.Dir, "data", "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	pm := strings.SplitN(string(b), "\n", 2)[0]
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var ticks int64
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone
		}
		// pid (comm) state ppid … utime stime: fields after the comm's ')'.
		i := strings.LastIndexByte(string(st), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(st[i+1:]))
		if len(f) < 13 || (f[1] != pm && e.Name() != pm) {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + s
	}
	if ticks == 0 {
		return 0, errors.New("no PostgreSQL processes found")
	}
	return time.Duration(ticks) * (time.Second / 100), nil // USER_HZ is 100 on Linux
}
