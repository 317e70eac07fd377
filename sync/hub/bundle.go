package hub

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/jackc/pgx/v5/pgxpool"

	"motcua/sync/wire"
)

// Bundles are the no-network fallback (wire's bundle.go has the format):
// a desk's pending outbox arrives on a USB stick and is imported here with
// exactly the rules of POST /v1/push, and the commune's pull-log changes go
// back the same way, signed with the hub's bundle key and encrypted to the
// commune's desks (recipient.go).

var (
	// ErrBundleUnknownDevice is wrapped when a bundle names a device the
	// hub never enrolled.
	ErrBundleUnknownDevice = errors.New("bundle from or for an unknown device")
	// ErrBundleRevokedDevice is wrapped when the device was revoked: its
	// bundles are refused like its requests.
	ErrBundleRevokedDevice = errors.New("bundle from or for a revoked device")
	// ErrBundleCommune is wrapped when an outbox bundle holds a dossier or
	// an event of another commune than its device's.
	ErrBundleCommune = errors.New("bundle holds another commune's dossiers")
)

const (
	// maxBundleBytes bounds an uploaded bundle file.
	maxBundleBytes = 8 << 30
	// maxBundleChanges bounds the changes of one exported bundle; More
	// says when there are further ones.
	maxBundleChanges = 10 * wire.MaxPullLimit
)

// loadBundleKey returns the hub's bundle signing key, minting it on the
// first start, and mints or loads the age identity bundles are encrypted to
// (kept by bundleAgeIdentities under the signing key's ID). Two hubs
// starting at once agree on whichever key was inserted first.
func loadBundleKey(ctx context.Context, db *pgxpool.Pool) (ed25519.PrivateKey, error) {
	key, err := loadBundleSigningKey(ctx, db)
	if err != nil {
		return nil, err
	}
	id, err := loadBundleAge(ctx, db)
	if err != nil {
		return nil, err
	}
	bundleAgeIdentities.Store(wire.BundleKeyID(key.Public().(ed25519.PublicKey)), id)
	return key, nil
}

// bundleAgeIdentities maps a hub's bundle key ID to its age identity, so
// that the Server (whose fields are in server.go) finds it without a query.
// Both keys come from the same database; a server whose entry is missing
// reads it again (bundleAge).
var bundleAgeIdentities sync.Map

// loadBundleAge returns the hub's age identity for bundles, minting it on
// the first start on schema 5.
func loadBundleAge(ctx context.Context, db *pgxpool.Pool) (*age.X25519Identity, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("bundle age identity: %w", err)
	}
	if _, err := db.Exec(ctx, "INSERT INTO hub_keys (purpose, secret) VALUES ('bundle-age', $1) ON CONFLICT DO NOTHING", id.String()); err != nil {
		return nil, fmt.Errorf("bundle age identity: %w", err)
	}
	var secret string
	if err := db.QueryRow(ctx, "SELECT secret FROM hub_keys WHERE purpose = 'bundle-age'").Scan(&secret); err != nil {
		return nil, fmt.Errorf("bundle age identity: %w", err)
	}
	if id, err = age.ParseX25519Identity(secret); err != nil {
		return nil, fmt.Errorf("bundle age identity: stored secret: %w", err)
	}
	return id, nil
}

// bundleAge is the identity the hub decrypts outbox bundles with.
func (s *Server) bundleAge(ctx context.Context) (*age.X25519Identity, error) {
	kid := wire.BundleKeyID(s.BundlePublicKey())
	if v, ok := bundleAgeIdentities.Load(kid); ok {
		return v.(*age.X25519Identity), nil
	}
	id, err := loadBundleAge(ctx, s.db)
	if err != nil {
		return nil, err
	}
	bundleAgeIdentities.Store(kid, id)
	return id, nil
}

// BundleAgeRecipient is the age recipient desks encrypt outbox bundles to.
func (s *Server) BundleAgeRecipient(ctx context.Context) (string, error) {
	id, err := s.bundleAge(ctx)
	if err != nil {
		return "", err
	}
	return id.Recipient().String(), nil
}

