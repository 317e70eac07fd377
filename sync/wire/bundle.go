package wire

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"
)

// Bundles: the no-network fallback. When a commune has no usable link, the
// desk writes its pending outbox into one file that someone carries to the
// hub on a USB stick, and the hub can hand back the commune's changes the
// same way. A bundle is a zip archive:
//
//	manifest.json          BundleManifest: who wrote it, for whom, and every other entry with its SHA-256 and size
//	manifest.sig           base64 Ed25519 signature over BundleSignedMessage(manifest.json as stored)
//	items/000001.json …    one wire document per item, in the order to apply them (Dossier, Event or Change)
//	blobs/<sha256> …       the files the items reference, named by their SHA-256
//
// An outbox bundle is signed with the device's enrolment key (the key that
// signs its requests), a changes bundle with the hub's bundle key (served on
// GET /v1/bundle-key). The signature covers the manifest's exact bytes and
// the manifest covers every other entry by hash and size, so changing any
// byte of the archive, adding an entry or dropping one makes the bundle
// fail to open or to verify. Readers look entries up by the names the
// manifest implies and never extract by the archive's own names.
const (
	// BundleFormat names the container layout and its version.
	BundleFormat = "motcua-bundle/1"

	// BundleOutbox is a desk's pending outbox for the hub (device-signed).
	BundleOutbox = "outbox"
	// BundleChanges is the hub's pull-log changes for one device (hub-signed).
	BundleChanges = "changes"

	// Item kinds: an outbox bundle holds dossiers and events, a changes
	// bundle changes.
	BundleItemDossier = "dossier"
	BundleItemEvent   = "event"
	BundleItemChange  = "change"

	BundleManifestName  = "manifest.json"
	BundleSignatureName = "manifest.sig"

	// BundleSignatureScheme opens the signed message, so a bundle signature
	// can never be mistaken for a request signature or an enrolment proof
	// made with the same key.
	BundleSignatureScheme = "MOTCUA-BUNDLE-ED25519-V1"

	// MaxBundleManifestBytes bounds manifest.json.
	MaxBundleManifestBytes = 64 << 20
	// MaxBundleItemBytes bounds one item document.
	MaxBundleItemBytes = MaxPushBytes
)

// BundleContentType is the media type of a bundle file.
const BundleContentType = "application/zip"

// Encrypted bundles. Both kinds hold citizens' personal data and travel on
// a USB stick, so neither is written in clear: the whole zip is an age file
// (filippo.io/age, X25519), an outbox bundle encrypted to the hub's age
// recipient (BundleKeyResponse.AgeRecipient), a changes bundle to the
// recipients of the commune's devices (DeviceRecipient). Readers refuse a
// plain one, and tell the two apart by the first bytes, never by the name.
const (
	// BundleAgeMagic opens every age file, hence every encrypted bundle.
	BundleAgeMagic = "age-encryption.org/v1\n"
	// BundleZipMagic opens a plain (signed, not encrypted) bundle.
	BundleZipMagic = "PK\x03\x04"
	// BundleEncryptedExt ends the name of an encrypted bundle file.
	BundleEncryptedExt = ".zip.age"
	// BundleEncryptedContentType is the media type of an encrypted bundle.
	BundleEncryptedContentType = "application/octet-stream"
)

// IsEncryptedBundle reports whether a file starting with head is an
// encrypted (age) bundle.
func IsEncryptedBundle(head []byte) bool { return bytes.HasPrefix(head, []byte(BundleAgeMagic)) }

// IsPlainBundle reports whether a file starting with head is a plain zip.
func IsPlainBundle(head []byte) bool { return bytes.HasPrefix(head, []byte(BundleZipMagic)) }

// Machine codes of a refused bundle (the error envelope of the hub's admin
// import, and the desk's API).
const (
	CodeBundleInvalid   = "bundle_invalid"
	CodeBundleSignature = "bundle_signature"
	CodeBundleTampered  = "bundle_tampered"
	// CodeBundlePlaintext: a bundle that is not encrypted.
	CodeBundlePlaintext = "bundle_plaintext"
	// CodeBundleDecrypt: an encrypted bundle this reader cannot decrypt
	// (encrypted to another key, or damaged).
	CodeBundleDecrypt = "bundle_decrypt"
)

