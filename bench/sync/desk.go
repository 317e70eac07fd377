package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"motcua/app/blobs"
	"motcua/app/digitize"
	"motcua/app/dossier"
	"motcua/app/office"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/app/syncing"
	"motcua/sync/client"
	"motcua/sync/outbox"
)

const deskCommune = "000.17.22.H56"

// desk is a commune desk as the app composes it: a durable Badger store,
// reception queueing every change for the hub, scans in an encrypted blob
// store, and the sync service.
type desk struct {
	st  *store.Store
	rec *reception.Service
	syn *syncing.Service
	bs  *blobs.Store
}

func newDesk(ctx context.Context, dir string, cc client.Config) (*desk, error) {
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "db"), Logger: quiet})
	if err != nil {
		return nil, err
	}
	d := &desk{st: st}
	off := office.NewService(st)
	set := office.Defaults()
	set.ParentAgency, set.UnitName, set.CommuneName, set.AgencyCode = "UBND xã Quảng Hưng", "Bộ phận một cửa xã Quảng Hưng",
		"Quảng Hưng", deskCommune
	if _, err := off.Save(ctx, set); err != nil {
		d.close()
		return nil, err
	}
	if d.bs, err = blobs.Open(filepath.Join(dir, "blobs"), bytes.Repeat([]byte{3}, 32), quiet); err != nil {
		d.close()
		return nil, err
	}
	d.syn, err = syncing.New(syncing.Config{Store: st, Office: off, Blobs: syncing.DeskBlobs{Store: d.bs}, Logger: quiet,
		AppVersion: "bench", DeviceName: "Máy đo", Client: cc})
	if err != nil {
		d.close()
		return nil, err
	}
	if d.rec, err = reception.New(st, off, reception.WithOutbox(d.syn)); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// close stops the sync loop before the store it uses.
func (d *desk) close() {
	if d.syn != nil {
		d.syn.Close()
	}
	d.st.Close()
}

var clerk = reception.Actor{ID: "u1", Name: "Trần Văn Bình", Role: "clerk"}

// batch is what the desk queued for the hub.
type batch struct {
	dossiers, events, scans int
	scanBytes               int64
}

// fill receives n dossiers at the desk, the first `scans` of them with a
// scanned PDF (scanBytes in all, sizes varying ±50% around the mean),
// starts processing every one and records the result of every other one:
// the records and events a commune queues in a day or two.
func (d *desk) fill(ctx context.Context, n, scans int, scanBytes int64, seed uint64) (batch, error) {
	rng := rand.New(rand.NewPCG(seed, 7))
	sizes := scanSizes(rng, scans, scanBytes)
	b := batch{dossiers: n, scans: scans, scanBytes: scanBytes}
	for i := range n {
		in := reception.Reception{
			RequestID: uuid.NewString(), ProcedureCode: "2.000815",
			Applicant: reception.ApplicantInput{Kind: dossier.ApplicantPerson, Name: "Nguyễn Thị Hương",
				IDNumber: fmt.Sprintf("0011900%05d", i), Address: "Thôn Đông, xã Quảng Hưng", Phone: fmt.Sprintf("09%08d", i)},
			Components: []reception.Component{{Name: "Tờ khai", Originals: 1}, {Name: "Bản sao giấy tờ", Copies: 2}},
			Outcome:    reception.OutcomeComplete,
		}
		dos, _, err := d.rec.Receive(ctx, in, clerk)
		if err != nil {
			return b, fmt.Errorf("receive: %w", err)
		}
		if i < scans {
			if err := d.scan(ctx, dos, fakePDF(rng, sizes[i])); err != nil {
				return b, err
			}
			b.events++
		}
		acts := []dossier.Action{dossier.ActionStartProcessing}
		if i%2 == 0 {
			acts = append(acts, dossier.ActionRecordResult)
		}
		for _, a := range acts {
			if _, _, _, err := d.rec.Act(ctx, dos.ID, reception.ActionInput{RequestID: uuid.NewString(), Action: a}, clerk); err != nil {
				return b, fmt.Errorf("%s: %w", a, err)
			}
			b.events++
		}
	}
	return b, nil
}

