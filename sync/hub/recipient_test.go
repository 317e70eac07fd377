package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"filippo.io/age"

	"motcua/sync/wire"
)

// TestChangesBundleIsEncryptedToTheCommune: a changes bundle is written
// only once the device it is for has told its age recipient, and then only
// encrypted — to every active device of its commune that told one, never to
// another commune's, a revoked device's or a stranger's. The note and the
// result paper are not in the file in clear.
func TestChangesBundleIsEncryptedToTheCommune(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a1, a2, a3, b := e.enrol(communeA), e.enrol(communeA), e.enrol(communeA), e.enrol(communeB)
	d := dossier(communeA)
	if resp, _ := a1.push(wire.PushRequest{Dossiers: []wire.Dossier{d}}); resp.Dossiers[0].Outcome != wire.OutcomeCreated {
		t.Fatalf("push: %+v", resp.Dossiers[0])
	}
	const note = "Bà Nguyễn Thị Hoà đã bổ sung bản sao giấy chứng sinh"
	paper := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("Giấy khai sinh của cháu Lê Minh Khôi. "), 200)...)
	pref, err := e.srv.PutBlob(ctx, bytes.NewReader(paper), "application/pdf", "ket-qua.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.RecordChange(ctx, ChangeInput{DossierID: d.ID, Kind: wire.ChangeNote, Note: note, Actor: "staff-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.RecordChange(ctx, ChangeInput{DossierID: d.ID, Kind: wire.ChangeResult, Action: "record_result",
		To: "result_ready", NationalStatus: wire.StatusDone, Actor: "staff-1",
		Results: []wire.ResultPaper{{Name: "Giấy khai sinh", Blob: pref}}}); err != nil {
		t.Fatal(err)
	}
	export := func(dev string) ([]byte, error) {
		var buf bytes.Buffer
		_, err := e.srv.ExportChangesBundle(ctx, dev, "", &buf)
		if err != nil && buf.Len() > 0 {
			t.Fatalf("a refused export wrote %d bytes", buf.Len())
		}
		return buf.Bytes(), err
	}

	// Nobody told: refused, with the code and message an admin sees.
	if _, err := export(a1.id); !errors.Is(err, ErrNoRecipient) {
		t.Fatalf("export with no recipient: %v", err)
	} else if code, msg, ok := BundleRefusal(err); !ok || code != wire.CodeRecipientUnknown || msg == "" {
		t.Fatalf("refusal %q %q %v", code, msg, ok)
	}
	// A sibling told, but the bundle is for a1, which could not open it.
	id2 := a2.tellRecipient()
	if _, err := export(a1.id); !errors.Is(err, ErrNoRecipient) {
		t.Fatalf("export for a device that did not tell: %v", err)
	}
	id1, id3, idB := a1.tellRecipient(), a3.tellRecipient(), b.tellRecipient()
	if err := e.srv.RevokeDevice(ctx, a3.id, "máy hỏng"); err != nil {
		t.Fatal(err)
	}
	data, err := export(a1.id)
	if err != nil {
		t.Fatal(err)
	}
	if !wire.IsEncryptedBundle(data) || bytes.Contains(data, []byte(note)) || bytes.Contains(data, paper[9:60]) ||
		bytes.Contains(data, []byte(wire.BundleManifestName)) || bytes.Contains(data, []byte(d.Code)) {
		t.Fatal("the changes bundle holds the commune's data in clear")
	}
	for _, id := range []*age.X25519Identity{id1, id2} {
		plain := unseal(t, data, id)
		bnd, err := wire.OpenBundle(bytes.NewReader(plain), int64(len(plain)))
		if err != nil {
			t.Fatal(err)
		}
		if err := bnd.Verify(e.srv.BundlePublicKey()); err != nil || bnd.Manifest.DeviceID != a1.id || len(bnd.Manifest.Items) != 2 ||
			len(bnd.Manifest.Blobs) != 1 {
			t.Fatalf("decrypted bundle: %v %+v", err, bnd.Manifest)
		}
	}
	stranger, _ := age.GenerateX25519Identity()
	for name, id := range map[string]*age.X25519Identity{"another commune's desk": idB, "a revoked desk": id3, "a stranger": stranger} {
		var noMatch *age.NoIdentityMatchError
		if _, err := age.Decrypt(bytes.NewReader(data), id); !errors.As(err, &noMatch) {
			t.Errorf("%s decrypts the bundle: %v", name, err)
		}
	}

	// The device route takes only a real recipient, and only signed.
	for _, bad := range []string{"", "age1nope", "AGE-SECRET-KEY-1" + stranger.String()[16:]} {
		a1.tell(bad, http.StatusBadRequest)
	}
	body, _ := json.Marshal(wire.DeviceRecipient{AgeRecipient: stranger.Recipient().String()})
	req, _ := http.NewRequest(http.MethodPut, e.http.URL+wire.DeviceRecipientPath, bytes.NewReader(body))
	req.Header.Set(wire.HeaderProtocol, wire.Current.String())
	if a := send(t, req); a.status != http.StatusUnauthorized {
		t.Fatalf("unsigned recipient: %d %s", a.status, a.body)
	}
	if _, err := export(a1.id); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.srv.DB().QueryRow(ctx, "SELECT count(*) FROM devices WHERE age_recipient = $1", stranger.Recipient().String()).Scan(&n); err != nil || n != 0 {
		t.Fatalf("a refused recipient was stored (%d, %v)", n, err)
	}
	ds, err := e.srv.Devices(ctx, communeA)
	if err != nil {
		t.Fatal(err)
	}
	for _, dv := range ds {
		if dv.AgeRecipientAt == nil {
			t.Errorf("device %s lists no recipient time", dv.ID)
		}
	}
}

