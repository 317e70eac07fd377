package syncing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"motcua/app/dossier"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/sync/client"
	"motcua/sync/wire"
)

// pullPage is how many changes one pull asks for.
const pullPage = 200

// pullAll brings the hub's changes since the stored cursor into the local
// dossiers, page by page. Each change is applied in its own transaction,
// idempotently by its ID; the cursor is saved after its page, so a crash
// in between only means applying some changes a second time, which does
// nothing.
func (s *Service) pullAll(ctx context.Context, cl *client.Client, applier ChangeApplier) (err error) {
	st, err := loadState(s.st)
	if err != nil {
		return err
	}
	cursor := st.Cursor
	if st.CursorHub != cl.BaseURL() {
		cursor = ""
	}
	applied := 0
	var reference []wire.ReferenceDoc
	defer func() {
		// After the dossiers' changes: a catalog or calendar update is
		// never in the way of a result reaching the desk.
		if err == nil && reference != nil {
			err = s.installReference(ctx, cl, reference)
		}
	}()
	for page := 0; page < 1000; page++ {
		resp, err := cl.Pull(ctx, cursor, pullPage)
		if err != nil {
			var we *wire.Error
			if errors.As(err, &we) && (authCodes[we.Code] || versionCodes[we.Code]) {
				s.block(err)
			}
			return classify(err)
		}
		for _, ch := range resp.Changes {
			hc := hubChange(ch)
			// Files first: a result paper is in the blob store before the
			// change that names it is applied; a failed download leaves
			// the cursor where it is, for the next pull.
			if hc.ResultFiles, err = s.fetchResults(ctx, cl, ch); err != nil {
				return classify(err)
			}
			res, err := applier.ApplyHubChange(ctx, hc, s.keep(ch))
			if err != nil {
				return fmt.Errorf("apply change %s: %w", ch.ID, err)
			}
			switch res.Outcome {
			case reception.HubDuplicate:
			case reception.HubConflict:
				applied++
				s.log.Warn("hub change does not fit the local dossier; recorded for a person", "change", ch.ID,
					"dossier", ch.DossierCode, "problem", res.Problem, "local", res.From, "hub_to", ch.To)
			default:
				applied++
			}
		}
		if page == 0 {
			reference = resp.Reference
		}
		now := s.cfg.Now()
		cursor = resp.Cursor
		if err := s.updateState(func(st *syncState) {
			st.Cursor, st.CursorHub, st.LastPullAt = resp.Cursor, cl.BaseURL(), &now
		}); err != nil {
			return err
		}
		if !resp.More {
			break
		}
	}
	if applied > 0 {
		s.log.Info("hub changes applied", "count", applied)
	}
	return nil
}

// installReference fetches and installs the published documents whose
// content differs from what this desk last installed. A document the desk
// refuses (an older catalog version, a calendar for another year, a broken
// file) is remembered as seen and logged, so it is not fetched again on
// every pull; the province publishes a fixed one under a new digest.
func (s *Service) installReference(ctx context.Context, cl *client.Client, docs []wire.ReferenceDoc) error {
	if s.cfg.Reference == nil {
		return nil
	}
	st, err := loadState(s.st)
	if err != nil {
		return err
	}
	for _, doc := range docs {
		if st.Reference[doc.Name] == doc.SHA256 {
			continue
		}
		raw, err := cl.Reference(ctx, doc)
		if err != nil {
			return classify(err)
		}
		if err := s.cfg.Reference.InstallReference(ctx, doc, raw); err != nil {
			s.log.Warn("published document not installed", "file", doc.Name, "sha256", doc.SHA256, "err", err)
		} else {
			s.log.Info("published document installed", "file", doc.Name, "sha256", doc.SHA256)
		}
		if err := s.updateState(func(st *syncState) {
			if st.Reference == nil {
				st.Reference = map[string]string{}
			}
			st.Reference[doc.Name] = doc.SHA256
		}); err != nil {
			return err
		}
	}
	return nil
}

// fetchResults downloads the result papers of ch that are not stored yet.
// A paper the hub no longer serves (404) is recorded by name only: the
// change must not be stuck behind it forever.
func (s *Service) fetchResults(ctx context.Context, cl *client.Client, ch wire.Change) ([]reception.ResultFile, error) {
	var out []reception.ResultFile
	if s.cfg.Results == nil {
		return nil, nil
	}
	for _, r := range ch.Results {
		b := r.Blob
		if !wire.ValidSHA256(b.SHA256) {
			continue
		}
		if ok, err := s.cfg.Results.Has(b.SHA256); err != nil {
			return nil, err
		} else if !ok {
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(cl.Download(ctx, b.SHA256, b.Size, pw)) }()
			sum, _, err := s.cfg.Results.Put(ctx, pr)
			pr.CloseWithError(err)
			var we *wire.Error
			if errors.As(err, &we) && we.Code == wire.CodeNotFound {
				s.log.Warn("result paper not on the hub; kept by name", "change", ch.ID, "sha256", b.SHA256)
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("result paper %s: %w", b.SHA256, err)
			}
			if sum != b.SHA256 {
				return nil, fmt.Errorf("result paper %s: stored %s", b.SHA256, sum)
			}
		}
		out = append(out, reception.ResultFile{Name: r.Name, SHA256: b.SHA256, Size: b.Size})
	}
	return out, nil
}

