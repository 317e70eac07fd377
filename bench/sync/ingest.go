package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/google/uuid"

	"motcua/sync/client"
	"motcua/sync/hub/pgtest"
	"motcua/sync/wire"
)

// simDevice is an enrolled commune device: its own key and connections,
// every request signed as sync/client signs it (wire.SignRequest, a fresh
// nonce and timestamp each time). It pushes either through sync/client
// itself or, by default, bodies gzipped before the run: 200 desks'
// client work would otherwise share the hub's two cores, while in the
// field it runs on 200 PCs.
type simDevice struct {
	commune string
	id      string
	key     ed25519.PrivateKey
	cl      *client.Client
	http    *http.Client
	url     string
}

// step is one event of a dossier's life after reception.
type step struct {
	action, from, to string
	national         int
}

var lifecycle = []step{
	{"start_processing", "received", "processing", wire.StatusProcessing},
	{"apologize_extend", "processing", "processing", wire.StatusProcessing},
	{"record_result", "processing", "result_ready", wire.StatusDone},
	{"return_result", "result_ready", "returned", wire.StatusResultsReturned},
}

// work is what one device sends in a run: its dossiers first (not timed),
// then events in pushes of batch, each push touching distinct dossiers at
// the same step so they never wait on each other.
type work struct {
	dossiers wire.PushRequest
	pushes   []wire.PushRequest
}

var codeSeq int

// sampleDossier is the record every simulated dossier copies (a birth
// registration received at the desk, as in sync/wire's golden sample).
//
//go:embed dossier.json
var sampleDossier []byte

func makeWork(commune string, events, batch int) work {
	n := (events + len(lifecycle) - 1) / len(lifecycle)
	n = max(n, batch)
	var w work
	for range n {
		var d wire.Dossier
		if err := json.Unmarshal(sampleDossier, &d); err != nil {
			panic(err) // the embedded file is ours
		}
		codeSeq++
		d.ID, d.Code, d.CommuneCode = uuid.Must(uuid.NewV7()).String(), fmt.Sprintf("%s-260302-%06d", commune, codeSeq), commune
		w.dossiers.Dossiers = append(w.dossiers.Dossiers, d)
	}
	received, due := w.dossiers.Dossiers[0].ReceivedAt, *w.dossiers.Dossiers[0].DueAt
	var all []wire.Event
	for si, s := range lifecycle {
		for _, d := range w.dossiers.Dossiers {
			if len(all) == events {
				break
			}
			e := wire.Event{ID: uuid.Must(uuid.NewV7()).String(), DossierID: d.ID, Action: s.action, From: s.from, To: s.to,
				NationalStatus: s.national, At: received.Add(time.Duration(si+1) * time.Hour), Actor: "u-01", ActorName: "Trần Văn Bình"}
			switch s.action {
			case "apologize_extend":
				later := due.Add(24 * time.Hour)
				e.DueAt, e.PrevDueAt, e.Reason = &later, &due, "Chờ xác minh"
			case "return_result":
				e.ReturnMethod, e.ReceiverName = wire.ReturnInPerson, "Nguyễn Thị Hoà"
			}
			all = append(all, e)
		}
	}
	// A push never holds two steps of one dossier: batch ≤ dossiers, and
	// the steps are laid out dossier by dossier within each step.
	for i := 0; i < len(all); i += batch {
		w.pushes = append(w.pushes, wire.PushRequest{Events: all[i:min(i+batch, len(all))]})
	}
	return w
}

// ingestResult is one run of all devices.
type ingestResult struct {
	events  int
	pushes  int
	took    time.Duration
	lat     []time.Duration
	cpuGo   time.Duration
	cpuPG   time.Duration
	offered float64 // events/s asked for; 0 flat out
}

