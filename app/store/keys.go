package store

// This file is the one place that defines the Badger key schema. Every key
// starts with a one-byte prefix naming its table; the rest of the layout is
// documented next to each prefix. Numbers inside keys are big-endian so that
// Badger's byte order is numeric order. IDs never contain NUL, which
// separates variable-length parts. Never reuse or renumber a prefix: add a
// new one and a migration instead.

import (
	"encoding/binary"
	"fmt"
)

const (
	// prefixMeta holds store-level metadata.
	//   0x00 "schema"     -> big-endian uint32 schema version
	//   0x00 "created"    -> RFC 3339 creation time
	//   0x00 "audit_head" -> JSON {seq, hash} of the last audit entry
	prefixMeta byte = 0x00

	// prefixSettings holds singleton configuration documents, JSON.
	//   0x01 "office"           -> office settings
	//   0x01 "catalog"          -> installed procedure catalog (exchange JSON)
	//   0x01 "calendar_override/YYYY" -> that year's holiday override file
	//   0x01 "recovery_pending" -> the vault's recovery key until the office
	//                              confirmed it wrote it down
	//   0x01 "sync_device"      -> the hub enrolment: hub URL, device ID and
	//                              its Ed25519 private key (app/syncing)
	//   0x01 "sync_state"       -> pull cursor and last sync times
	//   0x01 "sync_audit"       -> the audit sender's cursor: the device the
	//                              chain goes to and the last seq the hub
	//                              holds (app/syncing)
	//   0x01 "scan_intake"      -> the scan watch folder (app/digitize)
	//   0x01 "legacy_blob_key"  -> the blob key of a store created before
	//                              encryption at rest (no vault)
	//   0x01 "backup"           -> scheduled backups (app/backup): folder,
	//                              schedule, how many to keep, and the
	//                              result of the last run and last success
	prefixSettings byte = 0x01

	// prefixDossier: 0x02 | dossierID -> dossier JSON.
	prefixDossier byte = 0x02

	// prefixEvent: 0x03 | dossierID | 0x00 | seq(u64) -> event JSON, in
	// the order the actions happened.
	prefixEvent byte = 0x03

	// prefixDossierCode: 0x04 | dossier code -> dossierID.
	prefixDossierCode byte = 0x04

	// prefixDaySeq: 0x05 | agency code | 0x00 | "yyMMdd" -> u64, the last
	// sequence number handed out that day. Written in the same transaction
	// as the dossier that takes the number, so a number is never reused.
	prefixDaySeq byte = 0x05

	// prefixApplicant: 0x06 | applicantID -> applicant JSON.
	prefixApplicant byte = 0x06

	// prefixApplicantIndex: 0x07 | kind | term | 0x00 | applicantID -> "".
	// kind 'i' = ID number, 'p' = phone digits, 'n' = folded name word.
	prefixApplicantIndex byte = 0x07

	// prefixStateDue: 0x08 | state | 0x00 | due(u64 unix seconds) |
	// dossierID -> "". Work lists walk one state in due order.
	prefixStateDue byte = 0x08

	// prefixReceived: 0x09 | received(u64 unix nanoseconds) | dossierID ->
	// "". The register and the recent list walk it by time.
	prefixReceived byte = 0x09

	// prefixAudit: 0x0A | seq(u64) -> audit entry JSON, hash-chained.
	prefixAudit byte = 0x0A

	// prefixRequest: 0x0B | requestID -> JSON answer of the first request
	// with that ID, so a retried submit returns it instead of acting twice.
	prefixRequest byte = 0x0B

	// prefixApplicantDossier: 0x0C | applicantID | 0x00 | received(u64
	// unix nanoseconds) | dossierID -> "".
	prefixApplicantDossier byte = 0x0C

	// prefixDossierTerm: 0x0D | folded word | 0x00 | dossierID -> "".
	// Words of the code, applicant name and ID, and procedure name.
	prefixDossierTerm byte = 0x0D

	// prefixOutbox: 0x0E | dossierID | 0x00 | seq(u64) -> outbox item JSON
	// (package sync/outbox): what the hub must learn about one dossier, in
	// the order it must learn it. Written in the same transaction as the
	// dossier change it reports; kept after it is synced, for the Outbox
	// screen, until purged.
	prefixOutbox byte = 0x0E

	// prefixOutboxQueue: 0x0F | enqueued(u64 unix nanoseconds) | dossierID |
	// 0x00 | seq(u64) -> "" while the item is not synced. The sender walks
	// it oldest first; deleted when the hub accepts the item.
	prefixOutboxQueue byte = 0x0F

	// prefixOutboxSeq: 0x10 | dossierID -> u64, the last outbox sequence
	// number of the dossier. Separate from the dossier's event counter
	// because changes pulled from the hub add events that are not queued.
	prefixOutboxSeq byte = 0x10

	// prefixSyncConflict: 0x11 | changeID -> JSON of a change pulled from
	// the hub that no longer fits the local dossier (app/syncing). Kept for
	// a person to resolve; never dropped.
	prefixSyncConflict byte = 0x11

	// prefixSyncNote: 0x12 | dossierID | 0x00 | changeID -> JSON of a
	// processing note the hub sent for the dossier (app/syncing).
	prefixSyncNote byte = 0x12
)

