package syncing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"motcua/sync/client"
	"motcua/sync/outbox"
	"motcua/sync/wire"
)

// errStop ends a push round: the hub is gone, or sending is blocked.
var errStop = errors.New("push stopped")

// pushAll sends ready outbox items, batch after batch, until none is ready
// or a failure says the rest would fail too. It returns when the earliest
// item backing off becomes ready.
func (s *Service) pushAll(ctx context.Context, cl *client.Client) (time.Time, error) {
	for round := 0; ; round++ {
		items, next, err := s.ob.Ready(s.cfg.Batch)
		if err != nil {
			return time.Time{}, err
		}
		if len(items) == 0 || round == 1000 {
			return next, nil
		}
		progressed, err := s.sendBatch(ctx, cl, items)
		if err != nil {
			return next, err
		}
		if !progressed {
			// Every item was only released: trying again at once would
			// spin. The timer brings them back.
			return s.cfg.Now().Add(s.cfg.PollInterval), nil
		}
	}
}

// sendBatch sends items (in queue order: blobs first, then the records)
// and records each item's outcome. It reports whether any item changed
// state for good (synced, backing off or parked).
func (s *Service) sendBatch(ctx context.Context, cl *client.Client, items []outbox.Item) (bool, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID()
	}
	if err := s.ob.MarkUploading(ids); err != nil {
		return false, err
	}
	outs := make(map[string]outbox.Outcome, len(items))

	// Files first: the hub refuses a record whose blobs it lacks.
	if err := s.uploadBlobs(ctx, cl, items, outs); err != nil {
		return s.batchFailed(items, outs, err)
	}

	var req wire.PushRequest
	var dossierItems, eventItems []outbox.Item
	failedDossier := map[string]bool{}
	for _, it := range items {
		if _, done := outs[it.ID()]; done || failedDossier[it.DossierID] {
			failedDossier[it.DossierID] = true
			continue
		}
		switch it.Kind {
		case outbox.KindDossier:
			var d wire.Dossier
			if err := json.Unmarshal(it.Payload, &d); err != nil {
				outs[it.ID()] = outbox.Outcome{ID: it.ID(), Kind: outbox.OutcomePark, Code: CodeInvalidLocal}
				failedDossier[it.DossierID] = true
				continue
			}
			req.Dossiers = append(req.Dossiers, d)
			dossierItems = append(dossierItems, it)
		case outbox.KindEvent:
			var e wire.Event
			if err := json.Unmarshal(it.Payload, &e); err != nil {
				outs[it.ID()] = outbox.Outcome{ID: it.ID(), Kind: outbox.OutcomePark, Code: CodeInvalidLocal}
				failedDossier[it.DossierID] = true
				continue
			}
			req.Events = append(req.Events, e)
			eventItems = append(eventItems, it)
		}
	}
	if len(req.Dossiers)+len(req.Events) > 0 {
		resp, err := cl.Push(ctx, req)
		if err != nil {
			var we *wire.Error
			if errors.As(err, &we) && !we.Retryable() && !authCodes[we.Code] && !versionCodes[we.Code] &&
				we.Code != wire.CodeBodyHash && len(items) > 1 {
				// The hub refused the batch as a whole for something one
				// item may cause: send them one by one so one bad record
				// cannot hold back the rest.
				return s.oneByOne(ctx, cl, items)
			}
			return s.batchFailed(items, outs, err)
		}
		results := map[string]wire.ItemResult{}
		for i, r := range resp.Dossiers {
			results[dossierItems[i].ID()] = r
		}
		for i, r := range resp.Events {
			results[eventItems[i].ID()] = r
		}
		for _, it := range items {
			r, sent := results[it.ID()]
			if !sent {
				continue
			}
			outs[it.ID()] = itemOutcome(it, r)
		}
	}
	return s.record(items, outs)
}

// oneByOne sends each item alone, in order, after a batch-level refusal.
func (s *Service) oneByOne(ctx context.Context, cl *client.Client, items []outbox.Item) (bool, error) {
	progressed := false
	failed := map[string]bool{}
	for _, it := range items {
		if failed[it.DossierID] {
			if _, err := s.ob.Apply([]outbox.Outcome{{ID: it.ID(), Kind: outbox.OutcomeRelease, Code: CodeWaitingPrevious}}); err != nil {
				return progressed, err
			}
			continue
		}
		p, err := s.sendBatch(ctx, cl, []outbox.Item{it})
		progressed = progressed || p
		if err != nil {
			return progressed, err
		}
		if saved, err := s.ob.Get(it.ID()); err == nil && saved.State != outbox.StateSynced {
			failed[it.DossierID] = true
		}
	}
	return progressed, nil
}

// itemOutcome maps the hub's answer about one item.
func itemOutcome(it outbox.Item, r wire.ItemResult) outbox.Outcome {
	out := outbox.Outcome{ID: it.ID(), Code: r.Code, Reason: r.Reason}
	switch {
	case r.Accepted():
		out.Kind, out.HubReceivedAt, out.Code, out.Reason = outbox.OutcomeSynced, r.HubReceivedAt, "", ""
	case r.Code == wire.CodeBlobMissing || r.Code == wire.CodeUnknownDossier || r.Status >= 500 || r.Status == 429:
		// The files or the dossier may arrive yet: try again later.
		out.Kind = outbox.OutcomeRetry
	default:
		// Conflict or rejection: resending the same record fails again.
		out.Kind = outbox.OutcomePark
	}
	return out
}

