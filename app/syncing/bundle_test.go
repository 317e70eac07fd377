package syncing

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/uuid"

	"motcua/app/blobs"
	"motcua/app/dossier"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/sync/hub"
	"motcua/sync/outbox"
	"motcua/sync/wire"
)

// exportBundle writes d's outbox bundle into memory.
func (d *desk) exportBundle() ([]byte, BundleInfo) {
	d.t.Helper()
	var buf bytes.Buffer
	var opened BundleInfo
	info, err := d.sync.ExportBundle(context.Background(), func(i BundleInfo) (io.Writer, error) {
		opened = i
		return &buf, nil
	})
	if err != nil {
		d.t.Fatalf("export bundle: %v", err)
	}
	if opened.ID != info.ID || opened.Items != info.Items {
		d.t.Fatalf("open saw %+v, the export returned %+v", opened, info)
	}
	return buf.Bytes(), info
}

// learnHubKey runs the online cycle's key fetch once, as the loop does
// after enrolment.
func (d *desk) learnHubKey() {
	d.t.Helper()
	d.sync.learnHubKey(context.Background(), d.sync.cl)
	if st, _ := loadState(d.st); st.HubAge == "" {
		d.t.Fatal("the desk did not learn the hub's age recipient")
	}
}

// reveal decrypts an encrypted bundle with id and opens it.
func reveal(t *testing.T, data []byte, id age.Identity) (*wire.Bundle, error) {
	t.Helper()
	if !wire.IsEncryptedBundle(data) {
		t.Fatal("the outbox bundle is not an age file")
	}
	plain, size, err := age.DecryptReaderAt(bytes.NewReader(data), int64(len(data)), id)
	if err != nil {
		return nil, err
	}
	return wire.OpenBundle(plain, size)
}

func (d *desk) importResults(data []byte) (ResultsImport, error) {
	return d.sync.ImportResults(context.Background(), bytes.NewReader(data), int64(len(data)))
}

func (e *hubEnv) importBundle(data []byte) hub.BundleImport {
	e.t.Helper()
	res, err := e.srv.ImportBundle(context.Background(), bytes.NewReader(data), int64(len(data)))
	if err != nil {
		e.t.Fatalf("hub import: %v", err)
	}
	return res
}

