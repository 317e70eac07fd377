package backup

import (
	"context"
	"errors"
	"fmt"

	"motcua/app/store"
)

// ErrNotFresh means the store already holds something a person made or
// received, so a restore from the first-run screen may not replace it.
var ErrNotFresh = errors.New("the store is not fresh")

// FirstRunActor is who a restore prepared from the first-run screen is
// recorded as: no account exists yet.
const FirstRunActor = "first_run"

// A store is fresh when none of these tables holds a key: no account, no
// dossier (nothing received, so no applicant, event or outbox item either),
// no scan job or archive batch, no file referenced by anything, no change
// pulled from the hub, and no hub enrolment. What a fresh start writes by
// itself — the schema version, the audit chain, the pending recovery key,
// office and catalog settings — does not count: it is the same on every new
// install, and a first-run set-up that failed half-way may leave the office
// settings.
var freshTables = []struct {
	name   string
	prefix []byte
}{
	{"accounts", store.PrefixUsers()},
	{"dossiers", store.PrefixDossier()},
	{"outbox", store.PrefixOutbox()},
	{"scan jobs", store.PrefixScanTime()},
	{"archive batches", store.PrefixArchiveBatches()},
	{"blob references", store.PrefixAllBlobRefs()},
	{"sync conflicts", store.PrefixSyncConflict()},
	{"hub enrolment", store.KeySyncDevice()},
}

// Fresh reports whether the store is fresh (see freshTables): the only
// state in which the first-run screen may restore another PC's backup over
// it.
func (s *Service) Fresh(ctx context.Context) (bool, error) {
	err := s.mustBeFresh()
	if errors.Is(err, ErrNotFresh) {
		return false, nil
	}
	return err == nil, err
}

// mustBeFresh is ErrNotFresh, naming the first table that holds data, when
// the store is not fresh.
func (s *Service) mustBeFresh() error {
	return s.st.View(func(x *store.Txn) error {
		for _, t := range freshTables {
			found := false
			if err := x.Scan(t.prefix, nil, false, true, func([]byte, []byte) (bool, error) {
				found = true
				return false, nil
			}); err != nil {
				return fmt.Errorf("check %s: %w", t.name, err)
			}
			if found {
				return fmt.Errorf("%w: it holds %s", ErrNotFresh, t.name)
			}
		}
		return nil
	})
}