// BundleErrorCode is the machine code of a bundle error of this package
// (signature first: a forged manifest is a signature problem whatever else
// is wrong), or "" for any other error.
func BundleErrorCode(err error) string {
	switch {
	case errors.Is(err, ErrBundlePlaintext):
		return CodeBundlePlaintext
	case errors.Is(err, ErrBundleDecrypt):
		return CodeBundleDecrypt
	case errors.Is(err, ErrBundleSignature):
		return CodeBundleSignature
	case errors.Is(err, ErrBundleTampered):
		return CodeBundleTampered
	case errors.Is(err, ErrBundleInvalid):
		return CodeBundleInvalid
	}
	return ""
}

var (
	// ErrBundleInvalid is wrapped when a file is not a well-formed bundle.
	ErrBundleInvalid = errors.New("not a valid motcua bundle")
	// ErrBundleSignature is wrapped when the manifest's signature does not
	// verify with the key it must have been made with.
	ErrBundleSignature = errors.New("bundle signature does not verify")
	// ErrBundleTampered is wrapped when an entry does not match the size or
	// SHA-256 the signed manifest gives it.
	ErrBundleTampered = errors.New("bundle content does not match its manifest")
	// ErrBundlePlaintext is wrapped when a bundle that must be encrypted
	// is a plain zip.
	ErrBundlePlaintext = errors.New("bundle is not encrypted")
	// ErrBundleDecrypt is wrapped when an encrypted bundle does not
	// decrypt with the reader's identity.
	ErrBundleDecrypt = errors.New("bundle does not decrypt with this key")
)

// BundleManifest describes a bundle. Its bytes, as stored, are what the
// signature covers.
type BundleManifest struct {
	Format    string    `json:"format"`   // BundleFormat
	Kind      string    `json:"kind"`     // BundleOutbox or BundleChanges
	Protocol  string    `json:"protocol"` // the writer's protocol version
	ID        string    `json:"id"`       // minted by the writer, for logs and messages
	CreatedAt time.Time `json:"created_at"`
	// DeviceID and CommuneCode name the device that wrote an outbox
	// bundle, or the device a changes bundle is for, and its commune.
	DeviceID    string `json:"device_id"`
	CommuneCode string `json:"commune_code"`
	// KeyID names the signing key (BundleKeyID), so a reader can say
	// "signed by another key" rather than only "bad signature".
	KeyID string `json:"key_id"`
	// Since is where a changes bundle starts (a pull cursor; "" for the
	// beginning) and Cursor the pull cursor after its changes; More says
	// the hub holds further changes. In an outbox bundle Cursor is the
	// desk's pull cursor when it wrote the bundle, so the hub knows from
	// where to send changes back.
	Since  string `json:"since,omitempty"`
	Cursor string `json:"cursor,omitempty"`
	More   bool   `json:"more,omitempty"`
	// AgeRecipient, in an outbox bundle, is the writing desk's age X25519
	// recipient ("age1…", protocol 1.1): the hub encrypts the changes
	// bundle back to it. Carried here, under the device's signature, so a
	// desk that reaches the hub only by USB stick still tells it.
	AgeRecipient string `json:"age_recipient,omitempty"`
	// Items are applied in this order; item i is stored at BundleItemPath(i).
	Items []BundleItem `json:"items"`
	// Blobs are stored at BundleBlobPath(SHA256).
	Blobs []BlobSize `json:"blobs"`
}

// BundleItem is one wire document of a bundle.
type BundleItem struct {
	Kind      string `json:"kind"`
	ID        string `json:"id"`
	DossierID string `json:"dossier_id"`
	SHA256    string `json:"sha256"` // of the document's bytes as stored
	Size      int64  `json:"size"`
}

// BundleKeyResponse answers GET /v1/bundle-key: the public key the hub
// signs changes bundles with, and the age recipient outbox bundles are
// encrypted to. A desk learns both while online, over the same connection
// it pulls changes through, accepts a changes bundle only if it verifies
// with that key, and writes an outbox bundle only encrypted to that
// recipient.
type BundleKeyResponse struct {
	Marker    string `json:"marker"`     // HealthMarker
	PublicKey []byte `json:"public_key"` // 32 bytes, base64 in JSON
	KeyID     string `json:"key_id"`     // BundleKeyID(PublicKey)
	// AgeRecipient is the hub's age X25519 recipient ("age1…"); empty
	// from a hub that does not take encrypted bundles yet.
	AgeRecipient string `json:"age_recipient,omitempty"`
}

