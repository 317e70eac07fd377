package digitize

import (
	"encoding/binary"
	"errors"
	"fmt"

	"motcua/app/store"
)

// saveJob writes j and, when its state is not the one it was read with
// (getJob) or j is new, moves it between the per-state counters in the same
// transaction: the counters cannot drift from the jobs, even across a
// crash.
func (s *Service) saveJob(x *store.Txn, j *Job) error {
	if j.savedState != j.State {
		scopes := []string{""}
		if j.BatchID != "" {
			scopes = append(scopes, j.BatchID)
		}
		for _, b := range scopes {
			if j.savedState != "" {
				if err := s.addCount(x, b, j.savedState, -1); err != nil {
					return err
				}
			}
			if err := s.addCount(x, b, j.State, 1); err != nil {
				return err
			}
		}
	}
	if err := x.SetJSON(store.KeyScanJob(j.ID), j); err != nil {
		return err
	}
	j.savedState = j.State
	return nil
}

func (s *Service) addCount(x *store.Txn, batchID string, st State, delta int64) error {
	k := store.KeyScanCount(batchID, string(st))
	n, err := getCount(x, k)
	if err != nil {
		return err
	}
	if delta < 0 && n < uint64(-delta) {
		// A counter below zero is a bug; a wrong count must not stop
		// the queue.
		s.log.Error("scan counter below zero", "batch", batchID, "state", st, "count", n, "delta", delta)
		n = 0
	} else {
		n = uint64(int64(n) + delta)
	}
	return x.Set(k, binary.BigEndian.AppendUint64(nil, n))
}

func getCount(x *store.Txn, k []byte) (uint64, error) {
	v, err := x.Get(k)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("scan counter %q: %d bytes", k, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// readCounts reads the counters of every job (batchID "") or of one
// archive batch.
func readCounts(x *store.Txn, batchID string) (Counts, error) {
	var c Counts
	for st, n := range map[State]*int{StateQueued: &c.Queued, StateRunning: &c.Running, StateDone: &c.Done, StateFailed: &c.Failed} {
		v, err := getCount(x, store.KeyScanCount(batchID, string(st)))
		if err != nil {
			return Counts{}, err
		}
		*n = int(v)
	}
	return c, nil
}

// add counts one job in state st.
func (c *Counts) add(st State) {
	switch st {
	case StateQueued:
		c.Queued++
	case StateRunning:
		c.Running++
	case StateDone:
		c.Done++
	case StateFailed:
		c.Failed++
	}
}

// of is the count of state st.
func (c Counts) of(st State) int {
	switch st {
	case StateQueued:
		return c.Queued
	case StateRunning:
		return c.Running
	case StateDone:
		return c.Done
	case StateFailed:
		return c.Failed
	}
	return 0
}
