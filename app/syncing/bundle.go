package syncing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"
	"github.com/google/uuid"

	"motcua/app/reception"
	"motcua/sync/outbox"
	"motcua/sync/wire"
)

// The no-network fallback. ExportBundle writes every unsynced outbox item
// (in queue order, with the files they reference) into one bundle signed
// with this device's enrolment key and encrypted (age) to the hub's
// recipient learned online, to carry to the hub on a USB stick; it
// changes nothing here: the items stay in the outbox until the hub answers
// an online push, which then finds them already stored and marks them
// synced as duplicates. The manifest also tells the hub this desk's age
// recipient. ImportResults applies a changes bundle the hub signed and
// encrypted to this desk, through the same use case as the puller, and
// moves the pull cursor only as a pull would. The format is in
// sync/wire/bundle.go.

var (
	// ErrNoHubKey: the desk has not learned the hub's bundle key yet (it
	// does so on its first online cycle after enrolment).
	ErrNoHubKey = errors.New("the hub's bundle key is not known yet")
	// ErrNoHubRecipient: the desk has not learned the hub's age recipient
	// yet, so it cannot write an outbox bundle (never in clear: it holds
	// personal data).
	ErrNoHubRecipient = errors.New("the hub's age recipient for bundles is not known yet")
	// ErrBundleNotOurs: the changes bundle was written for another device
	// or commune.
	ErrBundleNotOurs = errors.New("bundle is for another device or commune")
	// ErrBundleGap: the changes bundle starts after the changes this desk
	// has applied; importing it would skip the ones in between.
	ErrBundleGap = errors.New("bundle starts after the changes this desk has applied")
	// ErrNotStarted: the sync service was not started, so nothing can
	// apply hub changes.
	ErrNotStarted = errors.New("sync service not started")
)

// BundleInfo describes an outbox bundle, known before its first byte is
// written.
type BundleInfo struct {
	ID          string    `json:"id"`
	FileName    string    `json:"fileName"`
	DeviceID    string    `json:"deviceId"`
	CommuneCode string    `json:"communeCode"`
	CreatedAt   time.Time `json:"createdAt"`
	Items       int       `json:"items"`
	Blobs       int       `json:"blobs"`
	Bytes       int64     `json:"bytes"` // documents and files, before the zip's framing
	// Held counts unsynced items left out: a file they reference is not on
	// this PC (or their record cannot be sent as it is), or an earlier item
	// of their dossier was left out. They stay in the outbox.
	Held int `json:"held"`
	// Cursor is this desk's pull cursor, written into the manifest so the
	// hub can send back the changes after it.
	Cursor string `json:"cursor,omitempty"`
}