// record applies the outcomes, in queue order; within a dossier, an item
// after a failed one was not really tried and goes back to pending.
func (s *Service) record(items []outbox.Item, outs map[string]outbox.Outcome) (bool, error) {
	list := make([]outbox.Outcome, 0, len(items))
	failed := map[string]bool{}
	progressed, synced := false, 0
	for _, it := range items {
		out, ok := outs[it.ID()]
		switch {
		case ok && out.Kind == outbox.OutcomeSynced:
			// Accepted is accepted, even behind a failure: the hub has it.
			synced++
		case failed[it.DossierID] || !ok:
			out = outbox.Outcome{ID: it.ID(), Kind: outbox.OutcomeRelease, Code: CodeWaitingPrevious}
			failed[it.DossierID] = true
		default:
			failed[it.DossierID] = true
		}
		if out.Kind != outbox.OutcomeRelease {
			progressed = true
		}
		if out.Kind == outbox.OutcomePark {
			s.log.Warn("hub refused an item; parked for a person", "item", it.ID(), "dossier", it.DossierCode, "code", out.Code,
				"reason", out.Reason)
		}
		list = append(list, out)
	}
	if _, err := s.ob.Apply(list); err != nil {
		return false, err
	}
	if synced > 0 {
		now := s.cfg.Now()
		if err := s.updateState(func(st *syncState) { st.LastPushAt = &now }); err != nil {
			return progressed, err
		}
		s.log.Info("items synced", "count", synced, "of", len(items))
	}
	return progressed, nil
}

// batchFailed records a failure of the whole batch (or of its blobs step)
// for every item not already decided, and returns errStop when the rest of
// the outbox would fail the same way.
func (s *Service) batchFailed(items []outbox.Item, outs map[string]outbox.Outcome, err error) (bool, error) {
	code := problemCode(err)
	_, msg, _ := HubMessage(err)
	kind, stop := outbox.OutcomeRetry, true
	var we *wire.Error
	switch {
	case errors.Is(err, context.Canceled):
		kind = outbox.OutcomeRelease
	case errors.As(err, &we) && authCodes[we.Code]:
		kind = outbox.OutcomePark
		s.block(err)
	case errors.As(err, &we) && versionCodes[we.Code]:
		kind = outbox.OutcomeRelease
		s.block(err)
	case errors.As(err, &we) && !we.Retryable() && we.Code != wire.CodeBodyHash:
		kind, stop = outbox.OutcomePark, false
	}
	for _, it := range items {
		if _, done := outs[it.ID()]; !done {
			outs[it.ID()] = outbox.Outcome{ID: it.ID(), Kind: kind, Code: code, Reason: msg}
		}
	}
	progressed, rerr := s.record(items, outs)
	if rerr != nil {
		return progressed, rerr
	}
	if !stop {
		return progressed, nil
	}
	return progressed, fmt.Errorf("%w: %w", errStop, classify(err))
}

// uploadBlobs uploads the files of items that the hub lacks. An item whose
// file cannot be read or uploaded gets its outcome in outs; an error means
// the hub itself failed and the batch stops.
func (s *Service) uploadBlobs(ctx context.Context, cl *client.Client, items []outbox.Item, outs map[string]outbox.Outcome) error {
	var want []wire.BlobSize
	seen := map[string]bool{}
	for _, it := range items {
		for _, b := range it.Blobs {
			if !seen[b.SHA256] {
				seen[b.SHA256] = true
				want = append(want, wire.BlobSize{SHA256: b.SHA256, Size: b.Size})
			}
		}
	}
	if len(want) == 0 {
		return nil
	}
	missing, err := cl.Missing(ctx, want)
	if err != nil {
		return err
	}
	bad := map[string]outbox.Outcome{} // by blob
	for _, m := range missing {
		if err := s.uploadOne(ctx, cl, m); err != nil {
			var we *wire.Error
			switch {
			case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNoBlobSource):
				bad[m.SHA256] = outbox.Outcome{Kind: outbox.OutcomePark, Code: CodeBlobUnavailable}
			case errors.As(err, &we) && !we.Retryable():
				bad[m.SHA256] = outbox.Outcome{Kind: outbox.OutcomePark, Code: we.Code, Reason: we.Message}
			case errors.As(err, &we), errors.Is(err, client.ErrUploadStalled):
				bad[m.SHA256] = outbox.Outcome{Kind: outbox.OutcomeRetry, Code: problemCode(err)}
			default:
				return err // the link or the hub: stop the batch
			}
			s.log.Warn("blob upload failed", "sha256", m.SHA256, "err", err)
		}
	}
	for _, it := range items {
		var done int64
		for _, b := range it.Blobs {
			if o, isBad := bad[b.SHA256]; isBad {
				if _, decided := outs[it.ID()]; !decided {
					o.ID = it.ID()
					outs[it.ID()] = o
				}
				continue
			}
			done += b.Size
		}
		if len(it.Blobs) > 0 {
			if err := s.ob.Progress(it.ID(), done); err != nil {
				return err
			}
		}
	}
	return nil
}

var errNoBlobSource = errors.New("no blob source configured")

func (s *Service) uploadOne(ctx context.Context, cl *client.Client, m wire.MissingBlob) error {
	if s.cfg.Blobs == nil {
		return errNoBlobSource
	}
	r, err := s.cfg.Blobs.OpenBlob(ctx, m.SHA256)
	if err != nil {
		return fmt.Errorf("open blob %s: %w", m.SHA256, err)
	}
	defer r.Close()
	return cl.Upload(ctx, m, r, nil)
}