// BundleKeyPath is the URL path of the hub's bundle key.
const BundleKeyPath = "/v1/bundle-key"

// DeviceRecipientPath is where a device tells the hub its age recipient
// (PUT, signed, DeviceRecipient; answered with the DeviceRecipient the hub
// keeps). The hub encrypts the changes bundles it writes for the device's
// commune to it. Protocol 1.1; an older hub answers 404.
const DeviceRecipientPath = "/v1/device/recipient"

// DeviceRecipient is a device's age X25519 recipient.
type DeviceRecipient struct {
	AgeRecipient string `json:"age_recipient"`
}

// ValidAgeRecipient is a cheap shape check of an age X25519 recipient
// (Bech32 "age1" + 58 characters); the age library parses it for real.
func ValidAgeRecipient(s string) bool {
	if len(s) != 62 || !strings.HasPrefix(s, "age1") {
		return false
	}
	for _, r := range s[4:] {
		if !strings.ContainsRune("qpzry9x8gf2tvdw0s3jn54khce6mua7l", r) {
			return false
		}
	}
	return true
}

// CodeRecipientUnknown: the hub cannot write a changes bundle because the
// device it is for has not told its age recipient yet (a results bundle is
// never written in clear).
const CodeRecipientUnknown = "recipient_unknown"

// BundleItemPath is the archive name of item i (0-based).
func BundleItemPath(i int) string { return fmt.Sprintf("items/%06d.json", i+1) }

// BundleBlobPath is the archive name of a blob.
func BundleBlobPath(sum string) string { return "blobs/" + sum }

// BundleKeyID names an Ed25519 public key: the lowercase hex of the first
// eight bytes of its SHA-256.
func BundleKeyID(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return hex.EncodeToString(s[:8])
}

// BundleSignedMessage is the exact byte string a bundle signature covers.
func BundleSignedMessage(manifest []byte) []byte {
	return append([]byte(BundleSignatureScheme+"\n"), manifest...)
}

// ParseCursor splits a pull cursor "EPOCH.SEQ". Cursors are opaque to a
// desk that pulls online; it reads them only to tell whether a changes
// bundle starts at or before what it already applied.
func ParseCursor(c string) (epoch string, seq int64, ok bool) {
	epoch, n, found := strings.Cut(c, ".")
	if !found || epoch == "" {
		return "", 0, false
	}
	seq, err := strconv.ParseInt(n, 10, 64)
	if err != nil || seq < 0 {
		return "", 0, false
	}
	return epoch, seq, true
}

