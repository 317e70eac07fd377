// Package wire is the sync protocol between a commune's desk application and
// the provincial hub: the protocol version and its negotiation, the JSON
// documents both sides exchange, request signing, and the decoders that read
// them. It imports only the standard library and no other motcua package, so
// a commune app and a hub built months apart still agree on what it says;
// the golden files in testdata pin every document byte for byte.
//
// # Endpoints (protocol 1.x)
//
//	GET   /v1/health                 unauthenticated; HealthResponse with Marker and the echoed challenge
//	POST  /v1/enrol                  EnrolRequest (one-time code + Ed25519 public key + proof) → EnrolResponse
//	POST  /v1/push                   PushRequest → PushResponse (one ItemResult per dossier and per event)
//	GET   /v1/changes?since=CURSOR   PullResponse: hub-side changes for the device's commune, oldest first
//	POST  /v1/blobs/missing          MissingRequest → MissingResponse (with the offset to resume each from)
//	HEAD  /v1/blobs/{sha256}         Upload-Offset / Upload-Length / Motcua-Blob-State of that blob
//	PATCH /v1/blobs/{sha256}         one chunk at Upload-Offset (Content-Type application/offset+octet-stream)
//	GET   /v1/blobs/{sha256}         download (Range supported) of a blob the commune's dossiers reference
//	POST  /v1/audit                  AuditRequest → AuditResponse: the device's audit chain, in order (audit.go)
//	GET   /v1/reference/{name}       a document the province publishes (ReferenceDoc; listed in every PullResponse)
//	GET   /v1/bundle-key             the hub's public key for the changes bundles it signs (bundle.go)
//	PUT   /v1/device/recipient       DeviceRecipient: the device's age recipient, to which changes bundles are encrypted (1.1)
//
// Every request carries HeaderProtocol. Every request but health and enrol is
// signed by the device (see SignRequest). Errors are an ErrorResponse.
//
// # Idempotency
//
// Dossiers and events carry IDs minted on the commune (UUIDv7 or ULID). The
// hub gets-or-creates by ID: a replay of the same content is answered
// OutcomeDuplicate with the first reception's time and never stored twice;
// the same ID with different content is OutcomeConflict. Blobs are addressed
// by their SHA-256 and uploaded before the records that reference them.
//
// # Times
//
// Times are RFC 3339 on the wire. Device times (ReceivedAt, DueAt, Event.At)
// keep the offset the desk recorded them in; the hub adds its own reception
// time. Conversion to the national portal's yyyyMMddHHmmss is the hub's job.
package wire
