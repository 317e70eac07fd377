package syncing

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"motcua/app/audit"
	"motcua/app/store"
	"motcua/sync/client"
	"motcua/sync/wire"
)

// The audit chain goes to the hub after the outbox, from a cursor kept in
// the store (KeySyncAudit): the last seq the hub holds, under the device
// it was sent as. A new enrolment starts again from the first entry; the
// hub keeps one chain per device. Entries hold who, what, which object and
// digests of the documents, with a summary such as a dossier code: never
// the dossier itself.

// auditBatch bounds one audit push.
const auditBatch = 200

// Problem codes of the audit sender (AuditStatus.AuditProblem), beside the
// hub's own (wire.CodeAuditConflict …).
const (
	CodeAuditLocal = "audit_local" // the local chain cannot be read in order: run the audit check
)

// auditCursor is stored under KeySyncAudit.
type auditCursor struct {
	Device string     `json:"device"`
	Sent   uint64     `json:"sent"`
	At     *time.Time `json:"at,omitempty"` // when the hub last stored entries
}

// auditRun is the sender's state between cycles; it lives in memory, so a
// restart tries again at once.
type auditRun struct {
	attempts    int
	nextAt      time.Time
	problem     string
	message     string
	conflictSeq uint64
}

// AuditStatus is what the desk shows about its audit chain on the hub.
type AuditStatus struct {
	// AuditPending is how many entries of the local chain the hub does not
	// hold yet (all of them before enrolment).
	AuditPending uint64     `json:"auditPending"`
	AuditSentAt  *time.Time `json:"auditSentAt,omitempty"`
	// AuditProblem is why entries wait: the hub's code (audit_conflict: the
	// local log differs from the copy the hub holds, from AuditConflictSeq
	// on) or CodeAuditLocal; AuditMessage the hub's words.
	AuditProblem     string `json:"auditProblem,omitempty"`
	AuditMessage     string `json:"auditMessage,omitempty"`
	AuditConflictSeq uint64 `json:"auditConflictSeq,omitempty"`
}

func loadAuditCursor(st *store.Store) (auditCursor, error) {
	var c auditCursor
	err := st.View(func(x *store.Txn) error { return x.GetJSON(store.KeySyncAudit(), &c) })
	if errors.Is(err, store.ErrNotFound) {
		return auditCursor{}, nil
	}
	return c, err
}

func (s *Service) saveAuditCursor(c auditCursor) error {
	return s.st.Update(func(x *store.Txn) error { return x.SetJSON(store.KeySyncAudit(), c) })
}