func (m *BundleManifest) check() error {
	var c checker
	if m.Format != BundleFormat {
		c.add("format %q is not %s", m.Format, BundleFormat)
	}
	c.oneOf("kind", m.Kind, BundleOutbox, BundleChanges)
	if v, err := ParseVersion(m.Protocol); err != nil {
		c.add("protocol %q is not MAJOR.MINOR", m.Protocol)
	} else if v.Major != Current.Major {
		c.add("protocol %s: this side reads bundles of protocol %d.x", v, Current.Major)
	}
	c.required("id", m.ID)
	c.length("id", m.ID, maxShort)
	if m.CreatedAt.IsZero() {
		c.add("created_at is required")
	}
	c.required("device_id", m.DeviceID)
	c.length("device_id", m.DeviceID, 64)
	c.required("commune_code", m.CommuneCode)
	c.length("commune_code", m.CommuneCode, maxShort)
	c.required("key_id", m.KeyID)
	c.length("since", m.Since, maxShort)
	c.length("cursor", m.Cursor, maxShort)
	if m.AgeRecipient != "" && !ValidAgeRecipient(m.AgeRecipient) {
		c.add("age_recipient is not an age X25519 recipient")
	}
	if m.AgeRecipient != "" && m.Kind != BundleOutbox {
		c.add("age_recipient belongs in an outbox bundle")
	}
	allowed := []string{BundleItemDossier, BundleItemEvent}
	if m.Kind == BundleChanges {
		allowed = []string{BundleItemChange}
	}
	seen := map[string]bool{}
	for i, it := range m.Items {
		f := fmt.Sprintf("items[%d]", i)
		c.oneOf(f+".kind", it.Kind, allowed...)
		if !ValidID(it.ID) || !ValidID(it.DossierID) {
			c.add("%s: id and dossier_id must be UUIDs or ULIDs", f)
		}
		if seen[it.Kind+"/"+it.ID] {
			c.add("%s: %s %s is listed twice", f, it.Kind, it.ID)
		}
		seen[it.Kind+"/"+it.ID] = true
		if !ValidSHA256(it.SHA256) || it.Size <= 0 || it.Size > MaxBundleItemBytes {
			c.add("%s: needs a sha256 and a size of 1..%d", f, MaxBundleItemBytes)
		}
	}
	for i, b := range m.Blobs {
		if !ValidSHA256(b.SHA256) || b.Size <= 0 {
			c.add("blobs[%d]: needs a sha256 and a positive size", i)
		}
		if seen["blob/"+b.SHA256] {
			c.add("blobs[%d]: %s is listed twice", i, b.SHA256)
		}
		seen["blob/"+b.SHA256] = true
	}
	if err := c.err(); err != nil {
		return fmt.Errorf("%w: manifest: %w", ErrBundleInvalid, err)
	}
	return nil
}

// BundleWriter writes a bundle to a stream: items and blobs first, the
// signed manifest last. Nothing needs to be known in advance, so a bundle
// can be streamed as a download.
type BundleWriter struct {
	zw    *zip.Writer
	items []BundleItem
	blobs []BlobSize
	have  map[string]bool
	done  bool
}

// NewBundleWriter starts a bundle on w.
func NewBundleWriter(w io.Writer) *BundleWriter {
	return &BundleWriter{zw: zip.NewWriter(w), have: map[string]bool{}}
}

// AddItem appends one wire document (its bytes as they are to be applied).
func (b *BundleWriter) AddItem(kind, id, dossierID string, doc []byte) error {
	if len(doc) == 0 || len(doc) > MaxBundleItemBytes {
		return fmt.Errorf("bundle item %s: %w: %d bytes", id, ErrBundleInvalid, len(doc))
	}
	w, err := b.zw.CreateHeader(&zip.FileHeader{Name: BundleItemPath(len(b.items)), Method: zip.Deflate})
	if err != nil {
		return fmt.Errorf("bundle item %s: %w", id, err)
	}
	if _, err := w.Write(doc); err != nil {
		return fmt.Errorf("bundle item %s: %w", id, err)
	}
	b.items = append(b.items, BundleItem{Kind: kind, ID: id, DossierID: dossierID, SHA256: SumHex(doc), Size: int64(len(doc))})
	return nil
}

// HasBlob reports whether the blob is already in the bundle.
func (b *BundleWriter) HasBlob(sum string) bool { return b.have[sum] }