// Accounts use prefixes from 0x20 on.
const (
	// prefixUser: 0x20 | userID -> user JSON (argon2id hash, roles).
	prefixUser byte = 0x20
	// prefixUsername: 0x21 | lowercase username -> userID.
	prefixUsername byte = 0x21
)

// Digitisation (app/digitize) uses prefixes from 0x30 on. Page numbers are
// big-endian uint32, 1-based in the imported file.
const (
	// prefixScanJob: 0x30 | jobID -> scan job JSON (one imported file).
	prefixScanJob byte = 0x30
	// prefixScanQueue: 0x31 | enqueued(u64 unix nanoseconds) | jobID -> ""
	// while the job is queued or running, oldest first. Schema 2 moves it
	// to prefixScanRunQueue, which orders by class first.
	prefixScanQueue byte = 0x31
	// prefixScanPage: 0x32 | jobID | 0x00 | page(u32) -> page JSON (text,
	// word boxes, confidence, image blob). Written once per page, in the
	// same transaction that advances the job: a resumed job skips it.
	prefixScanPage byte = 0x32
	// prefixScanFile: 0x33 | SHA-256 hex of the imported file -> jobID, so
	// the same file imported twice is recognised.
	prefixScanFile byte = 0x33
	// prefixScanDossier: 0x34 | dossierID | 0x00 | jobID -> "": the scans
	// bound to a dossier.
	prefixScanDossier byte = 0x34
	// prefixScanTerm: 0x35 | folded word | 0x00 | jobID | 0x00 | page(u32)
	// -> "": the OCR text search index.
	prefixScanTerm byte = 0x35
	// prefixBlobRef: 0x36 | blob SHA-256 hex | 0x00 | referrer -> "": who
	// needs a blob (a scan job's original, page or PDF; an outbox item). A
	// blob with no key here may be collected; one with a key never is.
	prefixBlobRef byte = 0x36
	// prefixArchiveBatch: 0x37 | batchID -> archive batch JSON.
	prefixArchiveBatch byte = 0x37
	// prefixBatchDoc: 0x38 | batchID | 0x00 | jobID -> document metadata
	// JSON (regulations.md §4 minimum set).
	prefixBatchDoc byte = 0x38
	// prefixScanPageHash: 0x39 | page image SHA-256 hex -> jobID | 0x00 |
	// page(u32): the first page seen with this image, to report duplicates.
	prefixScanPageHash byte = 0x39
	// prefixScanTime: 0x3A | created(u64 unix nanoseconds) | jobID -> "":
	// every job, for the newest-first list.
	prefixScanTime byte = 0x3A
	// prefixScanWords: 0x3B | jobID | 0x00 | page(u32) -> JSON of the
	// page's OCR words and boxes, kept apart from the page record so that
	// lists and search never decode them; the searchable PDF is assembled
	// from them.
	prefixScanWords byte = 0x3B
	// prefixScanRunQueue: 0x3C | class(u8) | enqueued(u64 unix
	// nanoseconds) | jobID -> "" while the job is queued or running. The
	// runner takes the first key: every job of class 0 before any of class
	// 1, oldest first within a class. A running job gives way between pages
	// when a key of an earlier class appears, and later resumes at its first
	// page not stored. The key is deleted when the job is done or failed, so
	// a crash leaves unfinished jobs here to resume. The class follows from
	// the job (ScanQueueClass); the key moves when a binding changes it.
	prefixScanRunQueue byte = 0x3C
	// prefixScanCount: 0x3D | batchID ("" for every job) | 0x00 | state ->
	// u64 big-endian: how many jobs are in that state, changed in the
	// transaction that changes a job's state, so the counts of the job
	// list need no walk over every job.
	prefixScanCount byte = 0x3D
)

