package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"motcua/sync/client"
	"motcua/sync/client/faultproxy"
	"motcua/sync/hub/pgtest"
)

// linkRun is one desk syncing its batch to a fresh hub through the proxy.
type linkRun struct {
	b                batch
	records, files   int64 // payload: JSON records, scan bytes
	items            int
	took             time.Duration
	before, after    faultproxy.Stats
	cpuDesk, cpuBase time.Duration
	unfinished       string // why the hub had not confirmed everything in time
	hubBytes         int64  // scan bytes the hub held then
}

func (r linkRun) payload() int64 { return r.records + r.files }
func (r linkRun) up() int64      { return r.after.BytesUp - r.before.BytesUp }
func (r linkRun) down() int64    { return r.after.BytesDown - r.before.BytesDown }

// syncThrough enrols a desk through a line with faults f, fills it with n
// dossiers (scans of them with scanBytes of scans), then starts the desk's
// sync loop and times it until the hub has confirmed everything (and, with pulled, until
// the pull that follows), and checks the hub holds it all exactly once.
func syncThrough(ctx context.Context, cluster *pgtest.Cluster, dir string, cc client.Config, f faultproxy.Faults,
	n, scans int, scanBytes int64, seed uint64, pulled bool, timeout time.Duration) (linkRun, error) {
	var r linkRun
	h, err := startHub(ctx, cluster, dir)
	if err != nil {
		return r, err
	}
	defer h.close()
	// The line is bad from the start: the enrolment's connection, kept
	// alive for the sync, has its cut too.
	p, err := faultproxy.Start(h.addr, f, seed)
	if err != nil {
		return r, err
	}
	defer p.Close()
	d, b, err := setupDesk(ctx, h, filepath.Join(dir, "desk"), p.URL(), cc, n, scans, scanBytes, seed)
	if err != nil {
		return r, err
	}
	defer d.close()
	r.b = b
	if r.records, r.files, r.items, err = d.payload(); err != nil {
		return r, err
	}
	r.before, r.cpuBase = p.Stats(), cpuTime()
	start := time.Now()
	d.syn.Start(d.rec)
	if err := d.waitSynced(ctx, timeout, pulled); err != nil {
		if !errors.Is(err, errTimeout) {
			return r, err
		}
		// Not finished: say how far it got.
		r.took, r.after, r.unfinished = time.Since(start), p.Stats(), err.Error()
		err = h.srv.DB().QueryRow(ctx, `SELECT (SELECT coalesce(sum(size), 0) FROM blobs)::bigint +
			(SELECT coalesce(sum(offset_bytes), 0) FROM blob_uploads)::bigint`).Scan(&r.hubBytes)
		return r, err
	}
	r.took, r.after, r.cpuDesk = time.Since(start), p.Stats(), cpuTime()-r.cpuBase
	return r, h.verify(ctx, b)
}

// benchWire: bytes on the wire for a typical batch, on a faithful line,
// with the desk's production client settings.
func benchWire(ctx context.Context, cluster *pgtest.Cluster, dir string, o options) error {
	r, err := syncThrough(ctx, cluster, dir, client.Config{}, faultproxy.Faults{},
		o.wireDossiers, o.wireScans, int64(o.wireScanMB*1e6), o.seed, true, 30*time.Minute)
	if err == nil && r.unfinished != "" {
		err = errors.New(r.unfinished)
	}
	if err != nil {
		return err
	}
	fmt.Printf("## wire: %d dossiers, %d events, %d scans (%s) — %d outbox items, synced and pulled in %v\n\n",
		r.b.dossiers, r.b.events, r.b.scans, mb(r.b.scanBytes), r.items, r.took.Round(time.Millisecond))
	fmt.Println("| | bytes |")
	fmt.Println("|---|---|")
	fmt.Printf("| payload: JSON records | %d |\n", r.records)
	fmt.Printf("| payload: scans | %d |\n", r.files)
	fmt.Printf("| payload: total | %d |\n", r.payload())
	fmt.Printf("| wire up (requests) | %d |\n", r.up())
	fmt.Printf("| wire down (answers) | %d |\n", r.down())
	fmt.Printf("| wire total | %d |\n", r.up()+r.down())
	fmt.Printf("| wire total minus scans, vs JSON records | %d vs %d (%.2f×) |\n",
		r.up()+r.down()-r.files, r.records, float64(r.up()+r.down()-r.files)/float64(r.records))
	fmt.Printf("\nwire / payload = %.3f (target ≤ 1.05); connections opened during the sync: %d\n\n",
		float64(r.up()+r.down())/float64(r.payload()), r.after.Conns-r.before.Conns)
	return nil
}