// benchIngest: many devices pushing dossier events at the hub at once.
func benchIngest(ctx context.Context, cluster *pgtest.Cluster, dir string, o options) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if o.durable {
		if err := restartDurable(cluster); err != nil {
			return err
		}
	}
	h, err := startHub(ctx, cluster, dir)
	if err != nil {
		return err
	}
	defer h.close()
	var fsync, syncCommit string
	h.srv.DB().QueryRow(ctx, "SELECT current_setting('fsync'), current_setting('synchronous_commit')").Scan(&fsync, &syncCommit)

	devs, err := enrolDevices(ctx, h, o.devices)
	if err != nil {
		return err
	}
	perDevice := o.ingestRate * o.ingestSeconds / o.devices
	how := "bodies gzipped before the run, signed at send time"
	if o.viaClient {
		how = "through sync/client (its JSON and gzip work in this process)"
	}
	fmt.Printf("## ingest: %d devices (one per commune), %d events each per run, pushes %s; PostgreSQL fsync=%s synchronous_commit=%s, hub pool 20 connections\n\n",
		o.devices, perDevice, how, fsync, syncCommit)
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Println("| events per push | offered events/s | events/s stored | pushes/s | p50 ms | p95 ms | p99 ms | max ms | CPU s: hub+devices / PostgreSQL |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	stored := 0
	for _, b := range o.batches {
		for _, offered := range []float64{float64(o.ingestRate), 0} {
			r, err := ingestRun(ctx, cluster, devs, perDevice, b, offered, o.viaClient)
			if err != nil {
				return err
			}
			stored += r.events
			if err := h.expect(ctx, "events", int64(stored), "SELECT count(*) FROM events"); err != nil {
				return err
			}
			off := "flat out"
			if offered > 0 {
				off = fmt.Sprintf("%.0f", offered)
			}
			fmt.Printf("| %d | %s | %.0f | %.0f | %.1f | %.1f | %.1f | %.1f | %.1f / %.1f |\n", b, off,
				float64(r.events)/r.took.Seconds(), float64(r.pushes)/r.took.Seconds(),
				ms(pct(r.lat, 0.5)), ms(pct(r.lat, 0.95)), ms(pct(r.lat, 0.99)), ms(pct(r.lat, 1)),
				r.cpuGo.Seconds(), r.cpuPG.Seconds())
		}
	}
	fmt.Println()
	return nil
}

func enrolDevices(ctx context.Context, h *hubProc, n int) ([]simDevice, error) {
	devs := make([]simDevice, n)
	for i := range devs {
		commune := fmt.Sprintf("000.%02d.%02d.H56", i/100+30, i%100)
		code, err := h.commune(ctx, commune, fmt.Sprintf("UBND xã số %d", i+1))
		if err != nil {
			return nil, err
		}
		cl, err := client.New(client.Config{BaseURL: "http://" + h.addr, Logger: quiet})
		if err != nil {
			return nil, err
		}
		_, key, err := ed25519.GenerateKey(nil)
		if err != nil {
			return nil, err
		}
		resp, err := cl.Enrol(ctx, code, fmt.Sprintf("Máy một cửa %d", i+1), "bench", key)
		if err != nil {
			return nil, fmt.Errorf("enrol device %d: %w", i, err)
		}
		cl.SetIdentity(client.Identity{DeviceID: resp.DeviceID, Key: key})
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 4
		devs[i] = simDevice{commune: commune, id: resp.DeviceID, key: key, cl: cl,
			http: &http.Client{Transport: t, Timeout: 2 * time.Minute}, url: "http://" + h.addr + "/v1/push"}
	}
	return devs, nil
}

