package hub

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"motcua/sync/wire"
)

// outboxBundle writes an outbox bundle as a desk would: the records in
// order (wire.Dossier or wire.Event), the blobs, signed by key for device
// and commune.
func outboxBundle(t *testing.T, device, commune string, key ed25519.PrivateKey, blobs [][]byte, records ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	bw := wire.NewBundleWriter(&buf)
	for _, b := range blobs {
		if err := bw.AddBlob(wire.SumHex(b), int64(len(b)), bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range records {
		doc, _ := json.Marshal(r)
		var err error
		switch v := r.(type) {
		case wire.Dossier:
			err = bw.AddItem(wire.BundleItemDossier, v.ID, v.ID, doc)
		case wire.Event:
			err = bw.AddItem(wire.BundleItemEvent, v.ID, v.DossierID, doc)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := bw.Finish(wire.BundleManifest{Kind: wire.BundleOutbox, ID: newID(), CreatedAt: time.Now().UTC().Truncate(time.Second),
		DeviceID: device, CommuneCode: commune, Cursor: "abc.7"}, key)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (c *client) bundle(blobs [][]byte, records ...any) []byte {
	c.e.t.Helper()
	return outboxBundle(c.e.t, c.id, c.commune, c.key, blobs, records...)
}

// seal encrypts a plain bundle to the hub's age recipient, as a desk
// writes it; anything else is returned as it is. (The recipient is public:
// encrypting is no proof of origin, the signature inside is.)
func (e *env) seal(data []byte) []byte {
	e.t.Helper()
	if !wire.IsPlainBundle(data) {
		return data
	}
	rs, err := e.srv.BundleAgeRecipient(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	rcpt, err := age.ParseX25519Recipient(rs)
	if err != nil {
		e.t.Fatal(err)
	}
	return sealTo(e.t, data, rcpt)
}

func sealTo(t *testing.T, data []byte, rcpt age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcpt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// importBundle encrypts a plain bundle to the hub and posts it to the
// admin route.
func (e *env) importBundle(data []byte) (BundleImport, answer) {
	e.t.Helper()
	return e.postBundle(e.seal(data))
}

// postBundle posts a file to the admin route as it is.
func (e *env) postBundle(data []byte) (BundleImport, answer) {
	e.t.Helper()
	r, _ := http.NewRequest(http.MethodPost, e.http.URL+"/admin/v1/bundles", bytes.NewReader(data))
	r.Header.Set("Authorization", "Bearer "+adminToken)
	r.Header.Set("Content-Type", wire.BundleContentType)
	a := send(e.t, r)
	var res BundleImport
	if a.status == http.StatusOK {
		if err := json.Unmarshal(a.body, &res); err != nil {
			e.t.Fatal(err)
		}
	}
	return res, a
}

// TestBundleImportIsAPush: a bundle's items get exactly the answers a push
// gives them — created, rejected with the push's reason — its scans are
// stored hash-checked, and importing it again, or pushing the same items
// online afterwards, stores nothing new and answers duplicates with the
// first reception's time.
func TestBundleImportIsAPush(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	scan := randomBytes(70 << 10)
	d1 := dossier(communeA, ref(scan))
	d2 := dossier(communeA)
	bad := dossier(communeA)
	bad.Applicant.Name = "" // a push rejects it; so does the bundle
	ev := event(d1, "start_processing", "received", "processing", wire.StatusProcessing)
	data := c.bundle([][]byte{scan}, d1, d2, bad, ev)

	res, a := e.importBundle(data)
	if a.status != http.StatusOK {
		t.Fatalf("import: %d %s", a.status, a.body)
	}
	if got := outcomes(res.Dossiers); !equalStrings(got, []string{"created", "created", "rejected"}) {
		t.Fatalf("dossiers: %v", got)
	}
	if res.Dossiers[2].Code != wire.CodeInvalidRecord || res.Events[0].Outcome != wire.OutcomeCreated {
		t.Fatalf("results %+v %+v", res.Dossiers[2], res.Events[0])
	}
	if res.Created != 3 || res.Duplicates != 0 || res.Refused != 1 || res.BlobsStored != 1 || res.DeviceID != c.id ||
		res.CommuneCode != communeA || res.Cursor != "abc.7" {
		t.Fatalf("summary %+v", res)
	}
	if e.count("dossiers") != 2 || e.count("events") != 1 || e.count("blob_refs") != 1 {
		t.Fatalf("rows: %d dossiers, %d events, %d refs", e.count("dossiers"), e.count("events"), e.count("blob_refs"))
	}
	f, err := e.store.Open(context.Background(), wire.SumHex(scan))
	if err != nil {
		t.Fatal(err)
	}
	kept, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(kept, scan) {
		t.Fatal("the stored scan differs from the bundle's")
	}
	var state string
	if err := e.srv.DB().QueryRow(context.Background(), "SELECT state FROM dossiers WHERE id = $1", d1.ID).Scan(&state); err != nil || state != "processing" {
		t.Fatalf("the event did not move the dossier: %q %v", state, err)
	}

	again, a := e.importBundle(data)
	if a.status != http.StatusOK {
		t.Fatalf("second import: %d %s", a.status, a.body)
	}
	if again.Created != 0 || again.Duplicates != 3 || again.Refused != 1 || again.BlobsStored != 0 {
		t.Fatalf("second import %+v", again)
	}
	if !again.Dossiers[0].HubReceivedAt.Equal(*res.Dossiers[0].HubReceivedAt) {
		t.Fatal("a replayed dossier got a new reception time")
	}
	// Online later: the desk's push of the same items finds them here.
	resp, _ := c.push(wire.PushRequest{Dossiers: []wire.Dossier{d1, d2}, Events: []wire.Event{ev}})
	for _, r := range append(resp.Dossiers, resp.Events...) {
		if r.Outcome != wire.OutcomeDuplicate {
			t.Fatalf("online push after the bundle: %+v", r)
		}
	}
	if e.count("dossiers") != 2 || e.count("events") != 1 || e.count("blobs") != 1 {
		t.Fatalf("rows after replays: %d dossiers, %d events, %d blobs", e.count("dossiers"), e.count("events"), e.count("blobs"))
	}
}

// TestBundleRefusals: a bundle from an unknown or revoked device, signed
// with another key, tampered with, or carrying another commune's dossiers
// is refused whole with its own code, and stores nothing at all.
func TestBundleRefusals(t *testing.T) {
	e := newEnv(t)
	a, b, revoked := e.enrol(communeA), e.enrol(communeB), e.enrol(communeA)
	if err := e.srv.RevokeDevice(context.Background(), revoked.id, "máy bị mất"); err != nil {
		t.Fatal(err)
	}
	// B's dossier is on the hub already: an event on it is cross-commune.
	theirs := dossier(communeB)
	if resp, _ := b.push(wire.PushRequest{Dossiers: []wire.Dossier{theirs}}); resp.Dossiers[0].Outcome != wire.OutcomeCreated {
		t.Fatalf("B's dossier: %+v", resp.Dossiers[0])
	}
	scan := randomBytes(5000)
	mine := dossier(communeA, ref(scan))
	good := a.bundle([][]byte{scan}, mine)
	_, otherKey, _ := ed25519.GenerateKey(nil)
	otherHub, _ := age.GenerateX25519Identity()
	damaged := e.seal(good)
	damaged[len(damaged)-100] ^= 1

	tests := []struct {
		name   string
		data   []byte
		status int
		code   string
	}{
		{"not a bundle", []byte("hello"), 422, wire.CodeBundleInvalid},
		{"unknown device", outboxBundle(t, "dev-nobody", communeA, otherKey, nil, dossier(communeA)), 403, wire.CodeUnknownDevice},
		{"revoked device", revoked.bundle(nil, dossier(communeA)), 403, wire.CodeDeviceRevoked},
		// An edited manifest fails the same check (sync/wire tests each byte).
		{"signed with another key", outboxBundle(t, a.id, communeA, otherKey, [][]byte{scan}, mine), 422, wire.CodeBundleSignature},
		{"scan edited", flipStored(t, good, wire.BundleBlobPath(wire.SumHex(scan))), 422, wire.CodeBundleTampered},
		{"another commune's dossier", a.bundle(nil, dossier(communeA), dossier(communeB)), 403, wire.CodeWrongCommune},
		{"event on another commune's dossier", a.bundle(nil, dossier(communeA),
			event(theirs, "start_processing", "received", "processing", wire.StatusProcessing)), 403, wire.CodeWrongCommune},
		{"manifest names another commune", outboxBundle(t, a.id, communeB, a.key, nil, dossier(communeB)), 403, wire.CodeWrongCommune},
		{"a changes bundle", func() []byte {
			id := a.tellRecipient()
			var buf bytes.Buffer
			if _, err := e.srv.ExportChangesBundle(context.Background(), a.id, "", &buf); err != nil {
				t.Fatal(err)
			}
			return unseal(t, buf.Bytes(), id) // then sealed to the hub like the others
		}(), 422, wire.CodeBundleInvalid},
		// A genuine bundle, but not encrypted, or not to this hub: the
		// files below are posted as they are.
		{"plain zip", good, 422, wire.CodeBundlePlaintext},
		{"encrypted to another hub", sealTo(t, good, otherHub.Recipient()), 422, wire.CodeBundleDecrypt},
		{"ciphertext damaged", damaged, 422, wire.CodeBundleDecrypt},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data
			if i < len(tests)-3 {
				data = e.seal(data)
			}
			_, ans := e.postBundle(data)
			if ans.status != tt.status || ans.err().Code != tt.code || ans.err().Message == "" {
				t.Fatalf("got %d %s, want %d %s", ans.status, ans.body, tt.status, tt.code)
			}
			if n := e.count("dossiers"); n != 1 {
				t.Fatalf("%d dossiers after a refused bundle, want only B's", n)
			}
			if e.count("events") != 0 || e.count("blobs") != 0 || e.count("blob_refs") != 0 {
				t.Fatal("a refused bundle stored something")
			}
		})
	}
	// The genuine bundle goes through: the refusals were about the bundles.
	if res, ans := e.importBundle(good); ans.status != http.StatusOK || res.Created != 1 {
		t.Fatalf("good bundle: %d %s", ans.status, ans.body)
	}
	// No admin token, no import.
	r, _ := http.NewRequest(http.MethodPost, e.http.URL+"/admin/v1/bundles", bytes.NewReader(e.seal(good)))
	if ans := send(t, r); ans.status != http.StatusUnauthorized {
		t.Fatalf("import without the admin token: %d", ans.status)
	}
}

// TestChangesBundle: the hub exports a device's changes after a cursor,
// with their result papers, signed by the key it serves on
// /v1/bundle-key; the key survives a restart; revoked and unknown devices
// get nothing.
func TestChangesBundle(t *testing.T) {
	e := newEnv(t)
	c := e.enrol(communeA)
	d := dossier(communeA)
	if resp, _ := c.push(wire.PushRequest{Dossiers: []wire.Dossier{d}}); resp.Dossiers[0].Outcome != wire.OutcomeCreated {
		t.Fatalf("push: %+v", resp.Dossiers[0])
	}
	ctx := context.Background()
	first, err := e.srv.RecordChange(ctx, ChangeInput{DossierID: d.ID, Kind: wire.ChangeStatus, Action: "start_processing",
		To: "processing", NationalStatus: wire.StatusProcessing, Actor: "staff-1"})
	if err != nil {
		t.Fatal(err)
	}
	after := e.pullCursor(c)
	paper := append([]byte("%PDF-1.7\n"), randomBytes(4000)...)
	pref, err := e.srv.PutBlob(ctx, bytes.NewReader(paper), "application/pdf", "ket-qua.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.RecordChange(ctx, ChangeInput{DossierID: d.ID, Kind: wire.ChangeResult, Action: "record_result",
		To: "result_ready", NationalStatus: wire.StatusDone, Actor: "staff-1",
		Results: []wire.ResultPaper{{Name: "Giấy khai sinh", Blob: pref}}}); err != nil {
		t.Fatal(err)
	}

	var key wire.BundleKeyResponse
	resp, err := http.Get(e.http.URL + wire.BundleKeyPath)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&key)
	resp.Body.Close()
	pub := ed25519.PublicKey(key.PublicKey)
	if key.Marker != wire.HealthMarker || !pub.Equal(e.srv.BundlePublicKey()) || key.KeyID != wire.BundleKeyID(pub) {
		t.Fatalf("bundle key answer %+v", key)
	}
	rcpt, err := e.srv.BundleAgeRecipient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := age.ParseX25519Recipient(key.AgeRecipient); err != nil || key.AgeRecipient != rcpt {
		t.Fatalf("bundle key answer's age recipient %q (%v), the hub's is %q", key.AgeRecipient, err, rcpt)
	}

	get := func(device, since string) answer {
		r, _ := http.NewRequest(http.MethodGet, e.http.URL+"/admin/v1/devices/"+device+"/changes-bundle?since="+since, nil)
		r.Header.Set("Authorization", "Bearer "+adminToken)
		return send(t, r)
	}
	// Until the desk tells its recipient, no bundle: never one in clear.
	if a := get(c.id, ""); a.status != http.StatusConflict || a.err().Code != wire.CodeRecipientUnknown ||
		!strings.Contains(a.err().Message, "chưa gửi khóa mã hóa") {
		t.Fatalf("export before the desk told its recipient: %d %s", a.status, a.body)
	}
	id := c.tellRecipient()
	open := func(a answer) *wire.Bundle {
		t.Helper()
		if a.status != http.StatusOK || a.header.Get("Content-Type") != wire.BundleEncryptedContentType ||
			!strings.Contains(a.header.Get("Content-Disposition"), wire.BundleEncryptedExt+`"`) {
			t.Fatalf("export: %d %v %s", a.status, a.header, a.body)
		}
		plain := unseal(t, a.body, id)
		b, err := wire.OpenBundle(bytes.NewReader(plain), int64(len(plain)))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Verify(pub); err != nil {
			t.Fatal(err)
		}
		if err := b.CheckContent(); err != nil {
			t.Fatal(err)
		}
		return b
	}
	all := open(get(c.id, ""))
	m := all.Manifest
	if m.Kind != wire.BundleChanges || m.DeviceID != c.id || m.CommuneCode != communeA || m.Since != "" || m.More ||
		len(m.Items) != 2 || m.Items[0].ID != first.ID || len(m.Blobs) != 1 || m.Blobs[0].SHA256 != pref.SHA256 {
		t.Fatalf("manifest %+v", m)
	}
	if m.Cursor != e.pullCursor(c) {
		t.Fatalf("bundle cursor %q, a pull's %q", m.Cursor, e.pullCursor(c))
	}
	raw, _ := all.Item(1)
	var ch wire.Change
	if err := json.Unmarshal(raw, &ch); err != nil || ch.Kind != wire.ChangeResult || len(ch.Results) != 1 {
		t.Fatalf("change 2: %v %+v", err, ch)
	}
	rest := open(get(c.id, after)).Manifest
	if rest.Since != after || len(rest.Items) != 1 || rest.Items[0].ID == first.ID || rest.Cursor != m.Cursor {
		t.Fatalf("from %s: %+v", after, rest)
	}
	// A cursor of another epoch (a rebuilt hub) starts from the beginning.
	if other := open(get(c.id, "0000000000000000.1")).Manifest; other.Since != "" || len(other.Items) != 2 {
		t.Fatalf("foreign epoch: %+v", other)
	}
	if a := get(c.id, "garbage"); a.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad cursor: %d %s", a.status, a.body)
	}
	if a := get("dev-nobody", ""); a.status != http.StatusForbidden || a.err().Code != wire.CodeUnknownDevice {
		t.Fatalf("unknown device: %d %s", a.status, a.body)
	}
	if err := e.srv.RevokeDevice(ctx, c.id, "thu hồi"); err != nil {
		t.Fatal(err)
	}
	if a := get(c.id, ""); a.status != http.StatusForbidden || a.err().Code != wire.CodeDeviceRevoked {
		t.Fatalf("revoked device: %d %s", a.status, a.body)
	}
	e.restart()
	if !e.srv.BundlePublicKey().Equal(pub) {
		t.Fatal("the hub's bundle key changed across a restart")
	}
	bundleAgeIdentities.Clear() // read it from the database again
	if again, err := e.srv.BundleAgeRecipient(ctx); err != nil || again != rcpt {
		t.Fatalf("the hub's age recipient across a restart: %q (%v), was %q", again, err, rcpt)
	}
}

// tellRecipient mints an age identity for c and tells the hub its
// recipient, as a desk does online.
func (c *client) tellRecipient() *age.X25519Identity {
	c.e.t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		c.e.t.Fatal(err)
	}
	c.tell(id.Recipient().String(), http.StatusOK)
	return id
}

func (c *client) tell(rcpt string, status int) {
	c.e.t.Helper()
	body, _ := json.Marshal(wire.DeviceRecipient{AgeRecipient: rcpt})
	if a := c.do(http.MethodPut, wire.DeviceRecipientPath, body, map[string]string{"Content-Type": "application/json"}); a.status != status {
		c.e.t.Fatalf("tell recipient %q: %d %s, want %d", rcpt, a.status, a.body, status)
	}
}

// unseal decrypts an encrypted bundle with id.
func unseal(t *testing.T, data []byte, id age.Identity) []byte {
	t.Helper()
	if !wire.IsEncryptedBundle(data) {
		t.Fatal("the bundle is not encrypted")
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

// pullCursor is the cursor a pull of c's commune ends at now.
func (e *env) pullCursor(c *client) string {
	e.t.Helper()
	a := c.do(http.MethodGet, "/v1/changes", nil, nil)
	var resp wire.PullResponse
	if err := json.Unmarshal(a.body, &resp); err != nil || a.status != http.StatusOK {
		e.t.Fatalf("pull: %d %s", a.status, a.body)
	}
	if resp.More {
		e.t.Fatal("more than one page in a test")
	}
	return resp.Cursor
}

// flipStored flips one byte inside a stored (uncompressed) entry of a
// bundle, as a bad USB stick or a hand-edited file would.
func flipStored(t *testing.T, data []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if off, err := f.DataOffset(); err == nil && f.Name == name {
			out := bytes.Clone(data)
			out[off+int64(f.CompressedSize64)/2] ^= 1
			return out
		}
	}
	t.Fatalf("no entry %s", name)
	return nil
}
