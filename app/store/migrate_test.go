package store

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// downgrade sets the stored schema version back to v, as a store written
// by an older program has it; fn writes that program's keys.
func downgrade(t *testing.T, dir string, v uint32, fn func(x *Txn) error) {
	t.Helper()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Update(func(x *Txn) error {
		if err := fn(x); err != nil {
			return err
		}
		return x.Set(keySchemaVersion, binary.BigEndian.AppendUint32(nil, v))
	}); err != nil {
		t.Fatal(err)
	}
}

func oldQueueKey(enqueued int64, id string) []byte {
	return append(binary.BigEndian.AppendUint64([]byte{prefixScanQueue}, uint64(enqueued)), id...)
}

// TestMigrateScanRunQueue: schema 1's queue (0x31, by time only) moves to
// the run queue with each job's class; a key without its job is dropped.
func TestMigrateScanRunQueue(t *testing.T) {
	dir := t.TempDir()
	jobs := map[string]string{
		"j-archive": `{"id":"j-archive","state":"running","batchId":"b1","enqueued":100}`,
		"j-loose":   `{"id":"j-loose","state":"queued","enqueued":200}`,
		"j-dossier": `{"id":"j-dossier","state":"queued","dossierId":"d1","batchId":"","enqueued":300}`,
	}
	downgrade(t, dir, 1, func(x *Txn) error {
		for id, js := range jobs {
			if err := x.Set(KeyScanJob(id), []byte(js)); err != nil {
				return err
			}
		}
		for enq, id := range map[int64]string{100: "j-archive", 200: "j-loose", 300: "j-dossier", 400: "j-gone"} {
			if err := x.Set(oldQueueKey(enq, id), nil); err != nil {
				return err
			}
		}
		return nil
	})

	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.Version(); err != nil || v != SchemaVersion() {
		t.Fatalf("version %d %v", v, err)
	}
	var got []string
	var old int
	err = s.View(func(x *Txn) error {
		if err := x.Iterate(PrefixScanRunQueue(), func(k, _ []byte) error {
			class, id := ScanRunQueueEntry(k)
			got = append(got, fmt.Sprintf("%d %s %d", class, id, binary.BigEndian.Uint64(k[2:10])))
			return nil
		}); err != nil {
			return err
		}
		return x.Iterate(PrefixScanQueue(), func(_, _ []byte) error { old++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0 j-dossier 300", "1 j-loose 200", "2 j-archive 100"}
	if !slices.Equal(got, want) {
		t.Errorf("run queue %q, want %q", got, want)
	}
	if old != 0 {
		t.Errorf("%d keys left in the old queue", old)
	}
}

// TestMigrateScanCounts: a store of schema 2 has no job counters; the
// migration counts every job by state, overall and per archive batch.
func TestMigrateScanCounts(t *testing.T) {
	dir := t.TempDir()
	jobs := []string{
		`{"id":"a","state":"done","batchId":"b1"}`,
		`{"id":"b","state":"done"}`,
		`{"id":"c","state":"failed","batchId":"b1"}`,
		`{"id":"d","state":"running","batchId":"b2"}`,
		`{"id":"e","state":"queued","dossierId":"d1"}`,
		`{"id":"f","state":"done","batchId":"b2"}`,
	}
	downgrade(t, dir, 2, func(x *Txn) error {
		for i, js := range jobs {
			if err := x.Set(KeyScanJob(string(rune('a'+i))), []byte(js)); err != nil {
				return err
			}
		}
		return nil
	})
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := map[string]uint64{}
	err = s.View(func(x *Txn) error {
		return x.Iterate(PrefixScanCounts(), func(k, v []byte) error {
			got[strings.ReplaceAll(string(k[1:]), "\x00", "/")] = binary.BigEndian.Uint64(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{"/done": 3, "/failed": 1, "/running": 1, "/queued": 1,
		"b1/done": 1, "b1/failed": 1, "b2/running": 1, "b2/done": 1}
	if !maps.Equal(got, want) {
		t.Errorf("counters %v, want %v", got, want)
	}
}
