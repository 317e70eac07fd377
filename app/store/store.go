// Package store owns the local Badger database: opening and closing it,
// the key schema (keys.go), schema migrations, value-log garbage collection,
// and backup/restore. It is the only package that imports Badger.
package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

var (
	// ErrNotFound is returned when a key does not exist.
	ErrNotFound = errors.New("not found")
	// ErrLocked is returned when another process holds the data directory.
	ErrLocked = errors.New("data directory is in use by another process")
	// ErrNewerSchema is returned when the data was written by a newer version
	// of the program; opening it could corrupt it, so we refuse.
	ErrNewerSchema = errors.New("data directory has a newer schema version")
	// ErrEncryptionKey is returned when the encryption key does not match.
	ErrEncryptionKey = errors.New("encryption key mismatch")
)

// Options configure Open.
type Options struct {
	// Dir is the data directory; it is created if missing.
	Dir string
	// EncryptionKey, when set (16, 24 or 32 bytes), encrypts everything at
	// rest with Badger's own AES encryption.
	EncryptionKey []byte
	// GCInterval is how often value-log GC runs; 0 means 10 minutes.
	GCInterval time.Duration
	// Logger receives store logs; nil means slog.Default().
	Logger *slog.Logger
	// UnsafeNoSync turns off fsync on commit. Only for seeding benchmark
	// data: a crash can lose acknowledged writes.
	UnsafeNoSync bool
}

// Store is an open Badger database.
type Store struct {
	db   *badger.DB
	log  *slog.Logger
	stop chan struct{}
	wg   sync.WaitGroup
	wmu  sync.Mutex
	once sync.Once
}

// Open opens (or creates) the store in opts.Dir and runs pending migrations.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("store: empty data directory")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	bo := badger.DefaultOptions(opts.Dir).
		// A printed receipt promises the citizen that the dossier is on disk.
		WithSyncWrites(!opts.UnsafeNoSync).
		WithLogger(badgerLogger{log}).
		// Old office PCs: keep memory modest.
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithBlockCacheSize(32 << 20).
		WithValueLogFileSize(128 << 20)
	if len(opts.EncryptionKey) > 0 {
		bo = bo.WithEncryptionKey(opts.EncryptionKey).WithIndexCacheSize(16 << 20)
	}
	db, err := badger.Open(bo)
	if err != nil {
		return nil, classifyOpenError(opts.Dir, err)
	}
	s := &Store{db: db, log: log, stop: make(chan struct{})}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	interval := opts.GCInterval
	if interval <= 0 {
		interval = 10 * time.Minute
	}
	s.wg.Add(1)
	go s.gcLoop(interval)
	return s, nil
}

func classifyOpenError(dir string, err error) error {
	switch {
	case errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EAGAIN) ||
		strings.Contains(err.Error(), "Cannot acquire directory lock"):
		return fmt.Errorf("open %s: %w", dir, ErrLocked)
	case errors.Is(err, badger.ErrEncryptionKeyMismatch):
		return fmt.Errorf("open %s: %w", dir, ErrEncryptionKey)
	}
	return fmt.Errorf("open store %s: %w", dir, err)
}

// Close stops background work and closes the database. It is safe to call
// more than once.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		close(s.stop)
		s.wg.Wait()
		err = s.db.Close()
	})
	return err
}

// gcLoop reclaims value-log space. Badger's GC rewrites one file per call, so
// we call it until it reports there is nothing left to rewrite.
func (s *Store) gcLoop(interval time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.runGC()
		}
	}
}

func (s *Store) runGC() {
	for i := 0; i < 100; i++ {
		select {
		case <-s.stop:
			return
		default:
		}
		err := s.db.RunValueLogGC(0.5)
		if err == nil {
			continue
		}
		if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
			s.log.Warn("value log gc", "err", err)
		}
		return
	}
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*Txn) error) error {
	return s.db.View(func(t *badger.Txn) error { return fn(&Txn{t: t}) })
}

// Update runs fn in a read-write transaction and commits it durably. On a
// conflict with a concurrent transaction it retries fn, so fn must not have
// side effects outside the transaction.
func (s *Store) Update(fn func(*Txn) error) error {
	// Writers take turns: every write appends to the one audit chain, so
	// optimistic concurrency would only make them collide and redo work.
	// The retry below remains for conflicts with anything else.
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if attempt > 0 {
			// Every write appends to the one audit chain, so concurrent
			// writers always conflict; a random, growing pause lets them
			// take turns instead of colliding again at once.
			time.Sleep(time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6))))
		}
		err = s.db.Update(func(t *badger.Txn) error { return fn(&Txn{t: t}) })
		if !errors.Is(err, badger.ErrConflict) {
			break
		}
	}
	if errors.Is(err, badger.ErrTxnTooBig) {
		return fmt.Errorf("transaction too big: %w", err)
	}
	return err
}

// Txn is a transaction. Values returned by Get are copies and stay valid
// after the transaction ends.
type Txn struct {
	t *badger.Txn
}

// Get returns a copy of the value stored at key, or ErrNotFound.
func (x *Txn) Get(key []byte) ([]byte, error) {
	item, err := x.t.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get %x: %w", key, err)
	}
	return item.ValueCopy(nil)
}