var (
	keySchemaVersion = []byte{prefixMeta, 's', 'c', 'h', 'e', 'm', 'a'}
	keyCreated       = []byte{prefixMeta, 'c', 'r', 'e', 'a', 't', 'e', 'd'}
	keyAuditHead     = append([]byte{prefixMeta}, "audit_head"...)
)

// KeyOfficeSettings is the key of the office settings document.
func KeyOfficeSettings() []byte { return settingsKey("office") }

// KeyCatalog holds the installed procedure catalog when it is not the
// built-in one (imported from the province or edited at the desk).
func KeyCatalog() []byte { return settingsKey("catalog") }

// KeyCalendarOverride holds the holiday override file of one year.
func KeyCalendarOverride(year int) []byte {
	return settingsKey(fmt.Sprintf("calendar_override/%04d", year))
}

// PrefixCalendarOverrides covers every year's override.
func PrefixCalendarOverrides() []byte { return settingsKey("calendar_override/") }

// KeyPendingRecovery holds the recovery key until it is acknowledged.
func KeyPendingRecovery() []byte { return settingsKey("recovery_pending") }

func settingsKey(name string) []byte {
	return append([]byte{prefixSettings}, name...)
}

// KeyUser is a user account.
func KeyUser(id string) []byte { return join(prefixUser, id) }

// PrefixUsers covers all user accounts.
func PrefixUsers() []byte { return []byte{prefixUser} }

// KeyUsername maps a lowercase username to its user ID.
func KeyUsername(name string) []byte { return join(prefixUsername, name) }

// KeySyncDevice holds the device's hub enrolment, private key included:
// it lives in the store because the store is what encryption at rest and
// the encrypted backups protect.
func KeySyncDevice() []byte { return settingsKey("sync_device") }

// KeyScanIntake holds the scan intake settings (the watch folder).
func KeyScanIntake() []byte { return settingsKey("scan_intake") }

// KeyLegacyBlobKey holds the blob key of a store without a vault.
func KeyLegacyBlobKey() []byte { return settingsKey("legacy_blob_key") }

// KeySyncState holds the pull cursor and the last sync times.
func KeySyncState() []byte { return settingsKey("sync_state") }

// KeySyncAudit holds the cursor of the audit entries sent to the hub.
func KeySyncAudit() []byte { return settingsKey("sync_audit") }

// KeyBackup holds the backup schedule and the last results (app/backup).
func KeyBackup() []byte { return settingsKey("backup") }

// KeyAuditHead holds the position and hash of the last audit entry.
func KeyAuditHead() []byte { return keyAuditHead }

// KeyAudit is the audit entry with sequence seq; PrefixAudit covers all.
func KeyAudit(seq uint64) []byte { return binary.BigEndian.AppendUint64([]byte{prefixAudit}, seq) }

// PrefixAudit is the prefix of all audit entries.
func PrefixAudit() []byte { return []byte{prefixAudit} }

// KeyDossier is the dossier document.
func KeyDossier(id string) []byte { return join(prefixDossier, id) }

// PrefixDossier covers all dossier documents.
func PrefixDossier() []byte { return []byte{prefixDossier} }

// KeyEvent is event number seq of a dossier.
func KeyEvent(dossierID string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(join(prefixEvent, dossierID, ""), seq)
}

// PrefixEvents covers the events of one dossier.
func PrefixEvents(dossierID string) []byte { return join(prefixEvent, dossierID, "") }

// KeyDossierCode maps a dossier code to its ID.
func KeyDossierCode(code string) []byte { return join(prefixDossierCode, code) }

// KeyDaySeq is the dossier-number counter of an agency for one day.
func KeyDaySeq(agency, yymmdd string) []byte { return join(prefixDaySeq, agency, yymmdd) }

// KeyApplicant is the applicant document.
func KeyApplicant(id string) []byte { return join(prefixApplicant, id) }

// Applicant index kinds.
const (
	ApplicantByID    byte = 'i'
	ApplicantByPhone byte = 'p'
	ApplicantByName  byte = 'n'
)