// AddBlob copies the blob sum of size bytes from r. The bytes must hash to
// sum: a file that changed on the disk is an error, not a bundle the other
// side will refuse. A blob already added is skipped.
func (b *BundleWriter) AddBlob(sum string, size int64, r io.Reader) error {
	if b.have[sum] {
		return nil
	}
	if !ValidSHA256(sum) || size <= 0 {
		return fmt.Errorf("bundle blob %q: %w: size %d", sum, ErrBundleInvalid, size)
	}
	// Scans and PDFs are compressed already: store them as they are.
	w, err := b.zw.CreateHeader(&zip.FileHeader{Name: BundleBlobPath(sum), Method: zip.Store})
	if err != nil {
		return fmt.Errorf("bundle blob %s: %w", sum, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(r, size+1))
	if err != nil {
		return fmt.Errorf("bundle blob %s: %w", sum, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != size || got != sum {
		return fmt.Errorf("bundle blob %s: read %d bytes hashing to %s, want %d bytes", sum, n, got, size)
	}
	b.have[sum] = true
	b.blobs = append(b.blobs, BlobSize{SHA256: sum, Size: size})
	return nil
}

// Finish completes m with the entries written (and Format, Protocol and
// KeyID), writes it with its signature by key and closes the archive. It
// returns the manifest as written. The underlying writer is not closed.
func (b *BundleWriter) Finish(m BundleManifest, key ed25519.PrivateKey) (BundleManifest, error) {
	if b.done {
		return m, errors.New("bundle: already finished")
	}
	if len(key) != ed25519.PrivateKeySize {
		return m, errors.New("bundle: signing key has the wrong size")
	}
	m.Format, m.Protocol = BundleFormat, Current.String()
	m.KeyID = BundleKeyID(key.Public().(ed25519.PublicKey))
	m.Items, m.Blobs = b.items, b.blobs
	if m.Items == nil {
		m.Items = []BundleItem{}
	}
	if m.Blobs == nil {
		m.Blobs = []BlobSize{}
	}
	if err := m.check(); err != nil {
		return m, err
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, fmt.Errorf("bundle manifest: %w", err)
	}
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(key, BundleSignedMessage(raw)))
	for _, e := range []struct {
		name string
		data []byte
	}{{BundleManifestName, raw}, {BundleSignatureName, []byte(sig + "\n")}} {
		w, err := b.zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		if err != nil {
			return m, fmt.Errorf("bundle: %s: %w", e.name, err)
		}
		if _, err := w.Write(e.data); err != nil {
			return m, fmt.Errorf("bundle: %s: %w", e.name, err)
		}
	}
	if err := b.zw.Close(); err != nil {
		return m, fmt.Errorf("bundle: %w", err)
	}
	b.done = true
	return m, nil
}

// Bundle is a bundle opened for reading. Open checks its structure; Verify
// checks the signature, which must happen before anything in it is
// trusted; item and blob reads check every byte against the manifest.
type Bundle struct {
	Manifest BundleManifest
	raw      []byte
	sig      []byte
	files    map[string]*zip.File
}

// OpenBundle reads the archive's directory and manifest and checks that
// the archive holds exactly the entries the manifest names, with their
// sizes. It does not verify the signature (the key depends on who wrote
// the bundle, which the manifest says): call Verify next.
func OpenBundle(r io.ReaderAt, size int64) (*Bundle, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("%w: %w", ErrBundleInvalid, err)
	}
	b := &Bundle{files: map[string]*zip.File{}}
	for _, f := range zr.File {
		if b.files[f.Name] != nil {
			return nil, fmt.Errorf("%w: entry %q appears twice", ErrBundleTampered, f.Name)
		}
		b.files[f.Name] = f
	}
	if b.raw, err = b.entry(BundleManifestName, MaxBundleManifestBytes); err != nil {
		return nil, err
	}
	sig, err := b.entry(BundleSignatureName, 1024)
	if err != nil {
		return nil, err
	}
	if b.sig, err = base64.StdEncoding.DecodeString(strings.TrimSpace(string(sig))); err != nil || len(b.sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: %s is not a base64 Ed25519 signature", ErrBundleInvalid, BundleSignatureName)
	}
	strict := true
	if v, err := ParseVersion(peekProtocol(b.raw)); err == nil {
		strict = StrictFor(v)
	}
	if err := Decode(bytes.NewReader(b.raw), MaxBundleManifestBytes, &b.Manifest, strict); err != nil {
		return nil, fmt.Errorf("%w: manifest: %w", ErrBundleInvalid, err)
	}
	if err := b.Manifest.check(); err != nil {
		return nil, err
	}
	want := map[string]int64{BundleManifestName: -1, BundleSignatureName: -1}
	for i, it := range b.Manifest.Items {
		want[BundleItemPath(i)] = it.Size
	}
	for _, bl := range b.Manifest.Blobs {
		want[BundleBlobPath(bl.SHA256)] = bl.Size
	}
	for name, f := range b.files {
		size, ok := want[name]
		if !ok {
			return nil, fmt.Errorf("%w: entry %q is not in the manifest", ErrBundleTampered, name)
		}
		if size >= 0 && f.UncompressedSize64 != uint64(size) {
			return nil, fmt.Errorf("%w: %s holds %d bytes, the manifest says %d", ErrBundleTampered, name, f.UncompressedSize64, size)
		}
	}
	for name := range want {
		if b.files[name] == nil {
			return nil, fmt.Errorf("%w: %s is missing", ErrBundleTampered, name)
		}
	}
	return b, nil
}

// peekProtocol reads the manifest's protocol before the strict decode, so
// a newer minor version's fields are tolerated as on the wire.
func peekProtocol(raw []byte) string {
	var p struct {
		Protocol string `json:"protocol"`
	}
	_ = json.Unmarshal(raw, &p)
	return p.Protocol
}

// openEntry opens an archive entry; a missing or unreadable one wraps
// missing.
func (b *Bundle) openEntry(name string, missing error) (io.ReadCloser, error) {
	f := b.files[name]
	if f == nil {
		return nil, fmt.Errorf("%w: %s is missing", missing, name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", missing, name, err)
	}
	return rc, nil
}

func (b *Bundle) entry(name string, limit int64) ([]byte, error) {
	rc, err := b.openEntry(name, ErrBundleInvalid)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBundleTampered, name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBundleInvalid, name, limit)
	}
	return data, nil
}