// scan stores a scanned PDF and queues it for the hub as the digitisation
// runner does when a scan is bound to a dossier.
func (d *desk) scan(ctx context.Context, dos reception.Dossier, pdf []byte) error {
	ref, err := d.bs.Put(ctx, bytes.NewReader(pdf))
	if err != nil {
		return err
	}
	return d.st.Update(func(x *store.Txn) error {
		return d.syn.EnqueueScan(x, dos, digitize.ScanSent{JobID: uuid.NewString(), Component: "Tờ khai", FileName: "to-khai.pdf",
			SHA256: ref.SHA256, Size: ref.Size, At: time.Now(), Actor: clerk.ID, ActorName: clerk.Name})
	})
}

// scanSizes splits total into n sizes between half and one and a half
// times the mean.
func scanSizes(rng *rand.Rand, n int, total int64) []int64 {
	if n == 0 {
		return nil
	}
	out := make([]int64, n)
	var sum float64
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.5 + rng.Float64()
		sum += w[i]
	}
	var given int64
	for i := range out {
		out[i] = int64(float64(total) * w[i] / sum)
		given += out[i]
	}
	out[n-1] += total - given
	return out
}

// fakePDF is a scan's stand-in: a PDF header and random bytes, as
// incompressible as the JPEG pages of a real scan.
func fakePDF(rng *rand.Rand, size int64) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	copy(b, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return b
}

// payload is what the desk has to send: the JSON records of its outbox
// and each referenced file once.
func (d *desk) payload() (records, files int64, items int, err error) {
	seen := map[string]bool{}
	q := outbox.ListQuery{All: true, Limit: 500}
	for {
		page, err := d.syn.Outbox().List(q)
		if err != nil {
			return 0, 0, 0, err
		}
		for _, it := range page.Items {
			items++
			records += int64(len(it.Payload))
			for _, b := range it.Blobs {
				if !seen[b.SHA256] {
					seen[b.SHA256] = true
					files += b.Size
				}
			}
		}
		if page.Next == "" {
			return records, files, items, nil
		}
		q.Cursor = page.Next
	}
}

var errTimeout = errors.New("not synced")

// waitSynced waits until the hub has confirmed every outbox item; with
// pulled set, also until the cycle's pull after it finished.
func (d *desk) waitSynced(ctx context.Context, timeout time.Duration, pulled bool) error {
	deadline := time.Now().Add(timeout)
	for {
		st, err := d.syn.Status(ctx)
		if err != nil {
			return err
		}
		if st.Outbox.Parked > 0 || st.Outbox.Waiting > 0 {
			return fmt.Errorf("outbox items stopped: %+v (problem %q)", st.Outbox, st.Problem)
		}
		if st.Outbox.Unsynced() == 0 && (!pulled || st.LastPullAt != nil) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w after %v: outbox %d pending, %d uploading, %d retrying; problem %q", errTimeout, timeout,
				st.Outbox.Pending, st.Outbox.Uploading, st.Outbox.Retrying, st.Problem)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verify checks that the hub holds the batch exactly once.
func (h *hubProc) verify(ctx context.Context, b batch) error {
	for _, c := range []struct {
		what  string
		want  int64
		query string
	}{
		{"dossiers", int64(b.dossiers), "SELECT count(*) FROM dossiers"},
		{"commune events", int64(b.events), "SELECT count(*) FROM events WHERE origin = 'commune'"},
		{"scan references", int64(b.scans), "SELECT count(*) FROM blob_refs"},
		{"verified scans", int64(b.scans), "SELECT count(*) FROM blobs"},
		{"scan bytes", b.scanBytes, "SELECT coalesce(sum(size), 0)::bigint FROM blobs"},
	} {
		if err := h.expect(ctx, c.what, c.want, c.query); err != nil {
			return err
		}
	}
	return nil
}

// setupDesk opens a desk enrolled with hub h through proxyURL and fills
// its outbox without sending anything yet (the sync loop is not started).
func setupDesk(ctx context.Context, h *hubProc, dir, proxyURL string, cc client.Config, n, scans int, scanBytes int64, seed uint64) (*desk, batch, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, batch{}, err
	}
	code, err := h.commune(ctx, deskCommune, "UBND xã Quảng Hưng")
	if err != nil {
		return nil, batch{}, err
	}
	d, err := newDesk(ctx, dir, cc)
	if err != nil {
		return nil, batch{}, err
	}
	if _, err := d.syn.Enrol(ctx, proxyURL, code); err != nil {
		d.close()
		return nil, batch{}, fmt.Errorf("enrol: %w", err)
	}
	b, err := d.fill(ctx, n, scans, scanBytes, seed)
	if err != nil {
		d.close()
		return nil, batch{}, err
	}
	return d, b, nil
}