// hubChange translates a wire change into the desk's vocabulary.
func hubChange(ch wire.Change) reception.HubChange {
	hc := reception.HubChange{
		ID: ch.ID, DossierID: ch.DossierID, At: ch.At, Actor: ch.Actor, ActorName: ch.ActorName,
		Reason: ch.Reason, Note: ch.Note, DueAt: ch.DueAt, SupplementItems: ch.SupplementItems, Amount: ch.Amount,
	}
	if ch.Kind != wire.ChangeNote {
		hc.Action, hc.To = dossier.Action(ch.Action), dossier.State(ch.To)
	}
	if ch.Agency != nil {
		hc.AgencyCode, hc.AgencyName = ch.Agency.Code, ch.Agency.Name
	}
	for _, r := range ch.Results {
		hc.ResultDocs = append(hc.ResultDocs, r.Name)
	}
	return hc
}

// Conflict is a change from the hub that no longer fits the local dossier:
// recorded for a person, never dropped.
type Conflict struct {
	ChangeID    string        `json:"changeId"`
	DossierID   string        `json:"dossierId"`
	DossierCode string        `json:"dossierCode"`
	Problem     string        `json:"problem"` // reception.HubProblem*
	LocalState  dossier.State `json:"localState"`
	Change      wire.Change   `json:"change"`
	RecordedAt  time.Time     `json:"recordedAt"`
}

// Note is a processing note from the hub.
type Note struct {
	ChangeID  string    `json:"changeId"`
	DossierID string    `json:"dossierId"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	ActorName string    `json:"actorName,omitempty"`
	Agency    string    `json:"agency,omitempty"`
	Note      string    `json:"note"`
}

// keep returns what runs inside the change's transaction: conflicts and
// notes are stored with the change's "applied" mark, or not at all.
func (s *Service) keep(ch wire.Change) func(x *store.Txn, r reception.HubResult) error {
	return func(x *store.Txn, r reception.HubResult) error {
		switch r.Outcome {
		case reception.HubConflict:
			return x.SetJSON(store.KeySyncConflict(ch.ID), Conflict{ChangeID: ch.ID, DossierID: ch.DossierID,
				DossierCode: ch.DossierCode, Problem: r.Problem, LocalState: r.From, Change: ch, RecordedAt: s.cfg.Now()})
		case reception.HubNoted:
			n := Note{ChangeID: ch.ID, DossierID: ch.DossierID, At: ch.At, Actor: ch.Actor, ActorName: ch.ActorName, Note: ch.Note}
			if ch.Agency != nil {
				n.Agency = ch.Agency.Name
			}
			return x.SetJSON(store.KeySyncNote(ch.DossierID, ch.ID), n)
		}
		return nil
	}
}

// Conflicts lists the recorded conflicts, oldest change first.
func (s *Service) Conflicts(ctx context.Context) ([]Conflict, error) {
	out := []Conflict{}
	err := s.st.View(func(x *store.Txn) error {
		return x.Iterate(store.PrefixSyncConflict(), func(_, val []byte) error {
			var c Conflict
			if err := json.Unmarshal(val, &c); err != nil {
				return fmt.Errorf("decode conflict: %w", err)
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

func (s *Service) countConflicts() (int, error) {
	n := 0
	err := s.st.View(func(x *store.Txn) error {
		return x.Scan(store.PrefixSyncConflict(), nil, false, true, func(_, _ []byte) (bool, error) {
			n++
			return true, nil
		})
	})
	return n, err
}

// Notes lists the hub's processing notes on a dossier.
func (s *Service) Notes(ctx context.Context, dossierID string) ([]Note, error) {
	out := []Note{}
	err := s.st.View(func(x *store.Txn) error {
		return x.Iterate(store.PrefixSyncNotes(dossierID), func(_, val []byte) error {
			var n Note
			if err := json.Unmarshal(val, &n); err != nil {
				return fmt.Errorf("decode note: %w", err)
			}
			out = append(out, n)
			return nil
		})
	})
	return out, err
}