// loadBundleSigningKey returns the Ed25519 key of purpose 'bundle'.
func loadBundleSigningKey(ctx context.Context, db *pgxpool.Pool) (ed25519.PrivateKey, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("bundle key: %w", err)
	}
	if _, err := db.Exec(ctx, "INSERT INTO hub_keys (purpose, seed) VALUES ('bundle', $1) ON CONFLICT DO NOTHING", seed); err != nil {
		return nil, fmt.Errorf("bundle key: %w", err)
	}
	if err := db.QueryRow(ctx, "SELECT seed FROM hub_keys WHERE purpose = 'bundle'").Scan(&seed); err != nil {
		return nil, fmt.Errorf("bundle key: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// BundlePublicKey is the key desks verify changes bundles with.
func (s *Server) BundlePublicKey() ed25519.PublicKey {
	return s.bundleKey.Public().(ed25519.PublicKey)
}

// handleBundleKey answers GET /v1/bundle-key. It is public like the health
// check: a public key is no secret, and a desk fetches it over the same
// (TLS) connection it trusts for the changes it pulls.
func (s *Server) handleBundleKey(w http.ResponseWriter, r *http.Request) {
	pub := s.BundlePublicKey()
	rcpt, err := s.BundleAgeRecipient(r.Context())
	if err != nil {
		s.internal(w, r, "bundle key", err)
		return
	}
	writeJSON(w, http.StatusOK, wire.BundleKeyResponse{Marker: wire.HealthMarker, PublicKey: pub, KeyID: wire.BundleKeyID(pub),
		AgeRecipient: rcpt})
}

// bundleDevice loads the device a bundle comes from or goes to, with its
// public key; an unknown or revoked device is refused.
func (s *Server) bundleDevice(ctx context.Context, id string) (device, ed25519.PublicKey, error) {
	var (
		dev    device
		pub    []byte
		status string
	)
	err := s.db.QueryRow(ctx, `SELECT d.id, d.agency_id, a.code, a.name, d.public_key, d.status
		FROM devices d JOIN agencies a ON a.id = d.agency_id WHERE d.id = $1`, id).
		Scan(&dev.ID, &dev.AgencyID, &dev.CommuneCode, &dev.CommuneName, &pub, &status)
	switch {
	case noRows(err):
		return dev, nil, fmt.Errorf("device %q: %w", id, ErrBundleUnknownDevice)
	case err != nil:
		return dev, nil, fmt.Errorf("device %q: %w", id, err)
	case status != "active":
		return dev, nil, fmt.Errorf("device %s: %w", id, ErrBundleRevokedDevice)
	}
	return dev, ed25519.PublicKey(pub), nil
}

// BundleImport is what importing an outbox bundle did: the push answer of
// every item, in the bundle's order.
type BundleImport struct {
	BundleID    string    `json:"bundle_id"`
	DeviceID    string    `json:"device_id"`
	CommuneCode string    `json:"commune_code"`
	CreatedAt   time.Time `json:"created_at"` // when the desk wrote it
	// Cursor is the desk's pull cursor when it wrote the bundle: export the
	// changes bundle from there to send back what the desk lacks.
	Cursor      string            `json:"cursor,omitempty"`
	BlobsStored int               `json:"blobs_stored"` // new files; the others were here already
	Created     int               `json:"created"`
	Duplicates  int               `json:"duplicates"`
	Refused     int               `json:"refused"` // conflicts and rejections, each with its reason below
	Dossiers    []wire.ItemResult `json:"dossiers"`
	Events      []wire.ItemResult `json:"events"`
}

// bundleRecords are an outbox bundle's items decoded, in order.
type bundleRecords struct {
	dossiers map[int]*wire.Dossier
	events   map[int]*wire.Event
}

// ImportBundle applies a desk's outbox bundle: the file as it came off
// the USB stick, a zip encrypted to the hub's age recipient. A plain zip
// is refused (ErrBundlePlaintext: the desk never writes one, so it was
// decrypted and copied somewhere, or forged), as is one that does not
// decrypt with the hub's identity (ErrBundleDecrypt). The decrypted zip is
// read in place (age's ReaderAt), never written to a disk.
func (s *Server) ImportBundle(ctx context.Context, r io.ReaderAt, size int64) (BundleImport, error) {
	head := make([]byte, len(wire.BundleAgeMagic))
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	switch {
	case wire.IsEncryptedBundle(head):
	case wire.IsPlainBundle(head):
		return BundleImport{}, fmt.Errorf("import bundle: %w: a plain zip; the desk writes outbox bundles encrypted to this hub", wire.ErrBundlePlaintext)
	default:
		return BundleImport{}, fmt.Errorf("import bundle: %w: neither an encrypted bundle nor a zip", wire.ErrBundleInvalid)
	}
	id, err := s.bundleAge(ctx)
	if err != nil {
		return BundleImport{}, fmt.Errorf("import bundle: %w", err)
	}
	plain, plainSize, err := age.DecryptReaderAt(r, size, id)
	if err != nil {
		return BundleImport{}, fmt.Errorf("import bundle: %w: %w", wire.ErrBundleDecrypt, err)
	}
	return s.importPlainBundle(ctx, plain, plainSize)
}

// importPlainBundle applies a decrypted outbox bundle. Everything that
// could make the bundle untrustworthy is checked before anything is
// stored: the device is enrolled and not revoked, the manifest's signature verifies
// with its key, every item and blob matches the manifest, and no dossier
// or event belongs to another commune. Then the blobs are stored (each
// hash-checked again as it is written) and the items go through the same
// code as POST /v1/push, in batches, so the get-or-create rules are the
// push's own: importing the same bundle twice answers duplicates and
// stores nothing new, and items a push would refuse are refused with the
// same reasons.
func (s *Server) importPlainBundle(ctx context.Context, r io.ReaderAt, size int64) (BundleImport, error) {
	b, err := wire.OpenBundle(r, size)
	if err != nil {
		return BundleImport{}, fmt.Errorf("import bundle: %w", err)
	}
	m := b.Manifest
	if m.Kind != wire.BundleOutbox {
		return BundleImport{}, fmt.Errorf("import bundle %s: %w: a %s bundle is for a desk, not the hub", m.ID, wire.ErrBundleInvalid, m.Kind)
	}
	dev, pub, err := s.bundleDevice(ctx, m.DeviceID)
	if err != nil {
		return BundleImport{}, fmt.Errorf("import bundle %s: %w", m.ID, err)
	}
	if err := b.Verify(pub); err != nil {
		return BundleImport{}, fmt.Errorf("import bundle %s: %w", m.ID, err)
	}
	if m.CommuneCode != dev.CommuneCode {
		return BundleImport{}, fmt.Errorf("import bundle %s: %w: the manifest says %s, device %s belongs to %s",
			m.ID, ErrBundleCommune, m.CommuneCode, dev.ID, dev.CommuneCode)
	}
	for _, bl := range m.Blobs {
		if bl.Size > s.cfg.MaxBlobBytes {
			return BundleImport{}, fmt.Errorf("import bundle %s: %w: blob %s is larger than %d bytes",
				m.ID, wire.ErrBundleInvalid, bl.SHA256, s.cfg.MaxBlobBytes)
		}
	}
	if err := b.CheckContent(); err != nil {
		return BundleImport{}, fmt.Errorf("import bundle %s: %w", m.ID, err)
	}
	recs, err := decodeOutbox(b)
	if err != nil {
		return BundleImport{}, fmt.Errorf("import bundle %s: %w", m.ID, err)
	}
	if err := s.checkBundleCommune(ctx, dev, recs); err != nil {
		return BundleImport{}, fmt.Errorf("import bundle %s: %w", m.ID, err)
	}
	if m.AgeRecipient != "" {
		if _, err := age.ParseX25519Recipient(m.AgeRecipient); err != nil {
			return BundleImport{}, fmt.Errorf("import bundle %s: %w: age_recipient: %w", m.ID, wire.ErrBundleInvalid, err)
		}
		// Signed by the device: as good as its online telling, and the
		// only one a desk that syncs by USB stick alone makes.
		if err := s.setDeviceRecipient(ctx, dev.ID, m.AgeRecipient, m.CreatedAt, false); err != nil {
			return BundleImport{}, fmt.Errorf("import bundle %s: %w", m.ID, err)
		}
	}

	out := BundleImport{BundleID: m.ID, DeviceID: dev.ID, CommuneCode: dev.CommuneCode, CreatedAt: m.CreatedAt, Cursor: m.Cursor,
		Dossiers: []wire.ItemResult{}, Events: []wire.ItemResult{}}
	if out.BlobsStored, err = s.storeBundleBlobs(ctx, b); err != nil {
		return out, fmt.Errorf("import bundle %s: %w", m.ID, err)
	}
	var (
		req        wire.PushRequest
		batchBytes int64
	)
	flush := func() error {
		if len(req.Dossiers)+len(req.Events) == 0 {
			return nil
		}
		resp, err := s.push(ctx, dev, req)
		if err != nil {
			return err
		}
		out.Dossiers = append(out.Dossiers, resp.Dossiers...)
		out.Events = append(out.Events, resp.Events...)
		req, batchBytes = wire.PushRequest{}, 0
		return nil
	}
	for i, it := range m.Items {
		if len(req.Dossiers)+len(req.Events) == wire.MaxPushItems || batchBytes+it.Size > wire.MaxPushBytes {
			if err := flush(); err != nil {
				return out, fmt.Errorf("import bundle %s: %w", m.ID, err)
			}
		}
		if d := recs.dossiers[i]; d != nil {
			req.Dossiers = append(req.Dossiers, *d)
		} else {
			req.Events = append(req.Events, *recs.events[i])
		}
		batchBytes += it.Size
	}
	if err := flush(); err != nil {
		return out, fmt.Errorf("import bundle %s: %w", m.ID, err)
	}
	for _, r := range append(append([]wire.ItemResult{}, out.Dossiers...), out.Events...) {
		switch r.Outcome {
		case wire.OutcomeCreated:
			out.Created++
		case wire.OutcomeDuplicate:
			out.Duplicates++
		default:
			out.Refused++
		}
	}
	s.metrics.inc("motcua_hub_bundles_imported_total", "")
	s.log.Info("bundle imported", "bundle", m.ID, "device", dev.ID, "commune", dev.CommuneCode, "created", out.Created,
		"duplicates", out.Duplicates, "refused", out.Refused, "blobs", out.BlobsStored)
	return out, nil
}

// decodeOutbox decodes every item of an outbox bundle as the push handler
// decodes a batch: strictly, unless the desk speaks a newer minor version.
func decodeOutbox(b *wire.Bundle) (bundleRecords, error) {
	recs := bundleRecords{dossiers: map[int]*wire.Dossier{}, events: map[int]*wire.Event{}}
	strict := true
	if v, err := wire.ParseVersion(b.Manifest.Protocol); err == nil {
		strict = wire.StrictFor(v)
	}
	for i, it := range b.Manifest.Items {
		raw, err := b.Item(i)
		if err != nil {
			return recs, err
		}
		var id, dossierID string
		if it.Kind == wire.BundleItemDossier {
			d := new(wire.Dossier)
			err = wire.Decode(bytes.NewReader(raw), wire.MaxBundleItemBytes, d, strict)
			recs.dossiers[i], id, dossierID = d, d.ID, d.ID
		} else {
			e := new(wire.Event)
			err = wire.Decode(bytes.NewReader(raw), wire.MaxBundleItemBytes, e, strict)
			recs.events[i], id, dossierID = e, e.ID, e.DossierID
		}
		if err != nil {
			return recs, fmt.Errorf("%w: item %d (%s %s): %w", wire.ErrBundleInvalid, i+1, it.Kind, it.ID, err)
		}
		if id != it.ID || dossierID != it.DossierID {
			return recs, fmt.Errorf("%w: item %d is %s of dossier %s, the manifest says %s of %s",
				wire.ErrBundleInvalid, i+1, id, dossierID, it.ID, it.DossierID)
		}
	}
	return recs, nil
}

// checkBundleCommune refuses a bundle with any dossier of another commune,
// or any event on a dossier the hub holds for another commune. (A push
// answers such items one by one; a bundle that carries them was not
// written by this commune's desk and is refused whole.)
func (s *Server) checkBundleCommune(ctx context.Context, dev device, recs bundleRecords) error {
	inBundle := map[string]bool{}
	for _, d := range recs.dossiers {
		if d.CommuneCode != dev.CommuneCode {
			return fmt.Errorf("%w: dossier %s (%s) is of %s, device %s writes for %s",
				ErrBundleCommune, d.ID, d.Code, d.CommuneCode, dev.ID, dev.CommuneCode)
		}
		inBundle[d.ID] = true
	}
	var others []string
	for _, e := range recs.events {
		if !inBundle[e.DossierID] {
			others = append(others, e.DossierID)
		}
	}
	if len(others) == 0 {
		return nil
	}
	var foreign string
	err := s.db.QueryRow(ctx, "SELECT id FROM dossiers WHERE id = ANY($1) AND agency_id <> $2 LIMIT 1", others, dev.AgencyID).Scan(&foreign)
	if noRows(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: an event is on dossier %s, which belongs to another commune", ErrBundleCommune, foreign)
}

// storeBundleBlobs stores the bundle's blobs the hub lacks and returns how
// many. Each is hash-checked as it is read: bytes that are not the blob
// never become present.
func (s *Server) storeBundleBlobs(ctx context.Context, b *wire.Bundle) (int, error) {
	sums := make([]string, 0, len(b.Manifest.Blobs))
	for _, bl := range b.Manifest.Blobs {
		sums = append(sums, bl.SHA256)
	}
	have, err := s.blobSizes(ctx, sums)
	if err != nil {
		return 0, err
	}
	stored := 0
	for _, bl := range b.Manifest.Blobs {
		if _, ok := have[bl.SHA256]; ok {
			continue
		}
		rc, err := b.OpenBlob(bl.SHA256)
		if err != nil {
			return stored, err
		}
		ref, err := s.PutBlob(ctx, rc, "", "")
		rc.Close()
		if err != nil {
			return stored, fmt.Errorf("blob %s: %w", bl.SHA256, err)
		}
		if ref.SHA256 != bl.SHA256 {
			return stored, fmt.Errorf("blob %s: %w: stored as %s", bl.SHA256, wire.ErrBundleTampered, ref.SHA256)
		}
		stored++
	}
	return stored, nil
}

// ExportChangesBundle writes, for one device, the commune's pull-log
// changes after since (a cursor the desk reported, "" for the beginning)
// and the result papers they name, signed with the hub's bundle key, the
// whole zip encrypted (age) to the recipients of the commune's active
// devices. The device must be enrolled, not revoked, and have told its
// recipient (ErrNoRecipient otherwise: the file is never written in
// clear). Nothing is written to w before the changes are read, so an error
// before the first byte can still be answered.
func (s *Server) ExportChangesBundle(ctx context.Context, deviceID, since string, w io.Writer) (wire.BundleManifest, error) {
	dev, _, err := s.bundleDevice(ctx, deviceID)
	if err != nil {
		return wire.BundleManifest{}, fmt.Errorf("export bundle: %w", err)
	}
	rcpts, err := s.bundleRecipients(ctx, dev)
	if err != nil {
		return wire.BundleManifest{}, fmt.Errorf("export bundle: %w", err)
	}
	seq, ok := s.parseCursor(since)
	if !ok {
		return wire.BundleManifest{}, fmt.Errorf("export bundle: cursor %q: %w", since, ErrInvalid)
	}
	m := wire.BundleManifest{Kind: wire.BundleChanges, ID: newUUIDv7(s.cfg.Now()), CreatedAt: s.cfg.Now().UTC().Truncate(time.Second),
		DeviceID: dev.ID, CommuneCode: dev.CommuneCode}
	if seq > 0 {
		m.Since = fmt.Sprintf("%s.%d", s.epoch, seq)
	}
	var changes []wire.Change
	for {
		page, err := s.Pull(ctx, dev.AgencyID, seq, wire.MaxPullLimit)
		if err != nil {
			return m, fmt.Errorf("export bundle: %w", err)
		}
		changes = append(changes, page.Changes...)
		m.Cursor, m.More = page.Cursor, page.More
		if !page.More || len(changes) >= maxBundleChanges {
			break
		}
		_, seq, _ = wire.ParseCursor(page.Cursor)
	}
	ew, err := age.Encrypt(w, rcpts...)
	if err != nil {
		return m, fmt.Errorf("export bundle: %w", err)
	}
	bw := wire.NewBundleWriter(ew)
	for _, ch := range changes {
		raw, err := json.Marshal(ch)
		if err != nil {
			return m, fmt.Errorf("export bundle: change %s: %w", ch.ID, err)
		}
		for _, res := range ch.Results {
			if err := s.addResultBlob(ctx, bw, res.Blob); err != nil {
				return m, fmt.Errorf("export bundle: change %s: %w", ch.ID, err)
			}
		}
		if err := bw.AddItem(wire.BundleItemChange, ch.ID, ch.DossierID, raw); err != nil {
			return m, fmt.Errorf("export bundle: %w", err)
		}
	}
	if m, err = bw.Finish(m, s.bundleKey); err != nil {
		return m, fmt.Errorf("export bundle: %w", err)
	}
	if err := ew.Close(); err != nil { // the last chunk and its tag
		return m, fmt.Errorf("export bundle: %w", err)
	}
	s.metrics.inc("motcua_hub_bundles_exported_total", "")
	s.log.Info("changes bundle exported", "bundle", m.ID, "device", dev.ID, "since", m.Since, "cursor", m.Cursor,
		"changes", len(m.Items), "blobs", len(m.Blobs), "more", m.More, "recipients", len(rcpts))
	return m, nil
}

// addResultBlob copies a result paper into the bundle. A paper missing
// from the store is left out (logged): the desk records it by name, as it
// does when a pull finds it gone.
func (s *Server) addResultBlob(ctx context.Context, bw *wire.BundleWriter, ref wire.BlobRef) error {
	if !wire.ValidSHA256(ref.SHA256) || bw.HasBlob(ref.SHA256) {
		return nil
	}
	f, err := s.blobs.Open(ctx, ref.SHA256)
	if errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("result paper not in the blob store; left out of the bundle", "sha256", ref.SHA256)
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return bw.AddBlob(ref.SHA256, ref.Size, f)
}

// adminImportBundle is POST /admin/v1/bundles: the body is a bundle file.
// It is spooled to a temporary file first (the zip directory is at its
// end) and answered with the BundleImport.
func (s *Server) adminImportBundle(w http.ResponseWriter, r *http.Request) {
	f, err := os.CreateTemp("", "hub-bundle-*"+wire.BundleEncryptedExt)
	if err != nil {
		s.internal(w, r, "bundle spool", err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := io.Copy(f, io.LimitReader(r.Body, maxBundleBytes+1))
	if err != nil {
		s.log.Info("bundle upload cut", "err", err)
		return
	}
	if n > maxBundleBytes {
		w.Header().Set("Connection", "close")
		failMsg(w, http.StatusRequestEntityTooLarge, wire.CodeTooLarge, fmt.Sprintf("Gói quá lớn (tối đa %d GB).", maxBundleBytes>>30))
		return
	}
	res, err := s.ImportBundle(r.Context(), f, n)
	if err != nil {
		s.bundleError(w, r, "import bundle", err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// adminExportBundle is GET /admin/v1/devices/{id}/changes-bundle?since=CURSOR:
// the changes bundle (encrypted) as a download.
func (s *Server) adminExportBundle(w http.ResponseWriter, r *http.Request) {
	dl := &download{w: w, name: "ket-qua-" + r.PathValue("id") + wire.BundleEncryptedExt}
	if _, err := s.ExportChangesBundle(r.Context(), r.PathValue("id"), r.URL.Query().Get("since"), dl); err != nil {
		if dl.started {
			s.log.Error("export bundle after the download started", "err", err)
			panic(http.ErrAbortHandler) // a cut download, never a short file that looks whole
		}
		s.bundleError(w, r, "export bundle", err)
	}
}

// download sets a file download's headers at its first byte, so an error
// before it can still be answered with the envelope.
type download struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (d *download) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		h := d.w.Header()
		h.Set("Content-Type", wire.BundleEncryptedContentType)
		h.Set("Content-Disposition", `attachment; filename="`+d.name+`"`)
		h.Set("Cache-Control", "no-store")
		h.Set(wire.HeaderProtocol, wire.Current.String())
		d.w.WriteHeader(http.StatusOK)
	}
	return d.w.Write(p)
}

// bundleMessages say, for a person at the hub, why a bundle was refused.
var bundleMessages = map[string]string{
	wire.CodeBundleInvalid:   "Tệp không phải gói đồng bộ hợp lệ của Một Cửa Xã.",
	wire.CodeBundleSignature: "Chữ ký của gói không hợp lệ: gói không do thiết bị đã đăng ký lập, hoặc đã bị sửa sau khi ký. Không nhận gì từ gói này.",
	wire.CodeBundleTampered:  "Nội dung gói không khớp với bảng kê đã ký (tệp bị sửa hoặc hỏng). Không nhận gì từ gói này.",
	wire.CodeUnknownDevice:   "Thiết bị của gói chưa đăng ký với máy chủ tỉnh. Không nhận gì từ gói này.",
	wire.CodeDeviceRevoked:   "Thiết bị của gói đã bị thu hồi quyền đồng bộ. Không nhận gì từ gói này.",
	wire.CodeWrongCommune:    "Gói có hồ sơ của đơn vị khác với đơn vị của thiết bị lập gói. Không nhận gì từ gói này.",
	wire.CodeBundlePlaintext: "Gói không được mã hóa. Máy một cửa luôn mã hóa gói USB cho máy chủ tỉnh; gói này đã bị giải mã hoặc không do máy một cửa lập. Không nhận gì từ gói này.",
	wire.CodeBundleDecrypt:   "Không giải mã được gói bằng khóa của máy chủ tỉnh này: gói được mã hóa cho máy chủ khác, hoặc tệp bị hỏng khi sao chép. Không nhận gì từ gói này.",
	wire.CodeRecipientUnknown: "Máy một cửa của xã chưa gửi khóa mã hóa cho máy chủ tỉnh nên chưa lập được gói kết quả: gói chứa dữ liệu cá nhân nên luôn phải được mã hóa. " +
		"Máy của xã gửi khóa khi kết nối mạng hoặc trong gói USB của xã (phần mềm bản mới): nhập gói USB mới nhất của xã trước, rồi lập lại gói kết quả.",
}

// BundleRefusal names why a bundle was refused: the machine code of the
// error envelope (wire.CodeBundle*, CodeUnknownDevice, CodeDeviceRevoked,
// CodeWrongCommune, CodeRecipientUnknown) and its Vietnamese message; ok is false for errors
// that are not a refusal (the database failed).
func BundleRefusal(err error) (code, message string, ok bool) {
	switch code = wire.BundleErrorCode(err); {
	case code != "":
	case errors.Is(err, ErrBundleUnknownDevice):
		code = wire.CodeUnknownDevice
	case errors.Is(err, ErrBundleRevokedDevice):
		code = wire.CodeDeviceRevoked
	case errors.Is(err, ErrBundleCommune):
		code = wire.CodeWrongCommune
	case errors.Is(err, ErrNoRecipient):
		code = wire.CodeRecipientUnknown
	default:
		return "", "", false
	}
	return code, bundleMessages[code], true
}

func (s *Server) bundleError(w http.ResponseWriter, r *http.Request, op string, err error) {
	code, msg, ok := BundleRefusal(err)
	if !ok {
		s.adminError(w, r, op, err)
		return
	}
	s.log.Warn(op+": refused", "code", code, "err", err)
	status := http.StatusUnprocessableEntity
	switch code {
	case wire.CodeUnknownDevice, wire.CodeDeviceRevoked, wire.CodeWrongCommune:
		status = http.StatusForbidden
	case wire.CodeRecipientUnknown:
		status = http.StatusConflict
	}
	failMsg(w, status, code, msg+" ("+err.Error()+")")
}