// ExportBundle writes the pending outbox as a signed bundle, the whole
// zip encrypted to the hub's age recipient (ErrNoHubRecipient until the
// desk has learned it: a plain file is never written). It first
// decides what goes in (so open learns the bundle's name and size before
// the first byte), then calls open for the writer and streams the items
// and files into it. Nothing in the outbox changes.
func (s *Service) ExportBundle(ctx context.Context, open func(BundleInfo) (io.Writer, error)) (BundleInfo, error) {
	s.mu.Lock()
	dev, cl := s.dev, s.cl
	s.mu.Unlock()
	if dev == nil || dev.DeviceID == "" || cl == nil {
		return BundleInfo{}, ErrNotEnrolled
	}
	st, err := loadState(s.st)
	if err != nil {
		return BundleInfo{}, err
	}
	if st.HubAge == "" || st.HubKeyHub != cl.BaseURL() {
		return BundleInfo{}, ErrNoHubRecipient
	}
	rcpt, err := age.ParseX25519Recipient(st.HubAge)
	if err != nil {
		return BundleInfo{}, fmt.Errorf("export bundle: %w: %w", ErrNoHubRecipient, err)
	}
	own, err := dev.ageIdentity()
	if err != nil {
		return BundleInfo{}, fmt.Errorf("export bundle: %w", err)
	}
	items, held, err := s.bundleItems(ctx)
	if err != nil {
		return BundleInfo{}, fmt.Errorf("export bundle: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return BundleInfo{}, fmt.Errorf("export bundle: %w", err)
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	info := BundleInfo{ID: id.String(), DeviceID: dev.DeviceID, CommuneCode: dev.CommuneCode, CreatedAt: now,
		Items: len(items), Held: held,
		FileName: "motcua-" + dev.CommuneCode + "-" + now.In(time.FixedZone("ICT", 7*3600)).Format("20060102-150405") + wire.BundleEncryptedExt}
	if st.CursorHub == cl.BaseURL() {
		info.Cursor = st.Cursor
	}
	counted := map[string]bool{}
	for _, it := range items {
		info.Bytes += int64(len(it.Payload))
		for _, b := range it.Blobs {
			if !counted[b.SHA256] {
				counted[b.SHA256] = true
				info.Blobs++
				info.Bytes += b.Size
			}
		}
	}
	w, err := open(info)
	if err != nil {
		return info, fmt.Errorf("export bundle: %w", err)
	}
	ew, err := age.Encrypt(w, rcpt)
	if err != nil {
		return info, fmt.Errorf("export bundle: %w", err)
	}
	bw := wire.NewBundleWriter(ew)
	for _, it := range items {
		for _, b := range it.Blobs {
			if err := s.bundleBlob(ctx, bw, b); err != nil {
				return info, fmt.Errorf("export bundle: item %s: %w", it.ID(), err)
			}
		}
		kind := wire.BundleItemEvent
		if it.Kind == outbox.KindDossier {
			kind = wire.BundleItemDossier
		}
		if err := bw.AddItem(kind, it.RecordID, it.DossierID, it.Payload); err != nil {
			return info, fmt.Errorf("export bundle: item %s: %w", it.ID(), err)
		}
	}
	_, err = bw.Finish(wire.BundleManifest{Kind: wire.BundleOutbox, ID: info.ID, CreatedAt: now,
		DeviceID: dev.DeviceID, CommuneCode: dev.CommuneCode, Cursor: info.Cursor, AgeRecipient: own.Recipient().String()}, dev.PrivateKey)
	if err != nil {
		return info, fmt.Errorf("export bundle: %w", err)
	}
	if err := ew.Close(); err != nil { // the last chunk and its tag
		return info, fmt.Errorf("export bundle: %w", err)
	}
	s.log.Info("outbox bundle written", "bundle", info.ID, "items", info.Items, "files", info.Blobs, "held", info.Held,
		"cursor", info.Cursor)
	return info, nil
}

// bundleItems returns the unsynced items that can travel, in queue order,
// and how many are held back. Within a dossier an item follows the ones
// before it, so once one is held the rest of its dossier is too.
func (s *Service) bundleItems(ctx context.Context) ([]outbox.Item, int, error) {
	var (
		out   []outbox.Item
		held  int
		stuck = map[string]bool{} // dossiers with an item held back
		taken = map[string]bool{} // kind/record ID: one document once
		avail = map[string]bool{} // blob: readable on this PC
	)
	q := outbox.ListQuery{Limit: 500}
	for {
		page, err := s.ob.List(q)
		if err != nil {
			return nil, 0, err
		}
		for _, it := range page.Items {
			key := string(it.Kind) + "/" + it.RecordID
			if taken[key] && !stuck[it.DossierID] {
				held++ // the same record queued twice: it travels once
				continue
			}
			ok := !stuck[it.DossierID] && wire.ValidID(it.RecordID) && wire.ValidID(it.DossierID) &&
				len(it.Payload) > 0 && len(it.Payload) <= wire.MaxBundleItemBytes
			for _, b := range it.Blobs {
				ok = ok && s.blobReadable(ctx, b.SHA256, avail)
			}
			if !ok {
				stuck[it.DossierID] = true
				held++
				continue
			}
			taken[key] = true
			out = append(out, it)
		}
		if page.Next == "" {
			return out, held, nil
		}
		q.Cursor = page.Next
	}
}

func (s *Service) blobReadable(ctx context.Context, sum string, cache map[string]bool) bool {
	if ok, seen := cache[sum]; seen {
		return ok
	}
	ok := false
	if s.cfg.Blobs != nil {
		if r, err := s.cfg.Blobs.OpenBlob(ctx, sum); err == nil {
			r.Close()
			ok = true
		} else {
			s.log.Warn("file of an outbox item not readable; its dossier stays out of the bundle", "sha256", sum, "err", err)
		}
	}
	cache[sum] = ok
	return ok
}

func (s *Service) bundleBlob(ctx context.Context, bw *wire.BundleWriter, b wire.BlobRef) error {
	if bw.HasBlob(b.SHA256) {
		return nil
	}
	r, err := s.cfg.Blobs.OpenBlob(ctx, b.SHA256)
	if err != nil {
		return fmt.Errorf("blob %s: %w", b.SHA256, err)
	}
	defer r.Close()
	// One byte more than the size, so a file that grew is noticed.
	return bw.AddBlob(b.SHA256, b.Size, io.NewSectionReader(r, 0, b.Size+1))
}

// ResultsImport is what importing a changes bundle did.
type ResultsImport struct {
	BundleID  string    `json:"bundleId"`
	CreatedAt time.Time `json:"createdAt"` // when the hub wrote it
	Changes   int       `json:"changes"`
	// Applied changed a dossier or recorded a note; Duplicates were
	// applied before (pulled online or from an earlier bundle); Conflicts
	// no longer fit their dossier and wait for a person.
	Applied    int `json:"applied"`
	Duplicates int `json:"duplicates"`
	Conflicts  int `json:"conflicts"`
	Files      int `json:"files"` // result papers stored
	// Cursor is the pull cursor after the import; CursorAdvanced says the
	// bundle moved it (an older bundle applied again does not).
	Cursor         string `json:"cursor"`
	CursorAdvanced bool   `json:"cursorAdvanced"`
	// More: the hub holds further changes; ask it for the next bundle.
	More bool `json:"more"`
}

// ImportResults applies a changes bundle from the hub. The file must be
// encrypted to this desk's age identity (a plain zip is refused with
// wire.ErrBundlePlaintext, one this desk cannot decrypt with
// wire.ErrBundleDecrypt); it is decrypted in place, never written out in
// clear. The bundle must be for this device and commune and verify with
// the hub key learned online;
// every item and file is checked before anything is applied, and a bundle
// that starts after this desk's cursor is refused (it would skip changes).
// Changes are applied in order, each in its own transaction and
// idempotently by ID, exactly as the puller applies them, with the result
// papers taken from the bundle; the cursor then moves to the bundle's if
// that is ahead.
func (s *Service) ImportResults(ctx context.Context, r io.ReaderAt, size int64) (ResultsImport, error) {
	s.mu.Lock()
	dev, cl, applier := s.dev, s.cl, s.applier
	s.mu.Unlock()
	if dev == nil || dev.DeviceID == "" || cl == nil {
		return ResultsImport{}, ErrNotEnrolled
	}
	plain, plainSize, err := decryptResults(r, size, dev)
	if err != nil {
		return ResultsImport{}, fmt.Errorf("import results: %w", err)
	}
	b, changes, err := s.openChanges(plain, plainSize, dev, cl.BaseURL())
	if err != nil {
		return ResultsImport{}, fmt.Errorf("import results: %w", err)
	}
	if applier == nil {
		return ResultsImport{}, ErrNotStarted
	}
	m := b.Manifest
	out := ResultsImport{BundleID: m.ID, CreatedAt: m.CreatedAt, Changes: len(changes), More: m.More}

	// A pull running now would move the cursor under this import.
	defer s.takeCycle()()

	st, err := loadState(s.st)
	if err != nil {
		return out, err
	}
	if st.CursorHub == cl.BaseURL() {
		out.Cursor = st.Cursor
	}
	advance, err := bundleCursor(out.Cursor, m.Since, m.Cursor)
	if err != nil {
		return out, fmt.Errorf("import results %s: %w", m.ID, err)
	}
	for _, ch := range changes {
		hc := hubChange(ch)
		var stored int
		if hc.ResultFiles, stored, err = s.bundleResults(ctx, b, ch); err != nil {
			return out, fmt.Errorf("import results %s: change %s: %w", m.ID, ch.ID, err)
		}
		out.Files += stored
		res, err := applier.ApplyHubChange(ctx, hc, s.keep(ch))
		if err != nil {
			return out, fmt.Errorf("import results %s: apply change %s: %w", m.ID, ch.ID, err)
		}
		switch res.Outcome {
		case reception.HubDuplicate:
			out.Duplicates++
		case reception.HubConflict:
			out.Conflicts++
			s.log.Warn("hub change from a bundle does not fit the local dossier; recorded for a person", "change", ch.ID,
				"dossier", ch.DossierCode, "problem", res.Problem, "local", res.From, "hub_to", ch.To)
		default:
			out.Applied++
		}
	}
	if advance {
		now := s.cfg.Now()
		if err := s.updateState(func(st *syncState) {
			st.Cursor, st.CursorHub, st.LastPullAt = m.Cursor, cl.BaseURL(), &now
		}); err != nil {
			return out, err
		}
		out.Cursor, out.CursorAdvanced = m.Cursor, true
	}
	s.log.Info("changes bundle imported", "bundle", m.ID, "changes", out.Changes, "applied", out.Applied,
		"duplicates", out.Duplicates, "conflicts", out.Conflicts, "cursor", out.Cursor, "advanced", out.CursorAdvanced)
	return out, nil
}

// decryptResults opens the age layer of a changes bundle with this desk's
// identity. The zip inside is read through age's ReaderAt, chunk by
// authenticated chunk, so no decrypted copy reaches the disk.
func decryptResults(r io.ReaderAt, size int64, dev *device) (io.ReaderAt, int64, error) {
	head := make([]byte, len(wire.BundleAgeMagic))
	n, _ := r.ReadAt(head, 0)
	switch head = head[:n]; {
	case wire.IsEncryptedBundle(head):
	case wire.IsPlainBundle(head):
		return nil, 0, fmt.Errorf("%w: a plain zip; the hub writes results bundles encrypted to the desk", wire.ErrBundlePlaintext)
	default:
		return nil, 0, fmt.Errorf("%w: neither an encrypted bundle nor a zip", wire.ErrBundleInvalid)
	}
	id, err := dev.ageIdentity()
	if err != nil {
		return nil, 0, err
	}
	plain, plainSize, err := age.DecryptReaderAt(r, size, id)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", wire.ErrBundleDecrypt, err)
	}
	return plain, plainSize, nil
}

// openChanges opens a changes bundle and checks it is the hub's, for this
// device, and intact, then decodes its changes.
func (s *Service) openChanges(r io.ReaderAt, size int64, dev *device, hubURL string) (*wire.Bundle, []wire.Change, error) {
	b, err := wire.OpenBundle(r, size)
	if err != nil {
		return nil, nil, err
	}
	m := b.Manifest
	if m.Kind != wire.BundleChanges {
		return nil, nil, fmt.Errorf("%w: an %s bundle goes to the hub, not to a desk", wire.ErrBundleInvalid, m.Kind)
	}
	st, err := loadState(s.st)
	if err != nil {
		return nil, nil, err
	}
	if len(st.HubKey) == 0 || st.HubKeyHub != hubURL {
		return nil, nil, ErrNoHubKey
	}
	if err := b.Verify(st.HubKey); err != nil {
		return nil, nil, err
	}
	if m.DeviceID != dev.DeviceID || m.CommuneCode != dev.CommuneCode {
		return nil, nil, fmt.Errorf("%w: written for device %s of %s, this is %s of %s",
			ErrBundleNotOurs, m.DeviceID, m.CommuneCode, dev.DeviceID, dev.CommuneCode)
	}
	if err := b.CheckContent(); err != nil {
		return nil, nil, err
	}
	changes := make([]wire.Change, len(m.Items))
	for i, it := range m.Items {
		raw, err := b.Item(i)
		if err != nil {
			return nil, nil, err
		}
		// As a pull answer: a newer hub may add fields.
		if err := wire.DecodeLenient(bytes.NewReader(raw), wire.MaxBundleItemBytes, &changes[i]); err != nil {
			return nil, nil, fmt.Errorf("%w: change %d: %w", wire.ErrBundleInvalid, i+1, err)
		}
		if changes[i].ID != it.ID || changes[i].DossierID != it.DossierID {
			return nil, nil, fmt.Errorf("%w: change %d is not the one the manifest names", wire.ErrBundleInvalid, i+1)
		}
	}
	return b, changes, nil
}

// bundleCursor decides, from this desk's cursor cur, whether a bundle of
// the changes after since up to next may be applied (not when it starts
// later than cur: the changes in between would be skipped) and whether
// the cursor then moves to next (only forwards, or to a new hub epoch: a
// rebuilt hub starts its log again, and a bundle from its start holds it
// all).
func bundleCursor(cur, since, next string) (bool, error) {
	curEpoch, curSeq, haveCur := wire.ParseCursor(cur)
	if since != "" {
		epoch, seq, ok := wire.ParseCursor(since)
		if !ok || !haveCur || epoch != curEpoch || seq > curSeq {
			return false, fmt.Errorf("%w: it holds the changes after %q; this desk has applied them up to %q", ErrBundleGap, since, cur)
		}
	}
	epoch, seq, ok := wire.ParseCursor(next)
	if !ok {
		return false, nil
	}
	return !haveCur || epoch != curEpoch || seq > curSeq, nil
}

// bundleResults stores the result papers of ch carried in the bundle and
// lists them for the dossier, as the puller's download does. A paper the
// bundle does not carry and this desk does not have is kept by name only,
// as when the hub no longer serves it.
func (s *Service) bundleResults(ctx context.Context, b *wire.Bundle, ch wire.Change) ([]reception.ResultFile, int, error) {
	if s.cfg.Results == nil {
		return nil, 0, nil
	}
	var (
		files  []reception.ResultFile
		stored int
	)
	for _, paper := range ch.Results {
		ref := paper.Blob
		if !wire.ValidSHA256(ref.SHA256) {
			continue
		}
		have, err := s.cfg.Results.Has(ref.SHA256)
		if err != nil {
			return nil, stored, err
		}
		if !have && !b.HasBlob(ref.SHA256) {
			s.log.Warn("result paper not in the bundle; kept by name", "change", ch.ID, "sha256", ref.SHA256)
			continue
		}
		if !have {
			rc, err := b.OpenBlob(ref.SHA256)
			if err != nil {
				return nil, stored, err
			}
			sum, _, err := s.cfg.Results.Put(ctx, rc)
			rc.Close()
			if err != nil {
				return nil, stored, fmt.Errorf("result paper %s: %w", ref.SHA256, err)
			}
			if sum != ref.SHA256 {
				return nil, stored, fmt.Errorf("result paper %s: %w: stored %s", ref.SHA256, wire.ErrBundleTampered, sum)
			}
			stored++
		}
		files = append(files, reception.ResultFile{Name: paper.Name, SHA256: ref.SHA256, Size: ref.Size})
	}
	return files, stored, nil
}