// KeyApplicantIndex is one index entry pointing at an applicant.
func KeyApplicantIndex(kind byte, term, applicantID string) []byte {
	return join(prefixApplicantIndex, string(kind)+term, applicantID)
}

// PrefixApplicantIndex covers index entries whose term starts with term.
func PrefixApplicantIndex(kind byte, termPrefix string) []byte {
	return append([]byte{prefixApplicantIndex, kind}, termPrefix...)
}

// ApplicantIndexID extracts the applicant ID from an index key.
func ApplicantIndexID(key []byte) string { return afterLastNUL(key) }

// KeyStateDue is the work-list entry of a dossier in state with due time.
func KeyStateDue(state string, due int64, dossierID string) []byte {
	k := binary.BigEndian.AppendUint64(join(prefixStateDue, state, ""), uint64(due))
	return append(k, dossierID...)
}

// PrefixStateDue covers one state's work list.
func PrefixStateDue(state string) []byte { return join(prefixStateDue, state, "") }

// StateDueBound is the key position of due time t within a state's list.
func StateDueBound(state string, due int64) []byte {
	return binary.BigEndian.AppendUint64(join(prefixStateDue, state, ""), uint64(due))
}

// StateDueID extracts the dossier ID from a work-list key.
func StateDueID(key []byte, state string) string {
	return string(key[len(PrefixStateDue(state))+8:])
}

// KeyReceived is the by-receipt-time entry of a dossier.
func KeyReceived(unixNano int64, dossierID string) []byte {
	return append(binary.BigEndian.AppendUint64([]byte{prefixReceived}, uint64(unixNano)), dossierID...)
}

// PrefixReceived covers the by-receipt-time index.
func PrefixReceived() []byte { return []byte{prefixReceived} }

// ReceivedBound is the key position of time t in the by-receipt-time index.
func ReceivedBound(unixNano int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixReceived}, uint64(unixNano))
}

// ReceivedID extracts the dossier ID from a by-receipt-time key.
func ReceivedID(key []byte) string { return string(key[9:]) }

// KeyRequest records the answer to a client request ID.
func KeyRequest(requestID string) []byte { return join(prefixRequest, requestID) }

// KeyApplicantDossier links an applicant to a dossier.
func KeyApplicantDossier(applicantID string, unixNano int64, dossierID string) []byte {
	k := binary.BigEndian.AppendUint64(join(prefixApplicantDossier, applicantID, ""), uint64(unixNano))
	return append(k, dossierID...)
}

// PrefixApplicantDossiers covers the dossiers of one applicant.
func PrefixApplicantDossiers(applicantID string) []byte {
	return join(prefixApplicantDossier, applicantID, "")
}

// ApplicantDossierID extracts the dossier ID of an applicant-dossier key.
func ApplicantDossierID(key []byte, applicantID string) string {
	return string(key[len(PrefixApplicantDossiers(applicantID))+8:])
}

// KeyDossierTerm is one search word of a dossier.
func KeyDossierTerm(word, dossierID string) []byte { return join(prefixDossierTerm, word, dossierID) }

// PrefixDossierTerm covers entries whose word starts with wordPrefix.
func PrefixDossierTerm(wordPrefix string) []byte {
	return append([]byte{prefixDossierTerm}, wordPrefix...)
}

// DossierTermID extracts the dossier ID from a search-word key.
func DossierTermID(key []byte) string { return afterLastNUL(key) }

// KeyOutbox is outbox item seq of a dossier.
func KeyOutbox(dossierID string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(join(prefixOutbox, dossierID, ""), seq)
}

// PrefixOutbox covers every outbox item; PrefixOutboxDossier one dossier's.
func PrefixOutbox() []byte { return []byte{prefixOutbox} }

// PrefixOutboxDossier covers the outbox items of one dossier, in order.
func PrefixOutboxDossier(dossierID string) []byte { return join(prefixOutbox, dossierID, "") }

// KeyOutboxQueue is the send-queue entry of an unsynced outbox item.
func KeyOutboxQueue(enqueuedUnixNano int64, dossierID string, seq uint64) []byte {
	k := binary.BigEndian.AppendUint64([]byte{prefixOutboxQueue}, uint64(enqueuedUnixNano))
	k = append(append(k, dossierID...), 0)
	return binary.BigEndian.AppendUint64(k, seq)
}

// PrefixOutboxQueue covers the send queue.
func PrefixOutboxQueue() []byte { return []byte{prefixOutboxQueue} }

