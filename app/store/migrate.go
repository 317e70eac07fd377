package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// migrations[i] upgrades the schema from version i to i+1. Append only:
// a released migration is never edited.
var migrations = []func(*Txn) error{
	// 0 -> 1: a new store records when it was created.
	func(x *Txn) error {
		return x.Set(keyCreated, []byte(time.Now().UTC().Format(time.RFC3339)))
	},
	// 1 -> 2: the scan queue orders by class (dossier scans first).
	migrateScanRunQueue,
	// 2 -> 3: scan jobs are counted per state (0x3D).
	migrateScanCounts,
}

// migrateScanRunQueue moves every scan queue key from 0x31 to 0x3C with the
// class of its job, read from the job's JSON (app/digitize.Job: "dossierId",
// "batchId"). A key whose job is gone is dropped, as the runner would.
func migrateScanRunQueue(x *Txn) error {
	var old [][]byte
	err := x.Scan(PrefixScanQueue(), nil, false, true, func(k, _ []byte) (bool, error) {
		old = append(old, append([]byte(nil), k...))
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, k := range old {
		if len(k) < 10 {
			return fmt.Errorf("scan queue key %x too short", k)
		}
		id := ScanQueueJob(k)
		var job struct {
			DossierID string `json:"dossierId"`
			BatchID   string `json:"batchId"`
		}
		switch err := x.GetJSON(KeyScanJob(id), &job); {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		default:
			enqueued := int64(binary.BigEndian.Uint64(k[1:9]))
			if err := x.Set(KeyScanRunQueue(ScanQueueClass(job.DossierID, job.BatchID), enqueued, id), nil); err != nil {
				return err
			}
		}
		if err := x.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion is the version this program writes.
func SchemaVersion() uint32 { return uint32(len(migrations)) }

func (s *Store) migrate() error {
	return s.Update(func(x *Txn) error {
		cur, err := readVersion(x)
		if err != nil {
			return err
		}
		want := SchemaVersion()
		if cur > want {
			return fmt.Errorf("schema %d > %d: %w", cur, want, ErrNewerSchema)
		}
		for v := cur; v < want; v++ {
			if err := migrations[v](x); err != nil {
				return fmt.Errorf("migrate schema %d -> %d: %w", v, v+1, err)
			}
			s.log.Info("store migrated", "from", v, "to", v+1)
		}
		return x.Set(keySchemaVersion, binary.BigEndian.AppendUint32(nil, want))
	})
}

func readVersion(x *Txn) (uint32, error) {
	b, err := x.Get(keySchemaVersion)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(b) != 4 {
		return 0, fmt.Errorf("schema version key has %d bytes", len(b))
	}
	return binary.BigEndian.Uint32(b), nil
}

// Version reports the schema version stored in the database.
func (s *Store) Version() (uint32, error) {
	var v uint32
	err := s.View(func(x *Txn) error {
		var err error
		v, err = readVersion(x)
		return err
	})
	return v, err
}

// migrateScanCounts counts every scan job by state, overall and per archive
// batch, from the jobs' JSON (app/digitize.Job: "state", "batchId"); from
// then on app/digitize keeps the counters in the transactions that change a
// job's state.
func migrateScanCounts(x *Txn) error {
	counts := map[string]uint64{}
	err := x.Iterate([]byte{prefixScanJob}, func(k, v []byte) error {
		var job struct {
			State   string `json:"state"`
			BatchID string `json:"batchId"`
		}
		if err := json.Unmarshal(v, &job); err != nil {
			return fmt.Errorf("scan job %q: %w", k[1:], err)
		}
		counts[string(KeyScanCount("", job.State))]++
		if job.BatchID != "" {
			counts[string(KeyScanCount(job.BatchID, job.State))]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	for k, n := range counts {
		if err := x.Set([]byte(k), binary.BigEndian.AppendUint64(nil, n)); err != nil {
			return err
		}
	}
	return nil
}
