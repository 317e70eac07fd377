package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// The desk's audit log travels to the hub so that a desk whose local log is
// rewritten, or whose PC is lost, can be checked against the hub's copy.
//
//	POST /v1/audit   AuditRequest → AuditResponse (signed, like a push)
//
// The desk keeps one hash chain (app/audit); each entry names the hash of
// the one before. The hub stores a device's entries in order and only ever
// appends: an entry must link to the hub's stored entry before it (Prev
// equal to that entry's hash, AuditGenesis for seq 1) and must match its own
// Hash. Sending an entry the hub already holds with the same hash is a
// duplicate; the same seq with another hash, a broken link or an entry that
// does not match its hash is a conflict, which the hub records and shows to
// its staff: the desk's log was changed after it was sent, or was rewritten.
// A seq beyond the hub's last one + 1 is refused as a gap; the answer says
// where the hub stands, so the desk sends again from there.
const PathAudit = "/v1/audit"

// Limits of one audit batch.
const (
	MaxAuditEntries = 500
	MaxAuditBytes   = 4 << 20 // decompressed
)

// AuditGenesis is the Prev of a chain's first entry.
const AuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Codes of audit results that were not stored.
const (
	CodeAuditConflict = "audit_conflict" // the entry contradicts what the hub holds: recorded, shown to hub staff
	CodeAuditGap      = "audit_gap"      // entries before it are missing on the hub: send from AuditResponse.Stored
)

// AuditEntry is one entry of a desk's audit log, exactly as the desk keeps
// it (app/audit uses this type). It holds who did what to which object, and
// SHA-256 digests of the object's document before and after: never the
// document, so no citizen's data. Summary is a short label such as a
// dossier code.
type AuditEntry struct {
	Seq    uint64    `json:"seq"`
	At     time.Time `json:"at"` // device time, UTC
	Actor  string    `json:"actor"`
	Role   string    `json:"role,omitempty"`
	Action string    `json:"action"`
	Object string    `json:"object"` // e.g. "dossier/<id>", "settings/office"
	// Before and After are SHA-256 hex digests of the object's stored
	// document around the change ("" when it did not exist).
	Before  string `json:"before,omitempty"`
	After   string `json:"after,omitempty"`
	Summary string `json:"summary,omitempty"`
	Prev    string `json:"prev"`
	Hash    string `json:"hash"`
}

// ComputeHash returns the hash e must carry: the SHA-256 hex of e's JSON
// (encoding/json, fields in the order above) with Hash empty. The field set,
// order and tags are part of the hash: changing them breaks every chain
// already written (the golden file audit_request.json pins the bytes).
func (e AuditEntry) ComputeHash() string {
	e.Hash = ""
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("wire: marshal audit entry: %v", err)) // a struct of strings, a number and a time
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// maxAuditText bounds each text field of an entry. The bound is generous:
// an entry the hub refuses for its size would stop the chain for good.
const maxAuditText = 8000

// Validate checks that e is well-formed; whether it links and matches its
// hash is the hub's check against what it holds.
func (e *AuditEntry) Validate() error {
	var c checker
	if e.Seq == 0 {
		c.add("seq must be at least 1")
	}
	if e.At.IsZero() {
		c.add("at is required")
	}
	if !ValidSHA256(e.Prev) {
		c.add("prev is not 64 lowercase hex digits")
	}
	if !ValidSHA256(e.Hash) {
		c.add("hash is not 64 lowercase hex digits")
	}
	for _, f := range []struct{ name, v string }{
		{"actor", e.Actor}, {"role", e.Role}, {"action", e.Action}, {"object", e.Object},
		{"before", e.Before}, {"after", e.After}, {"summary", e.Summary},
	} {
		c.length(f.name, f.v, maxAuditText)
	}
	return c.err()
}

// AuditHead names the last entry of a chain (seq 0: an empty chain).
type AuditHead struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash,omitempty"`
}

// AuditRequest carries consecutive entries of the device's chain, oldest
// first, and the desk's head at the time, so the hub can tell how far
// behind its copy is.
type AuditRequest struct {
	Head    AuditHead    `json:"head"`
	Entries []AuditEntry `json:"entries"`
}

// Check reports what makes the batch unusable as a whole: too many
// entries, seqs that are not consecutive, a head behind its entries.
func (r *AuditRequest) Check() error {
	var c checker
	if len(r.Entries) > MaxAuditEntries {
		c.add("more than %d entries", MaxAuditEntries)
	}
	for i := 1; i < len(r.Entries); i++ {
		if r.Entries[i].Seq != r.Entries[i-1].Seq+1 {
			c.add("entries[%d] has seq %d after %d: entries must be consecutive", i, r.Entries[i].Seq, r.Entries[i-1].Seq)
			break
		}
	}
	if n := len(r.Entries); n > 0 && r.Head.Seq < r.Entries[n-1].Seq {
		c.add("head seq %d is before the last entry (%d)", r.Head.Seq, r.Entries[n-1].Seq)
	}
	if r.Head.Seq > 0 && !ValidSHA256(r.Head.Hash) {
		c.add("head hash is not 64 lowercase hex digits")
	}
	return c.err()
}

// AuditResponse answers a well-formed audit batch. Results cover the
// entries in order up to and including the first one that was not stored;
// the hub did not look at the entries after it. Stored is the hub's last
// stored entry of the device after the batch.
type AuditResponse struct {
	Results []AuditResult `json:"results"`
	Stored  AuditHead     `json:"stored"`
}

// AuditResult is the hub's answer about one entry. Outcome is
// OutcomeCreated or OutcomeDuplicate (the hub holds it: the desk may move
// its cursor past it), OutcomeConflict (CodeAuditConflict) or
// OutcomeRejected (CodeAuditGap, CodeInvalidRecord).
type AuditResult struct {
	Seq     uint64 `json:"seq"`
	Outcome string `json:"outcome"`
	Code    string `json:"code,omitempty"`
	Reason  string `json:"reason,omitempty"` // Vietnamese
}

// Accepted reports whether the hub holds the entry.
func (r AuditResult) Accepted() bool {
	return r.Outcome == OutcomeCreated || r.Outcome == OutcomeDuplicate
}