// OutboxQueueItem extracts the dossier ID and sequence of a queue key.
func OutboxQueueItem(key []byte) (dossierID string, seq uint64, ok bool) {
	if len(key) < 1+8+1+8 || key[0] != prefixOutboxQueue || key[len(key)-9] != 0 {
		return "", 0, false
	}
	return string(key[9 : len(key)-9]), binary.BigEndian.Uint64(key[len(key)-8:]), true
}

// OutboxItemSeq extracts the sequence of an outbox item key.
func OutboxItemSeq(key []byte) uint64 { return binary.BigEndian.Uint64(key[len(key)-8:]) }

// KeyOutboxSeq is the outbox sequence counter of a dossier.
func KeyOutboxSeq(dossierID string) []byte { return join(prefixOutboxSeq, dossierID) }

// KeySyncConflict is a pulled change waiting for a person.
func KeySyncConflict(changeID string) []byte { return join(prefixSyncConflict, changeID) }

// PrefixSyncConflict covers every recorded conflict.
func PrefixSyncConflict() []byte { return []byte{prefixSyncConflict} }

// KeySyncNote is a processing note from the hub on a dossier.
func KeySyncNote(dossierID, changeID string) []byte { return join(prefixSyncNote, dossierID, changeID) }

// PrefixSyncNotes covers the hub's notes on one dossier.
func PrefixSyncNotes(dossierID string) []byte { return join(prefixSyncNote, dossierID, "") }

// KeyScanJob is a scan job; PrefixScanJob covers all.
func KeyScanJob(id string) []byte { return join(prefixScanJob, id) }

// PrefixScanQueue covers the scan queue of schema 1 (0x31), which the
// migration to schema 2 empties.
func PrefixScanQueue() []byte { return []byte{prefixScanQueue} }

// ScanQueueJob returns the job ID of a schema 1 scan queue key.
func ScanQueueJob(key []byte) string { return string(key[9:]) }

// KeyScanRunQueue is a job's place in the scan queue: its class first,
// then when it was queued.
func KeyScanRunQueue(class uint8, enqueuedUnixNano int64, jobID string) []byte {
	return append(binary.BigEndian.AppendUint64([]byte{prefixScanRunQueue, class}, uint64(enqueuedUnixNano)), jobID...)
}

// Classes of the scan run queue, first served first: scans of a dossier
// (taken at the desk while the applicant may wait), then loose scans, then
// archive batches (long registers with no one waiting).
const (
	ScanClassDossier uint8 = 0
	ScanClassLoose   uint8 = 1
	ScanClassArchive uint8 = 2
)

// ScanQueueClass is the class of a job bound to dossierID and in archive
// batch batchID (either may be "").
func ScanQueueClass(dossierID, batchID string) uint8 {
	switch {
	case dossierID != "":
		return ScanClassDossier
	case batchID != "":
		return ScanClassArchive
	}
	return ScanClassLoose
}

// PrefixScanRunQueue covers the scan queue, in the order the runner takes
// it.
func PrefixScanRunQueue() []byte { return []byte{prefixScanRunQueue} }

// ScanRunQueueEntry returns the class and job ID of a KeyScanRunQueue key.
func ScanRunQueueEntry(key []byte) (class uint8, jobID string) { return key[1], string(key[10:]) }

// KeyScanCount is the number of jobs in state among every job (batchID
// "") or among those of one archive batch.
func KeyScanCount(batchID, state string) []byte { return join(prefixScanCount, batchID, state) }

// PrefixScanCounts covers every job counter.
func PrefixScanCounts() []byte { return []byte{prefixScanCount} }

// KeyScanPage is page n of a job.
func KeyScanPage(jobID string, n int) []byte {
	return binary.BigEndian.AppendUint32(join(prefixScanPage, jobID, ""), uint32(n))
}

// PrefixScanPages covers the pages of a job, in page order.
func PrefixScanPages(jobID string) []byte { return join(prefixScanPage, jobID, "") }

// KeyScanWords holds the OCR words of page n of a job.
func KeyScanWords(jobID string, n int) []byte {
	return binary.BigEndian.AppendUint32(join(prefixScanWords, jobID, ""), uint32(n))
}

// KeyScanFile maps an imported file's SHA-256 to its job.
func KeyScanFile(sha string) []byte { return join(prefixScanFile, sha) }