// benchLink: a day's dossiers with 20 MB of scans through a slow line that
// keeps cutting connections, against the time the payload alone needs.
func benchLink(ctx context.Context, cluster *pgtest.Cluster, dir string, o options) error {
	bytesPerSec := o.linkRate / 8
	f := faultproxy.Faults{UpRate: bytesPerSec, DownRate: bytesPerSec, CutAfter: o.linkCut, RTT: o.linkRTT}
	cc := client.Config{ChunkSize: o.linkChunk, RetryWaitMin: o.linkRetryWait}
	r, err := syncThrough(ctx, cluster, dir, cc, f, o.linkDossiers, o.linkDossiers, int64(o.linkScanMB*1e6), o.seed, false, o.linkTimeout)
	if err != nil {
		return err
	}
	ideal := time.Duration(float64(r.payload()) / float64(bytesPerSec) * float64(time.Second))
	chunk, wait := "128 KiB (default)", "50 ms (default)"
	if o.linkChunk > 0 {
		chunk = fmt.Sprintf("%d KiB", o.linkChunk>>10)
	}
	if o.linkRetryWait > 0 {
		wait = o.linkRetryWait.String()
	}
	fmt.Printf("## link: %d dossiers, %d events, %d scans (%s) through %.1f Mbit/s each way, cuts every %d–%d KiB, RTT +%v; chunk %s, first retry after %s\n\n",
		r.b.dossiers, r.b.events, r.b.scans, mb(r.b.scanBytes), float64(o.linkRate)/1e6, o.linkCut>>11, 3*o.linkCut>>11, o.linkRTT, chunk, wait)
	fmt.Println("| | |")
	fmt.Println("|---|---|")
	fmt.Printf("| payload (JSON records + scans) | %s |\n", mb(r.payload()))
	if r.unfinished != "" {
		fmt.Printf("| ideal time (payload bits / line rate) | %v |\n", ideal.Round(100*time.Millisecond))
		fmt.Printf("| **not finished** after %v | the hub held %s of %s of scans; %s |\n", r.took.Round(time.Second),
			mb(r.hubBytes), mb(r.files), r.unfinished)
		fmt.Printf("| wire up / down | %s / %s |\n", mb(r.up()), mb(r.down()))
		fmt.Printf("| connections cut / opened | %d / %d |\n\n", r.after.Cuts-r.before.Cuts, r.after.Conns-r.before.Conns)
		return nil
	}
	fmt.Printf("| ideal time (payload bits / line rate) | %v |\n", ideal.Round(100*time.Millisecond))
	fmt.Printf("| time until the hub confirmed everything | %v |\n", r.took.Round(100*time.Millisecond))
	fmt.Printf("| **ratio** | **%.3f** (target ≤ 1.25) |\n", float64(r.took)/float64(ideal))
	fmt.Printf("| wire up / down | %s / %s (up %.3f× payload) |\n", mb(r.up()), mb(r.down()), float64(r.up())/float64(r.payload()))
	fmt.Printf("| connections cut / opened | %d / %d |\n", r.after.Cuts-r.before.Cuts, r.after.Conns-r.before.Conns)
	fmt.Printf("| CPU of desk + hub process | %v |\n\n", r.cpuDesk.Round(100*time.Millisecond))
	return nil
}