// Verify checks the manifest's signature with pub.
func (b *Bundle) Verify(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: no key to verify with", ErrBundleSignature)
	}
	if id := BundleKeyID(pub); id != b.Manifest.KeyID {
		return fmt.Errorf("%w: signed by key %s, expected key %s", ErrBundleSignature, b.Manifest.KeyID, id)
	}
	if !ed25519.Verify(pub, BundleSignedMessage(b.raw), b.sig) {
		return fmt.Errorf("%w: the manifest was changed after it was signed", ErrBundleSignature)
	}
	return nil
}

// Item returns the bytes of item i, checked against the manifest.
func (b *Bundle) Item(i int) ([]byte, error) {
	it := b.Manifest.Items[i]
	rc, err := b.open(BundleItemPath(i), it.SHA256, it.Size)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	return data, nil
}

// OpenBlob returns a reader of a blob listed in the manifest. It fails
// with ErrBundleTampered at the end when the bytes are not the blob: a
// caller storing them must treat that error as "store nothing".
func (b *Bundle) OpenBlob(sum string) (io.ReadCloser, error) {
	for _, bl := range b.Manifest.Blobs {
		if bl.SHA256 == sum {
			return b.open(BundleBlobPath(sum), sum, bl.Size)
		}
	}
	return nil, fmt.Errorf("%w: blob %s is not in the bundle", ErrBundleInvalid, sum)
}

// HasBlob reports whether the bundle carries the blob.
func (b *Bundle) HasBlob(sum string) bool { return b.files[BundleBlobPath(sum)] != nil }

// CheckContent reads every item and blob once and checks each against the
// manifest, so that a tampered bundle is refused before anything of it is
// used.
func (b *Bundle) CheckContent() error {
	for i := range b.Manifest.Items {
		if _, err := b.Item(i); err != nil {
			return err
		}
	}
	for _, bl := range b.Manifest.Blobs {
		rc, err := b.OpenBlob(bl.SHA256)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *Bundle) open(name, sum string, size int64) (io.ReadCloser, error) {
	rc, err := b.openEntry(name, ErrBundleTampered)
	if err != nil {
		return nil, err
	}
	return &checkedReader{rc: rc, r: io.LimitReader(rc, size+1), h: sha256.New(), name: name, sum: sum, size: size}, nil
}

// checkedReader hashes what it reads and, at the end, fails unless the
// bytes had the expected size and SHA-256.
type checkedReader struct {
	rc   io.ReadCloser
	r    io.Reader
	h    hash.Hash
	n    int64
	name string
	sum  string
	size int64
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if c.n > c.size {
		return n, fmt.Errorf("%w: %s is longer than %d bytes", ErrBundleTampered, c.name, c.size)
	}
	if err == io.EOF {
		if got := hex.EncodeToString(c.h.Sum(nil)); c.n != c.size || got != c.sum {
			return n, fmt.Errorf("%w: %s (%d bytes) does not hash to %s", ErrBundleTampered, c.name, c.n, c.sum)
		}
		return n, io.EOF
	}
	if err != nil {
		return n, fmt.Errorf("%w: %s: %w", ErrBundleTampered, c.name, err)
	}
	return n, nil
}

func (c *checkedReader) Close() error { return c.rc.Close() }
