package hub

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// inTx runs fn in a transaction and retries the whole transaction when
// PostgreSQL aborted it for a reason that a retry cures (serialization
// failure, deadlock between two pushes touching the same dossiers). fn must
// therefore only compute results it hands over after a nil return. The
// retry is a decorator: it checks ctx before every attempt and stops at the
// first permanent error.
func (s *Server) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return retryTransient(ctx, 4, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, s.db, fn)
	})
}

func retryTransient(ctx context.Context, attempts int, fn func(context.Context) error) error {
	backoff := 10 * time.Millisecond
	for i := 1; ; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := fn(ctx)
		if err == nil || !isTransient(err) || i == attempts {
			return err
		}
		// Full jitter: two pushes that deadlocked must not retry in step.
		d := time.Duration(rand.Int64N(int64(backoff))) + time.Millisecond
		backoff *= 2
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
}

func isTransient(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		}
	}
	return false
}

// isUnavailable reports whether err means the database could not be reached
// (as opposed to a query that failed).
func isUnavailable(err error) bool {
	var netErr net.Error
	var connErr *pgconn.ConnectError
	var pg *pgconn.PgError
	switch {
	case errors.As(err, &connErr), errors.As(err, &netErr):
		return true
	case errors.As(err, &pg):
		// admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
		return pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03" || pg.Code == "53300"
	}
	return pgconn.SafeToRetry(err)
}

// keyLocks serialises work on one key (a blob's uploads) inside this
// process. The hub is one process; several replicas behind a balancer would
// need a PostgreSQL advisory lock here instead.
type keyLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{}
}

// lock waits until key is free or ctx ends.
func (k *keyLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	for {
		k.mu.Lock()
		if k.held == nil {
			k.held = map[string]chan struct{}{}
		}
		ch, busy := k.held[key]
		if !busy {
			ch = make(chan struct{})
			k.held[key] = ch
			k.mu.Unlock()
			return func() {
				k.mu.Lock()
				delete(k.held, key)
				k.mu.Unlock()
				close(ch)
			}, nil
		}
		k.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func noRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