// auditStatus reads the cursor and the chain head.
func (s *Service) auditStatus() (AuditStatus, error) {
	cur, err := loadAuditCursor(s.st)
	if err != nil {
		return AuditStatus{}, err
	}
	head, _, err := audit.Head(s.st)
	if err != nil {
		return AuditStatus{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sent := uint64(0)
	if s.dev != nil && cur.Device == s.dev.DeviceID {
		sent = cur.Sent
	}
	out := AuditStatus{AuditSentAt: cur.At, AuditProblem: s.audit.problem, AuditMessage: s.audit.message,
		AuditConflictSeq: s.audit.conflictSeq}
	if head > sent {
		out.AuditPending = head - sent
	}
	return out, nil
}

// pushAudit sends the entries the hub lacks, batch after batch, and
// returns the earlier of next and when it wants to run again. It never
// stops the rest of the cycle: the outbox went first, the pull goes after.
func (s *Service) pushAudit(ctx context.Context, cl *client.Client, next time.Time) time.Time {
	s.mu.Lock()
	dev, run := s.dev, s.audit
	s.mu.Unlock()
	if dev == nil || dev.DeviceID == "" {
		return next
	}
	if now := s.cfg.Now(); now.Before(run.nextAt) {
		return earliest(next, run.nextAt)
	}
	wake, err := s.sendAudit(ctx, cl, dev.DeviceID)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("audit entries not sent", "err", err)
	}
	return earliest(next, wake)
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// sendAudit is one round of pushAudit; it records the outcome in s.audit
// and returns when to try again (zero: when there is something new).
func (s *Service) sendAudit(ctx context.Context, cl *client.Client, deviceID string) (time.Time, error) {
	cur, err := loadAuditCursor(s.st)
	if err != nil {
		return time.Time{}, err
	}
	if cur.Device != deviceID {
		cur = auditCursor{Device: deviceID}
	}
	for round := 0; round < 1000 && ctx.Err() == nil; round++ {
		head, headHash, err := audit.Head(s.st)
		if err != nil {
			return time.Time{}, err
		}
		if head < cur.Sent {
			// The chain is shorter than what was sent (restored from an
			// older backup, or cut): send from its end, so the hub sees
			// the next entry against the one it holds.
			cur.Sent = head
			if err := s.saveAuditCursor(cur); err != nil {
				return time.Time{}, err
			}
		}
		if head == cur.Sent {
			s.auditDone()
			return time.Time{}, nil
		}
		entries, err := audit.Since(s.st, cur.Sent, auditBatch)
		if err == nil && len(entries) == 0 {
			err = errors.New("audit entry after the last one sent is missing")
		}
		if err != nil {
			return s.auditHold(CodeAuditLocal, "", 0), err
		}
		resp, err := cl.PushAudit(ctx, wire.AuditRequest{Head: wire.AuditHead{Seq: head, Hash: headHash}, Entries: entries})
		if err != nil {
			var we *wire.Error
			switch {
			case ctx.Err() != nil:
				return time.Time{}, err
			case errors.As(err, &we) && (authCodes[we.Code] || versionCodes[we.Code]):
				s.block(err)
				return s.auditHold(we.Code, we.Message, 0), err
			case errors.As(err, &we) && !we.Retryable():
				return s.auditHold(we.Code, we.Message, 0), err
			}
			return s.auditRetry(problemCode(err)), err
		}
		stored := false
		for _, r := range resp.Results {
			if !r.Accepted() {
				break
			}
			cur.Sent, stored = r.Seq, true
		}
		if stored {
			at := s.cfg.Now()
			cur.At = &at
		}
		failed := len(resp.Results) > 0 && !resp.Results[len(resp.Results)-1].Accepted()
		if failed && resp.Results[len(resp.Results)-1].Code == wire.CodeAuditGap && resp.Stored.Seq < cur.Sent+1 {
			// The hub holds less than this desk thought (its database came
			// back from a backup): send again from where it stands.
			s.log.Info("hub holds fewer audit entries than sent; sending again from its last", "hub_seq", resp.Stored.Seq,
				"sent", cur.Sent)
			cur.Sent, failed = resp.Stored.Seq, false
		}
		if err := s.saveAuditCursor(cur); err != nil {
			return time.Time{}, err
		}
		if failed {
			r := resp.Results[len(resp.Results)-1]
			if r.Code == wire.CodeAuditConflict {
				s.log.Warn("the hub's copy of the audit log differs from this desk's: recorded at the hub for a person",
					"seq", r.Seq, "reason", r.Reason)
				return s.auditHold(r.Code, r.Reason, r.Seq), nil
			}
			return s.auditHold(r.Code, r.Reason, 0), nil
		}
		if len(resp.Results) == 0 {
			return s.auditRetry(CodeProtocolError), errors.New("hub answered an audit batch without results")
		}
	}
	return time.Time{}, ctx.Err()
}

// auditDone clears the sender's problem: the hub holds the whole chain.
func (s *Service) auditDone() {
	s.mu.Lock()
	s.audit = auditRun{}
	s.mu.Unlock()
}

// auditRetry backs off after a failure that may pass (the link, the hub),
// with the outbox's schedule; past its attempts it keeps the longest wait:
// the chain must get there eventually and needs nobody to ask.
func (s *Service) auditRetry(code string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audit.attempts++
	s.audit.problem, s.audit.message, s.audit.conflictSeq = code, "", 0
	s.audit.nextAt = s.cfg.Now().Add(s.cfg.Policy.Delay(min(s.audit.attempts, s.cfg.Policy.MaxAttempts), rand.Float64()))
	return s.audit.nextAt
}

// auditHold waits the longest back-off after an answer that sending the
// same again will not change (a conflict, a refusal); a person acts, and
// trying again now and then keeps the hub's record of it fresh.
func (s *Service) auditHold(code, msg string, seq uint64) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audit.attempts = s.cfg.Policy.MaxAttempts
	s.audit.problem, s.audit.message, s.audit.conflictSeq = code, msg, seq
	s.audit.nextAt = s.cfg.Now().Add(s.cfg.Policy.Delay(s.audit.attempts, rand.Float64()))
	return s.audit.nextAt
}