// TestOutboxBundleReachesTheHubAndOnlineSyncFindsItThere: with no link,
// the desk's pending outbox — receptions, an action, a dossier with its
// scan — goes into one bundle; writing it changes nothing in the outbox.
// The hub imports it (twice: nothing new the second time). When the link
// returns, the sender pushes the same items, the hub answers duplicates
// with the bundle's reception time, and they are marked synced; nothing on
// the hub is duplicated. A dossier whose scan is not on this PC stays out
// of the bundle, with the item behind it.
func TestOutboxBundleReachesTheHubAndOnlineSyncFindsItThere(t *testing.T) {
	e := newHubEnv(t)
	scan := bytes.Repeat([]byte("bản quét giấy khai sinh "), 8000)
	mem := &memBlobs{m: map[string][]byte{wire.SumHex(scan): scan}}
	d := newDesk(t, commune, func(c *Config) { c.Blobs = mem })
	en := d.enrol(e)
	d.learnHubKey()
	e.stopHub() // the link is gone; the loop is not even running

	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, d.receive().ID)
	}
	if _, err := d.act(ids[0], reception.ActionInput{Action: dossier.ActionStartProcessing}); err != nil {
		t.Fatal(err)
	}
	withScan := sampleWireDossier(wire.BlobRef{SHA256: wire.SumHex(scan), Size: int64(len(scan)), MediaType: "application/pdf"})
	lost := []byte("deleted from this PC")
	withLost := sampleWireDossier(wire.BlobRef{SHA256: wire.SumHex(lost), Size: int64(len(lost)), MediaType: "application/pdf"})
	lostEvent := wire.Event{ID: uuid.Must(uuid.NewV7()).String(), DossierID: withLost.ID, Action: "start_processing",
		From: "received", To: "processing", NationalStatus: 4, At: time.Now(), Actor: "u1"}
	enqueue(t, d, withScan.ID, outbox.KindDossier, withScan, withScan.Blobs())
	enqueue(t, d, withLost.ID, outbox.KindDossier, withLost, withLost.Blobs())
	enqueue(t, d, withLost.ID, outbox.KindEvent, lostEvent, nil)
	before := d.status().Outbox

	data, info := d.exportBundle()
	if info.Items != 5 || info.Held != 2 || info.Blobs != 1 || info.DeviceID != en.DeviceID || info.CommuneCode != commune ||
		info.Bytes < int64(len(scan)) || !strings.HasSuffix(info.FileName, wire.BundleEncryptedExt) {
		t.Fatalf("bundle info %+v", info)
	}
	if after := d.status().Outbox; after != before || after.Unsynced() != 7 {
		t.Fatalf("exporting changed the outbox: %+v → %+v", before, after)
	}
	// The file on the stick is encrypted to the hub: nothing of the
	// dossiers is in it in clear, and another identity cannot open it.
	if bytes.Contains(data, []byte(withScan.Applicant.Name)) || bytes.Contains(data, scan[:64]) || bytes.Contains(data, []byte(wire.BundleManifestName)) {
		t.Fatal("the outbox bundle holds personal data in clear")
	}
	stranger, _ := age.GenerateX25519Identity()
	var noMatch *age.NoIdentityMatchError
	if _, err := reveal(t, data, stranger); !errors.As(err, &noMatch) {
		t.Fatalf("decrypting with another identity: %v", err)
	}
	// To look inside, the test exports the same outbox to its own identity
	// (the hub's never leaves the hub); the hub cannot read that one.
	mine, _ := age.GenerateX25519Identity()
	if err := d.sync.updateState(func(st *syncState) { st.HubAge = mine.Recipient().String() }); err != nil {
		t.Fatal(err)
	}
	inspect, _ := d.exportBundle()
	if err := d.sync.updateState(func(st *syncState) { st.HubAge, _ = e.srv.BundleAgeRecipient(context.Background()) }); err != nil {
		t.Fatal(err)
	}
	b, err := reveal(t, inspect, mine)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(d.sync.dev.PrivateKey.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal("not signed with the enrolment key: ", err)
	}
	queue, err := d.sync.Outbox().List(outbox.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, it := range queue.Items {
		if it.DossierID != withLost.ID {
			want = append(want, string(it.Kind)+" "+it.RecordID)
		}
	}
	for _, it := range b.Manifest.Items {
		got = append(got, it.Kind+" "+it.ID)
	}
	if len(want) != 5 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("bundle items %v, outbox queue %v", got, want)
	}

	e.startHub()
	if _, err := e.srv.ImportBundle(context.Background(), bytes.NewReader(inspect), int64(len(inspect))); !errors.Is(err, wire.ErrBundleDecrypt) {
		t.Fatalf("hub import of a bundle encrypted to another key: %v", err)
	}
	res := e.importBundle(data)
	if res.Created != 5 || res.Refused != 0 || res.BlobsStored != 1 {
		t.Fatalf("hub import %+v", res)
	}
	if again := e.importBundle(data); again.Created != 0 || again.Duplicates != 5 {
		t.Fatalf("second import %+v", again)
	}
	firstAt := map[string]time.Time{}
	for _, r := range append(res.Dossiers, res.Events...) {
		firstAt[r.ID] = *r.HubReceivedAt
	}

	d.sync.Start(d.rec)
	waitFor(t, 20*time.Second, "the bundled items to be marked synced", func() bool {
		c := d.status().Outbox
		return c.Unsynced() == 2 && c.Parked == 1
	})
	page, err := d.sync.Outbox().List(outbox.ListQuery{All: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	synced := 0
	for _, it := range page.Items {
		if it.DossierID == withLost.ID {
			continue
		}
		at, bundled := firstAt[it.RecordID]
		if it.State != outbox.StateSynced || !bundled || it.HubReceivedAt == nil || !it.HubReceivedAt.Equal(at) {
			t.Fatalf("item %s: %+v (bundle reception %v)", it.ID(), it, at)
		}
		synced++
	}
	if synced != 5 {
		t.Fatalf("%d items synced", synced)
	}
	if n := e.count("SELECT count(*) FROM dossiers"); n != 4 {
		t.Fatalf("%d dossiers on the hub, want 4", n)
	}
	if n := e.count("SELECT count(*) FROM events"); n != 1 {
		t.Fatalf("%d events on the hub, want 1", n)
	}
}

func enqueue(t *testing.T, d *desk, dossierID string, kind outbox.Kind, v any, refs []wire.BlobRef) {
	t.Helper()
	b, _ := json.Marshal(v)
	err := d.st.Update(func(x *store.Txn) error {
		_, err := outbox.Enqueue(x, outbox.Item{DossierID: dossierID, Kind: kind, RecordID: recordID(v), Payload: b, Blobs: refs})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func recordID(v any) string {
	switch r := v.(type) {
	case wire.Dossier:
		return r.ID
	case wire.Event:
		return r.ID
	}
	panic("not a record")
}

// exportRefused asks for a bundle that must be refused before its first
// byte, with want.
func (d *desk) exportRefused(want error) {
	d.t.Helper()
	_, err := d.sync.ExportBundle(context.Background(), func(BundleInfo) (io.Writer, error) {
		d.t.Fatalf("a bundle was started; want %v", want)
		return nil, nil
	})
	if !errors.Is(err, want) {
		d.t.Fatalf("export: %v, want %v", err, want)
	}
}

func TestExportNeedsAnEnrolment(t *testing.T) {
	d := newDesk(t, commune)
	d.receive()
	d.exportRefused(ErrNotEnrolled)
}

// TestExportNeedsTheHubRecipient: an enrolled desk that has not reached
// its hub since (so never learned the age recipient) writes no bundle: a
// plain one would carry personal data in clear.
func TestExportNeedsTheHubRecipient(t *testing.T) {
	e := newHubEnv(t)
	d := newDesk(t, commune)
	d.enrol(e)
	d.receive()
	d.exportRefused(ErrNoHubRecipient)
	d.learnHubKey()
	if data, _ := d.exportBundle(); !wire.IsEncryptedBundle(data) {
		t.Fatal("the bundle is not encrypted")
	}
}

// TestResultsBundleComesBackAsAPull: the hub's changes for this desk,
// carried back in a bundle signed with the key the desk learned online,
// are applied as a pull applies them — the result paper stored, the note
// kept, the cursor moved — and a second import or the next online pull
// finds nothing new. Bundles that are not the hub's, not this device's,
// tampered with, or that would skip changes are refused and apply nothing.
func TestResultsBundleComesBackAsAPull(t *testing.T) {
	e := newHubEnv(t)
	bs, err := blobs.Open(filepath.Join(t.TempDir(), "blobs"), bytes.Repeat([]byte{5}, 32), quiet)
	if err != nil {
		t.Fatal(err)
	}
	d := newDesk(t, commune, func(c *Config) { c.Results = DeskBlobs{bs} })
	en := d.enrol(e)

	// Before the first online cycle the desk does not know the hub's key.
	var early bytes.Buffer
	if _, err := e.srv.ExportChangesBundle(context.Background(), en.DeviceID, "", &early); err != nil {
		t.Fatal(err)
	}
	if _, err := d.importResults(early.Bytes()); !errors.Is(err, ErrNoHubKey) || d.status().HubKeyID != "" {
		t.Fatalf("import without the hub's key: %v", err)
	}
	other := newDesk(t, commune)
	otherEn := other.enrol(e)
	d.sync.Start(d.rec)
	dos := d.receive()
	waitFor(t, 20*time.Second, "the dossier on the hub and the hub's key", func() bool {
		return e.count("SELECT count(*) FROM dossiers WHERE id = $1", dos.ID) == 1 && d.status().HubKeyID != ""
	})
	if got, want := d.status().HubKeyID, wire.BundleKeyID(e.srv.BundlePublicKey()); got != want {
		t.Fatalf("desk learned key %s, the hub's is %s", got, want)
	}
	waitFor(t, 10*time.Second, "a first pull", func() bool { return d.status().LastPullAt != nil })
	// The link goes down (kept-alive connections too); the hub goes on
	// working. Once the desk has seen it, nothing reaches it online.
	e.proxy.SetTarget("")
	e.http.CloseClientConnections()
	waitFor(t, 10*time.Second, "the desk to notice the link is gone", func() bool { return !d.status().Online })

	ctx := context.Background()
	staff, err := e.srv.CreateStaff(ctx, hub.NewStaff{Username: "tuphap", FullName: "Lê Thị Tư Pháp", AgencyCode: "H56", Password: "mật khẩu dài đủ mạnh 2026"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Take(ctx, hub.StaffAction{ChangeID: uuid.NewString(), DossierID: dos.ID, ExpectState: "received", Staff: staff}); err != nil {
		t.Fatal(err)
	}
	var afterTake bytes.Buffer
	mTake, err := e.srv.ExportChangesBundle(ctx, en.DeviceID, "", &afterTake)
	if err != nil {
		t.Fatal(err)
	}
	paper := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("Giấy khai sinh bản chính. "), 300)...)
	ref, err := e.srv.PutResultPaper(ctx, bytes.NewReader(paper), "Giấy khai sinh", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.RecordResult(ctx, hub.StaffAction{ChangeID: uuid.NewString(), DossierID: dos.ID, ExpectState: "processing", Staff: staff},
		[]wire.ResultPaper{{Name: "Giấy khai sinh", Blob: ref}}, ""); err != nil {
		t.Fatal(err)
	}

	// The desk's outbox bundle tells the hub where its cursor is.
	_, info := d.exportBundle()
	if info.Cursor == "" {
		t.Fatal("the outbox bundle carries no pull cursor")
	}
	var back bytes.Buffer
	m, err := e.srv.ExportChangesBundle(ctx, en.DeviceID, info.Cursor, &back)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Items) != 2 || len(m.Blobs) != 1 {
		t.Fatalf("changes bundle %+v", m)
	}

	// Refusals first: none of them applies anything.
	var gap bytes.Buffer
	if _, err := e.srv.ExportChangesBundle(ctx, en.DeviceID, mTake.Cursor, &gap); err != nil {
		t.Fatal(err)
	}
	var notOurs bytes.Buffer
	if _, err := e.srv.ExportChangesBundle(ctx, otherEn.DeviceID, "", &notOurs); err != nil {
		t.Fatal(err)
	}
	_, forger, _ := ed25519.GenerateKey(nil)
	outboxData, _ := d.exportBundle()
	mine := d.ageIdentity()
	// The file on the stick is encrypted to the commune's desks: nothing
	// of the dossier or its result paper is in it in clear.
	if !wire.IsEncryptedBundle(back.Bytes()) || bytes.Contains(back.Bytes(), []byte(dos.Code)) ||
		bytes.Contains(back.Bytes(), []byte("Giấy khai sinh bản chính")) || bytes.Contains(back.Bytes(), []byte(wire.BundleManifestName)) {
		t.Fatal("the results bundle holds the commune's data in clear")
	}
	plainBack := open(t, back.Bytes(), mine)
	stranger, _ := age.GenerateX25519Identity()
	damaged := bytes.Clone(back.Bytes())
	damaged[len(damaged)/2] ^= 1
	for _, tt := range []struct {
		name string
		data []byte
		want error
	}{
		{"starts after the desk's cursor", gap.Bytes(), ErrBundleGap},
		{"for another device", notOurs.Bytes(), ErrBundleNotOurs},
		{"signed by someone else", seal(t, forge(t, plainBack, forger), mine.Recipient()), wire.ErrBundleSignature},
		{"result paper edited", seal(t, corrupt(t, plainBack, ref.SHA256), mine.Recipient()), wire.ErrBundleTampered},
		{"an outbox bundle", seal(t, open(t, inspectOutbox(t, d, e), mine), mine.Recipient()), wire.ErrBundleInvalid},
		{"an outbox bundle, encrypted to the hub", outboxData, wire.ErrBundleDecrypt},
		{"not encrypted", plainBack, wire.ErrBundlePlaintext},
		{"encrypted to someone else", seal(t, plainBack, stranger.Recipient()), wire.ErrBundleDecrypt},
		{"ciphertext damaged", damaged, nil},
		{"not a bundle", []byte("hello"), wire.ErrBundleInvalid},
	} {
		if _, err := d.importResults(tt.data); err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Fatalf("%s: %v, want %v", tt.name, err, tt.want)
		} else if wire.BundleErrorCode(err) == "" && !errors.Is(err, ErrBundleGap) && !errors.Is(err, ErrBundleNotOurs) {
			t.Fatalf("%s: %v has no code for the screen", tt.name, err)
		}
	}
	if got, _, _ := d.rec.Get(ctx, dos.ID); got.State != dossier.StateReceived {
		t.Fatalf("a refused bundle moved the dossier to %s", got.State)
	}
	if ok, _ := bs.Has(ref.SHA256); ok {
		t.Fatal("a refused bundle stored its paper")
	}

	res, err := d.importResults(back.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if res.Changes != 2 || res.Applied != 2 || res.Duplicates != 0 || res.Conflicts != 0 || res.Files != 1 ||
		!res.CursorAdvanced || res.Cursor != m.Cursor {
		t.Fatalf("import %+v", res)
	}
	got, _, err := d.rec.Get(ctx, dos.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != dossier.StateResultReady || len(got.ResultFiles) != 1 || got.ResultFiles[0].SHA256 != ref.SHA256 {
		t.Fatalf("dossier after the bundle: %s %+v", got.State, got.ResultFiles)
	}
	kept, err := bs.Open(ref.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	keptBytes, _ := io.ReadAll(kept)
	kept.Close()
	if !bytes.Equal(keptBytes, paper) {
		t.Fatal("the stored paper differs from the hub's")
	}

	// The same bundle again, and the older one from the hub's start: all
	// duplicates, and the cursor stays.
	for _, data := range [][]byte{back.Bytes(), afterTake.Bytes()} {
		again, err := d.importResults(data)
		if err != nil {
			t.Fatal(err)
		}
		if again.Applied != 0 || again.Duplicates != again.Changes || again.CursorAdvanced || again.Cursor != m.Cursor {
			t.Fatalf("import again %+v", again)
		}
	}
	if st, _ := loadState(d.st); st.Cursor != m.Cursor {
		t.Fatalf("cursor %q, want %q", st.Cursor, m.Cursor)
	}

	// Online again: the pull starts from the bundle's cursor and finds
	// nothing to apply.
	e.proxy.SetTarget(e.http.Listener.Addr().String())
	pulled := *d.status().LastPullAt
	d.sync.SyncNow()
	waitFor(t, 20*time.Second, "the next online pull", func() bool { return d.status().LastPullAt.After(pulled) })
	if st := d.status(); st.Conflicts != 0 {
		t.Fatalf("%d conflicts after the online pull", st.Conflicts)
	}
	if _, evs, _ := d.rec.Get(ctx, dos.ID); len(evs) != 3 {
		t.Fatalf("%d events on the dossier, want reception, take and result once each", len(evs))
	}
}

// ageIdentity is the desk's own age identity, as stored.
func (d *desk) ageIdentity() *age.X25519Identity {
	d.t.Helper()
	dev, err := loadDevice(d.st)
	if err != nil || dev == nil {
		d.t.Fatalf("device: %v", err)
	}
	id, err := dev.ageIdentity()
	if err != nil {
		d.t.Fatal(err)
	}
	return id
}

// inspectOutbox exports d's outbox encrypted to d's own identity instead
// of the hub's (to look inside), then puts the hub's recipient back.
func inspectOutbox(t *testing.T, d *desk, e *hubEnv) []byte {
	t.Helper()
	if err := d.sync.updateState(func(st *syncState) { st.HubAge = d.ageIdentity().Recipient().String() }); err != nil {
		t.Fatal(err)
	}
	data, _ := d.exportBundle()
	if err := d.sync.updateState(func(st *syncState) { st.HubAge, _ = e.srv.BundleAgeRecipient(context.Background()) }); err != nil {
		t.Fatal(err)
	}
	return data
}

// open decrypts an encrypted bundle with id.
func open(t *testing.T, data []byte, id age.Identity) []byte {
	t.Helper()
	if !wire.IsEncryptedBundle(data) {
		t.Fatal("the bundle is not an age file")
	}
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// seal encrypts a plain bundle to rcpt.
func seal(t *testing.T, plain []byte, rcpt age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcpt)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// forge re-signs a bundle's manifest with another key, as someone who
// wrote their own "results" would.
func forge(t *testing.T, data []byte, key ed25519.PrivateKey) []byte {
	t.Helper()
	b, err := wire.OpenBundle(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	bw := wire.NewBundleWriter(&buf)
	for _, bl := range b.Manifest.Blobs {
		rc, _ := b.OpenBlob(bl.SHA256)
		if err := bw.AddBlob(bl.SHA256, bl.Size, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	for i, it := range b.Manifest.Items {
		doc, _ := b.Item(i)
		if err := bw.AddItem(it.Kind, it.ID, it.DossierID, doc); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bw.Finish(b.Manifest, key); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// corrupt changes one byte of a blob in the archive (blobs are stored
// uncompressed), leaving everything else as it was.
func corrupt(t *testing.T, data []byte, sum string) []byte {
	t.Helper()
	i := bytes.Index(data, []byte("Giấy khai sinh bản chính. "))
	if i < 0 || wire.SumHex(data) == sum {
		t.Fatal("the paper is not in the bundle as stored bytes")
	}
	out := bytes.Clone(data)
	out[i+3] ^= 1
	return out
}

// TestResultsBundleForADeskEnrolledBeforeAgeIdentities: a desk enrolled
// before desks had an age identity gets one at its next start, kept in
// its (encrypted) store. Until the hub hears the recipient it writes no
// results bundle; the desk's next outbox bundle tells it (the desk has no
// link), and the results then come back encrypted to this desk and apply.
func TestResultsBundleForADeskEnrolledBeforeAgeIdentities(t *testing.T) {
	e := newHubEnv(t)
	d := newDesk(t, commune)
	en := d.enrol(e)
	d.learnHubKey()
	ctx := context.Background()
	// Back to how such a desk and the hub look: no identity, no recipient.
	dev, err := loadDevice(d.st)
	if err != nil {
		t.Fatal(err)
	}
	dev.AgeIdentity = ""
	if err := saveDevice(d.st, dev); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.DB().Exec(ctx, "UPDATE devices SET age_recipient = NULL, age_recipient_at = NULL"); err != nil {
		t.Fatal(err)
	}
	e.proxy.SetTarget("") // and no link from now on

	// The app starts again.
	d.sync.Close()
	restarted, err := New(d.sync.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { restarted.Close() })
	d.sync = restarted
	id := d.ageIdentity()
	if again, _ := loadDevice(d.st); again.AgeIdentity != id.String() {
		t.Fatal("the minted identity was not stored")
	}
	var none bytes.Buffer
	if _, err := e.srv.ExportChangesBundle(ctx, en.DeviceID, "", &none); !errors.Is(err, hub.ErrNoRecipient) || none.Len() != 0 {
		t.Fatalf("export before the hub knows the recipient: %v (%d bytes)", err, none.Len())
	}

	dos := d.receive()
	outboxData, info := d.exportBundle()
	if res := e.importBundle(outboxData); res.Created != 1 {
		t.Fatalf("hub import %+v", res)
	}
	if _, err := e.srv.RecordChange(ctx, hub.ChangeInput{DossierID: dos.ID, Kind: wire.ChangeNote, Note: "Đã nhận hồ sơ giấy.", Actor: "canbo"}); err != nil {
		t.Fatal(err)
	}
	var back bytes.Buffer
	if _, err := e.srv.ExportChangesBundle(ctx, en.DeviceID, info.Cursor, &back); err != nil {
		t.Fatal(err)
	}
	d.sync.Start(d.rec)
	res, err := d.importResults(back.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if res.Changes != 1 || res.Applied != 1 || !res.CursorAdvanced {
		t.Fatalf("import %+v", res)
	}
}

// TestDeskTellsItsRecipientOnline: enrolment tells the hub the desk's
// recipient at once; a hub that lost it (restored from an older backup)
// hears it again on a later online cycle.
func TestDeskTellsItsRecipientOnline(t *testing.T) {
	e := newHubEnv(t)
	d := newDesk(t, commune)
	en := d.enrol(e)
	rcpt := d.ageIdentity().Recipient().String()
	told := func() bool {
		return e.count("SELECT count(*) FROM devices WHERE id = $1 AND age_recipient = $2", en.DeviceID, rcpt) == 1
	}
	if !told() {
		t.Fatal("enrolment did not tell the hub the desk's recipient")
	}
	if _, err := e.srv.DB().Exec(context.Background(), "UPDATE devices SET age_recipient = NULL, age_recipient_at = NULL"); err != nil {
		t.Fatal(err)
	}
	d.sync.mu.Lock()
	d.sync.recipNext = time.Time{} // as after keyRefresh
	d.sync.mu.Unlock()
	d.sync.Start(d.rec)
	waitFor(t, 20*time.Second, "the recipient told again", told)
}
