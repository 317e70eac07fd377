package digitize

import (
	"encoding/json"
	"testing"

	"motcua/app/store"
)

// checkCounts compares the kept counters, overall and of every archive
// batch, with a count of every job, in one snapshot, and returns the
// overall counters. It may run on the runner's goroutine (no t.Fatal).
func (f *fixture) checkCounts(t *testing.T) Counts {
	t.Helper()
	walked := map[string]*Counts{"": {}}
	kept := map[string]Counts{}
	err := f.st.View(func(x *store.Txn) error {
		err := x.Iterate(store.PrefixScanTime(), func(k, _ []byte) error {
			var j Job
			if err := f.svc.getJob(x, store.ScanTimeJob(k), &j); err != nil {
				return err
			}
			walked[""].add(j.State)
			if j.BatchID != "" {
				if walked[j.BatchID] == nil {
					walked[j.BatchID] = &Counts{}
				}
				walked[j.BatchID].add(j.State)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := x.Iterate(store.PrefixArchiveBatches(), func(_, v []byte) error {
			var b Batch
			if err := json.Unmarshal(v, &b); err != nil {
				return err
			}
			if walked[b.ID] == nil {
				walked[b.ID] = &Counts{}
			}
			return nil
		}); err != nil {
			return err
		}
		for b := range walked {
			c, err := readCounts(x, b)
			if err != nil {
				return err
			}
			kept[b] = c
		}
		return nil
	})
	if err != nil {
		t.Error(err)
		return Counts{}
	}
	for b, w := range walked {
		if kept[b] != *w {
			t.Errorf("batch %q: counters %+v, every job counted %+v", b, kept[b], *w)
		}
	}
	return kept[""]
}
