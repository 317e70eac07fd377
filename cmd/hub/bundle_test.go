package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/uuid"

	"motcua/sync/hub"
	"motcua/sync/hub/blobdisk"
	"motcua/sync/wire"
)

// TestBundleCommands: a commune's outbox bundle from a USB stick is
// imported by `hub import-bundle`, which also writes the changes bundle for
// the way back; importing it again changes nothing; a bundle from an
// unknown device is refused with its reason.
func TestBundleCommands(t *testing.T) {
	ctx := context.Background()
	db, err := cluster.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	blobs := filepath.Join(dir, "blobs")
	common := []string{"--db", db, "--blobs", blobs}
	store, err := blobdisk.New(blobs)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := hub.New(ctx, hub.Config{DatabaseURL: db, Blobs: store, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const commune = "000.17.22.H56"
	for _, a := range []hub.Agency{{Code: "H56", Name: "Tỉnh", Level: 1}, {Code: commune, Name: "Xã Quảng Hưng", Level: 2, ParentCode: "H56"}} {
		if err := srv.UpsertAgency(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	ec, err := srv.CreateEnrolmentCode(ctx, commune, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	body, _ := json.Marshal(wire.NewEnrolRequest(ec.Code, "Máy một cửa", "test", key))
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/v1/enrol", bytes.NewReader(body))
	req.Header.Set(wire.HeaderProtocol, wire.Current.String())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var en wire.EnrolResponse
	json.NewDecoder(resp.Body).Decode(&en)
	resp.Body.Close()

	id := uuid.Must(uuid.NewV7()).String()
	d := wire.Dossier{ID: id, Code: commune + "-260304-0001", CommuneCode: commune,
		Procedure: wire.Procedure{Code: "1.001193", Name: "Đăng ký khai sinh"},
		Applicant: wire.Applicant{Name: "Nguyễn Thị Hoà", Kind: wire.ApplicantPerson}, Channel: wire.ChannelInPerson,
		ReceivedAt: time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC), Status: wire.Status{National: wire.StatusReceived, State: "received"},
		ReceivedBy: "u1", Components: []wire.Component{{Name: "Tờ khai"}}}
	rs, err := srv.BundleAgeRecipient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rcpt, err := age.ParseX25519Recipient(rs)
	if err != nil {
		t.Fatal(err)
	}
	// The desk's own age identity: its outbox bundles tell the hub the
	// recipient, and the results come back encrypted to it.
	deskAge, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	// bundle writes an outbox bundle as the desk does, encrypted to the
	// hub; plainBundle the same zip in clear.
	var plain []byte
	bundle := func(device string) string {
		var buf bytes.Buffer
		bw := wire.NewBundleWriter(&buf)
		doc, _ := json.Marshal(d)
		if err := bw.AddItem(wire.BundleItemDossier, d.ID, d.ID, doc); err != nil {
			t.Fatal(err)
		}
		if _, err := bw.Finish(wire.BundleManifest{Kind: wire.BundleOutbox, ID: uuid.NewString(), CreatedAt: time.Now(),
			DeviceID: device, CommuneCode: commune, AgeRecipient: deskAge.Recipient().String()}, key); err != nil {
			t.Fatal(err)
		}
		plain = bytes.Clone(buf.Bytes())
		var enc bytes.Buffer
		w, err := age.Encrypt(&enc, rcpt)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(buf.Bytes())
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, device+wire.BundleEncryptedExt)
		if err := os.WriteFile(path, enc.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	in, back := bundle(en.DeviceID), filepath.Join(dir, "ket-qua.zip.age")
	// Before the desk told its recipient (online or in a bundle), no
	// results bundle: it would be in clear.
	if code, _, errOut := runCmd(t, append([]string{"export-bundle", "--device", en.DeviceID, "--to", back}, common...)...); code != 1 ||
		!strings.Contains(errOut, "("+wire.CodeRecipientUnknown+")") || !strings.Contains(errOut, "chưa gửi khóa mã hóa") {
		t.Fatalf("export before the recipient is known: %d %s", code, errOut)
	}
	if _, err := os.Stat(back); !os.IsNotExist(err) {
		t.Fatalf("a refused export left %s (%v)", back, err)
	}
	code, out, errOut := runCmd(t, append([]string{"import-bundle", "--results-to", back}, append(common, in)...)...)
	if code != 0 || !strings.Contains(out, "1 created, 0 already here, 0 refused") || !strings.Contains(out, "wrote "+back) {
		t.Fatalf("import: %d\n%s\n%s", code, out, errOut)
	}
	f, err := os.Open(back)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	pr, psize, err := age.DecryptReaderAt(f, fi.Size(), deskAge)
	if err != nil {
		t.Fatalf("the results bundle does not decrypt with the desk's identity: %v", err)
	}
	b, err := wire.OpenBundle(pr, psize)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(srv.BundlePublicKey()); err != nil || b.Manifest.DeviceID != en.DeviceID || b.Manifest.Kind != wire.BundleChanges ||
		len(b.Manifest.Items) != 0 {
		t.Fatalf("results bundle: %v %+v", err, b.Manifest)
	}
	if code, out, _ := runCmd(t, append([]string{"import-bundle"}, append(common, in)...)...); code != 0 ||
		!strings.Contains(out, "0 created, 1 already here") {
		t.Fatalf("import again: %d %s", code, out)
	}
	var n int
	if err := srv.DB().QueryRow(ctx, "SELECT count(*) FROM dossiers").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d dossiers after two imports", n)
	}
	if code, _, errOut := runCmd(t, append([]string{"import-bundle"}, append(common, bundle("dev-nobody"))...)...); code != 1 ||
		!strings.Contains(errOut, "bundle refused ("+wire.CodeUnknownDevice+")") {
		t.Fatalf("unknown device: %d %s", code, errOut)
	}
	// The same bundle in clear is refused: a desk never writes one.
	plainPath := filepath.Join(dir, "plain.zip")
	bundle(en.DeviceID)
	if err := os.WriteFile(plainPath, plain, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd(t, append([]string{"import-bundle"}, append(common, plainPath)...)...); code != 1 ||
		!strings.Contains(errOut, "bundle refused ("+wire.CodeBundlePlaintext+")") {
		t.Fatalf("plain bundle: %d %s", code, errOut)
	}
	if code, _, errOut := runCmd(t, append([]string{"import-bundle"}, common...)...); code != 2 || !strings.Contains(errOut, "give the bundle file") {
		t.Fatalf("no file: %d %s", code, errOut)
	}
	if code, _, errOut := runCmd(t, append([]string{"export-bundle", "--device", en.DeviceID}, common...)...); code != 2 ||
		!strings.Contains(errOut, "--to are required") {
		t.Fatalf("export without --to: %d %s", code, errOut)
	}
	// An official writes a note; the next bundle from the desk's cursor carries it.
	if _, err := srv.RecordChange(ctx, hub.ChangeInput{DossierID: d.ID, Kind: wire.ChangeNote, Note: "Đã nhận hồ sơ giấy.", Actor: "canbo"}); err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(dir, "lan-2.zip.age")
	code, out, errOut = runCmd(t, append([]string{"export-bundle", "--device", en.DeviceID, "--since", b.Manifest.Cursor, "--to", again}, common...)...)
	if code != 0 || !strings.Contains(out, "1 changes, 0 result files") {
		t.Fatalf("export: %d %s %s", code, out, errOut)
	}
	if _, err := os.Stat(again); err != nil {
		t.Fatal(err)
	}
	// Nothing half-written is left beside the bundles.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".hub-bundle-") {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
}