// TestOutboxBundleTellsTheRecipient: a desk that reaches the hub only by
// USB stick tells its recipient in the signed manifest of its outbox
// bundle; the hub can then send the results back. A stick written before
// the desk's latest telling does not undo it.
func TestOutboxBundleTellsTheRecipient(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.enrol(communeA)
	withRecipient := func(rcpt string, at time.Time) []byte {
		var buf bytes.Buffer
		bw := wire.NewBundleWriter(&buf)
		d := dossier(communeA)
		doc, _ := json.Marshal(d)
		if err := bw.AddItem(wire.BundleItemDossier, d.ID, d.ID, doc); err != nil {
			t.Fatal(err)
		}
		if _, err := bw.Finish(wire.BundleManifest{Kind: wire.BundleOutbox, ID: newID(), CreatedAt: at,
			DeviceID: c.id, CommuneCode: communeA, AgeRecipient: rcpt}, c.key); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	canOpen := func(id *age.X25519Identity) bool {
		var buf bytes.Buffer
		if _, err := e.srv.ExportChangesBundle(ctx, c.id, "", &buf); err != nil {
			t.Fatal(err)
		}
		_, err := age.Decrypt(bytes.NewReader(buf.Bytes()), id)
		return err == nil
	}
	first, _ := age.GenerateX25519Identity()
	if res, ans := e.importBundle(withRecipient(first.Recipient().String(), time.Now().Add(-time.Hour))); ans.status != http.StatusOK || res.Created != 1 {
		t.Fatalf("import: %d %s", ans.status, ans.body)
	}
	if !canOpen(first) {
		t.Fatal("the recipient from the outbox bundle is not used")
	}
	// Online now, with a new identity (say, the desk was restored).
	second := c.tellRecipient()
	if !canOpen(second) || canOpen(first) {
		t.Fatal("the online recipient does not replace the bundle's")
	}
	// An older stick arrives late: it does not bring the old recipient back.
	if _, ans := e.importBundle(withRecipient(first.Recipient().String(), time.Now().Add(-30*time.Minute))); ans.status != http.StatusOK {
		t.Fatalf("late import: %d %s", ans.status, ans.body)
	}
	if !canOpen(second) || canOpen(first) {
		t.Fatal("an older bundle replaced the newer recipient")
	}
}