// KeyScanDossier binds a job to a dossier.
func KeyScanDossier(dossierID, jobID string) []byte { return join(prefixScanDossier, dossierID, jobID) }

// PrefixScanDossier covers the jobs bound to a dossier.
func PrefixScanDossier(dossierID string) []byte { return join(prefixScanDossier, dossierID, "") }

// KeyScanTerm is one word of one OCR'd page in the search index.
func KeyScanTerm(word, jobID string, page int) []byte {
	return binary.BigEndian.AppendUint32(join(prefixScanTerm, word, jobID, ""), uint32(page))
}

// PrefixScanTerm covers the postings of every word starting with
// wordPrefix; pass a complete word and exact=true for that word only.
func PrefixScanTerm(word string, exact bool) []byte {
	if exact {
		return join(prefixScanTerm, word, "")
	}
	return join(prefixScanTerm, word)
}

// ScanTermPosting returns the word, job and page of a search index key.
func ScanTermPosting(key []byte) (word, jobID string, page int, ok bool) {
	if len(key) < 1+4+2 {
		return "", "", 0, false
	}
	page = int(binary.BigEndian.Uint32(key[len(key)-4:]))
	rest := key[1 : len(key)-5] // word 0x00 jobID (and the 0x00 before the page)
	if key[len(key)-5] != 0 {
		return "", "", 0, false
	}
	for i, c := range rest {
		if c == 0 {
			return string(rest[:i]), string(rest[i+1:]), page, true
		}
	}
	return "", "", 0, false
}

// KeyBlobRef records that referrer needs blob sha.
func KeyBlobRef(sha, referrer string) []byte { return join(prefixBlobRef, sha, referrer) }

// PrefixBlobRefs covers the referrers of blob sha.
func PrefixBlobRefs(sha string) []byte { return join(prefixBlobRef, sha, "") }

// PrefixAllBlobRefs covers every blob reference; BlobRefSHA reads the blob
// digest of such a key (a backup check lists the blobs a store needs).
func PrefixAllBlobRefs() []byte { return []byte{prefixBlobRef} }

// BlobRefSHA returns the blob digest of a KeyBlobRef key.
func BlobRefSHA(key []byte) string {
	rest := key[1:]
	for i, c := range rest {
		if c == 0 {
			return string(rest[:i])
		}
	}
	return string(rest)
}

// KeyArchiveBatch is an archive batch; PrefixArchiveBatches covers all.
func KeyArchiveBatch(id string) []byte { return join(prefixArchiveBatch, id) }

// PrefixArchiveBatches covers every archive batch.
func PrefixArchiveBatches() []byte { return []byte{prefixArchiveBatch} }

// KeyBatchDoc is a document of an archive batch with its metadata.
func KeyBatchDoc(batchID, jobID string) []byte { return join(prefixBatchDoc, batchID, jobID) }

// PrefixBatchDocs covers the documents of a batch.
func PrefixBatchDocs(batchID string) []byte { return join(prefixBatchDoc, batchID, "") }

// KeyScanPageHash maps a page image digest to the first page that had it.
func KeyScanPageHash(sha string) []byte { return join(prefixScanPageHash, sha) }

// KeyScanTime orders jobs by creation time.
func KeyScanTime(createdUnixNano int64, jobID string) []byte {
	return append(binary.BigEndian.AppendUint64([]byte{prefixScanTime}, uint64(createdUnixNano)), jobID...)
}

// PrefixScanTime covers every job by creation time.
func PrefixScanTime() []byte { return []byte{prefixScanTime} }

// ScanTimeJob returns the job ID of a KeyScanTime key.
func ScanTimeJob(key []byte) string { return string(key[9:]) }

// AfterLastNUL returns what follows the last 0x00 of key: the trailing ID
// of keys built as prefix | … | 0x00 | id.
func AfterLastNUL(key []byte) string { return afterLastNUL(key) }

// join builds prefix | parts[0] | 0x00 | parts[1] | 0x00 | … | parts[n-1].
func join(prefix byte, parts ...string) []byte {
	n := 1
	for _, p := range parts {
		n += len(p) + 1
	}
	k := make([]byte, 0, n)
	k = append(k, prefix)
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, p...)
	}
	return k
}

func afterLastNUL(key []byte) string {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == 0 {
			return string(key[i+1:])
		}
	}
	return ""
}