// Set stores val at key.
func (x *Txn) Set(key, val []byte) error {
	if err := x.t.Set(key, val); err != nil {
		return fmt.Errorf("set %x: %w", key, err)
	}
	return nil
}

// Delete removes key.
func (x *Txn) Delete(key []byte) error {
	if err := x.t.Delete(key); err != nil {
		return fmt.Errorf("delete %x: %w", key, err)
	}
	return nil
}

// GetJSON decodes the JSON value at key into v.
func (x *Txn) GetJSON(key []byte, v any) error {
	b, err := x.Get(key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %x: %w", key, err)
	}
	return nil
}

// SetJSON stores v JSON-encoded at key.
func (x *Txn) SetJSON(key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %x: %w", key, err)
	}
	return x.Set(key, b)
}

// Iterate calls fn for every key with the given prefix, in key order. The
// slices passed to fn are only valid during the call.
func (x *Txn) Iterate(prefix []byte, fn func(key, val []byte) error) error {
	it := x.t.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: prefix})
	defer it.Close()
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		err := item.Value(func(val []byte) error { return fn(item.Key(), val) })
		if err != nil {
			return err
		}
	}
	return nil
}

// badgerLogger routes Badger's printf-style logs to slog, demoting its
// chatty info messages to debug.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	b.l.Error(strings.TrimSpace(fmt.Sprintf(f, a...)), "component", "badger")
}
func (b badgerLogger) Warningf(f string, a ...any) {
	b.l.Warn(strings.TrimSpace(fmt.Sprintf(f, a...)), "component", "badger")
}
func (b badgerLogger) Infof(f string, a ...any) {
	b.l.Debug(strings.TrimSpace(fmt.Sprintf(f, a...)), "component", "badger")
}
func (b badgerLogger) Debugf(f string, a ...any) {
	b.l.Debug(strings.TrimSpace(fmt.Sprintf(f, a...)), "component", "badger")
}

// Scan walks keys with prefix starting at from (inclusive; nil means the
// start of the prefix, or its end when reverse), calling fn until it
// returns false or an error. The slices passed to fn are only valid during
// the call. Reverse scans walk keys in descending order.
func (x *Txn) Scan(prefix, from []byte, reverse, keysOnly bool, fn func(key, val []byte) (bool, error)) error {
	opts := badger.IteratorOptions{PrefetchValues: !keysOnly, PrefetchSize: 64, Prefix: prefix, Reverse: reverse}
	it := x.t.NewIterator(opts)
	defer it.Close()
	seek := from
	if seek == nil {
		seek = prefix
		if reverse {
			// Past every key with this prefix.
			seek = append(append([]byte(nil), prefix...), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
		}
	}
	for it.Seek(seek); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		var (
			more bool
			err  error
		)
		if keysOnly {
			more, err = fn(item.Key(), nil)
		} else {
			err = item.Value(func(val []byte) error {
				var ferr error
				more, ferr = fn(item.Key(), val)
				return ferr
			})
		}
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
	return nil
}

// Exists reports whether key is present.
func (x *Txn) Exists(key []byte) (bool, error) {
	_, err := x.t.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// KeyIter walks the keys of one prefix, newest (highest) first, and can
// seek: a search intersecting sorted posting lists leaps over the keys it
// does not need instead of reading them. Close it before the transaction
// ends.
type KeyIter struct {
	it     *badger.Iterator
	prefix []byte
}

// ReverseKeys returns a key iterator over prefix in descending order,
// positioned at its highest key.
func (x *Txn) ReverseKeys(prefix []byte) *KeyIter {
	k := &KeyIter{it: x.t.NewIterator(badger.IteratorOptions{Prefix: prefix, Reverse: true}), prefix: prefix}
	k.it.Seek(append(append([]byte(nil), prefix...), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF))
	return k
}

// gallop is how many keys SeekAtMost steps through before it seeks. A
// seek searches the block index of every table the prefix spans (and, on
// an encrypted store, fetches each index from Badger's index cache at
// every step of that search); posting lists that interleave — dossiers of
// different procedures alternate by ID — mostly need the next key or the
// one after. Stepping first made the join of such lists about twice as
// fast, and more on encrypted stores.
const gallop = 4

// SeekAtMost moves to the highest key ≤ key.
func (k *KeyIter) SeekAtMost(key []byte) {
	// Keys descend: walking down from a key above, the first one ≤ key
	// is the highest, and running off the prefix means there is none.
	if k.it.Valid() && bytes.Compare(k.it.Item().Key(), key) > 0 {
		for range gallop {
			k.it.Next()
			if !k.it.Valid() || bytes.Compare(k.it.Item().Key(), key) <= 0 {
				return
			}
		}
	}
	k.it.Seek(key)
}

// Valid reports whether the iterator is on a key of its prefix.
func (k *KeyIter) Valid() bool { return k.it.ValidForPrefix(k.prefix) }

// At reports whether the iterator is on exactly key.
func (k *KeyIter) At(key []byte) bool { return k.Valid() && bytes.Equal(k.it.Item().Key(), key) }

// Suffix is the current key after the prefix; valid until the next move.
func (k *KeyIter) Suffix() []byte { return k.it.Item().Key()[len(k.prefix):] }

// Next moves to the next lower key.
func (k *KeyIter) Next() { k.it.Next() }

// Close releases the iterator.
func (k *KeyIter) Close() { k.it.Close() }