// ingestRun has every device push its dossiers, then, all at once, its
// events. offered > 0 paces the devices: together they offer that many
// events/s, each pushing at its own even rhythm (a device waits for one
// answer before its next push, as the desk's sender does), and a push's
// latency counts from when it was due, so a hub falling behind shows.
// offered == 0 pushes flat out: throughput at saturation, where latency
// is only queueing (200 waiting devices / pushes per second).
func ingestRun(ctx context.Context, cluster *pgtest.Cluster, devs []simDevice, perDevice, batch int, offered float64, viaClient bool) (ingestResult, error) {
	works := make([]work, len(devs))
	bodies := make([][][]byte, len(devs)) // [device][push], nil through sync/client
	for i, d := range devs {
		works[i] = makeWork(d.commune, perDevice, batch)
		if !viaClient {
			for _, p := range works[i].pushes {
				bodies[i] = append(bodies[i], gzipJSON(p))
			}
		}
	}
	if err := eachDevice(devs, func(i int, d simDevice) error {
		var body []byte
		if !viaClient {
			body = gzipJSON(works[i].dossiers)
		}
		return d.push(ctx, works[i].dossiers, body)
	}); err != nil {
		return ingestResult{}, fmt.Errorf("dossiers: %w", err)
	}

	r := ingestResult{offered: offered}
	var mu sync.Mutex
	interval := time.Duration(0)
	if offered > 0 {
		interval = time.Duration(float64(batch*len(devs)) / offered * float64(time.Second))
	}
	pg0, _ := pgCPUTime(cluster)
	cpu0 := cpuTime()
	start := time.Now()
	err := eachDevice(devs, func(i int, d simDevice) error {
		due := start.Add(interval * time.Duration(i) / time.Duration(len(devs)))
		lat := make([]time.Duration, 0, len(works[i].pushes))
		events := 0
		for k, p := range works[i].pushes {
			if wait := time.Until(due); wait > 0 {
				time.Sleep(wait)
			}
			var body []byte
			if !viaClient {
				body = bodies[i][k]
			}
			sent := time.Now()
			if err := d.push(ctx, p, body); err != nil {
				return err
			}
			from := sent
			if offered > 0 {
				from = due
			}
			lat = append(lat, time.Since(from))
			events += len(p.Events)
			due = due.Add(interval)
		}
		mu.Lock()
		r.lat = append(r.lat, lat...)
		r.events += events
		r.pushes += len(lat)
		mu.Unlock()
		return nil
	})
	r.took = time.Since(start)
	r.cpuGo = cpuTime() - cpu0
	if pg1, err := pgCPUTime(cluster); err == nil {
		r.cpuPG = pg1 - pg0
	}
	return r, err
}

// eachDevice runs fn for every device at once and returns the first error.
func eachDevice(devs []simDevice, fn func(i int, d simDevice) error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(devs))
	for i, d := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i, d)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// gzipJSON is a push body as sync/client encodes it.
func gzipJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err) // wire types always encode
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	zw.Write(raw)
	zw.Close()
	return b.Bytes()
}

// push sends req — as body, its gzipped JSON, when not nil; else through
// sync/client — and insists that the hub stored every item anew.
func (d simDevice) push(ctx context.Context, req wire.PushRequest, body []byte) error {
	var resp wire.PushResponse
	if body == nil {
		var err error
		if resp, err = d.cl.Push(ctx, req); err != nil {
			return err
		}
	} else {
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("Content-Encoding", "gzip")
		hr.Header.Set(wire.HeaderProtocol, wire.Current.String())
		if err := wire.SignRequest(hr, d.id, d.key, body, time.Now()); err != nil {
			return err
		}
		res, err := d.http.Do(hr)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
			return fmt.Errorf("push: status %d: %s", res.StatusCode, b)
		}
		if err := json.NewDecoder(res.Body).Decode(&resp); err != nil {
			return fmt.Errorf("push: %w", err)
		}
	}
	if len(resp.Dossiers) != len(req.Dossiers) || len(resp.Events) != len(req.Events) {
		return fmt.Errorf("push: %d+%d answers for %d+%d items", len(resp.Dossiers), len(resp.Events), len(req.Dossiers), len(req.Events))
	}
	for _, r := range append(resp.Dossiers, resp.Events...) {
		if r.Outcome != wire.OutcomeCreated {
			return fmt.Errorf("item %s: %s %s %s", r.ID, r.Outcome, r.Code, r.Reason)
		}
	}
	return nil
}

// restartDurable restarts the throw-away cluster with fsync, synchronous
// commit and full-page writes at PostgreSQL's defaults (on), as a hub runs:
// pgtest turns them off for speed on its command line, which ALTER SYSTEM
// cannot override. Everything else stays as pgtest set it.
func restartDurable(c *pgtest.Cluster) error {
	bin, err := pgtest.FindBin()
	if err != nil {
		return err
	}
	args := []string{filepath.Join(bin, "pg_ctl"), "-D", filepath.Join(c.Dir, "data"), "-l", filepath.Join(c.Dir, "postgres.log"),
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=64MB", c.Port, c.Dir),
		"-w", "-t", "60", "-m", "fast", "restart"}
	if os.Geteuid() == 0 { // pgtest runs the cluster as postgres then
		args = append([]string{"runuser", "-u", "postgres", "--"}, args...)
	}
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		return fmt.Errorf("restart PostgreSQL durable: %w\n%s", err, out)
	}
	return nil
}
