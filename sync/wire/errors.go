package wire

import (
	"net/http"
	"time"
)

// Machine codes of the error envelope and of rejected push items. Clients
// switch on them; the message is for people (Vietnamese, shown to the clerk).
const (
	// Request-level problems.
	CodeInvalidJSON      = "invalid_json"
	CodeUnknownField     = "unknown_field"
	CodeTooLarge         = "too_large"
	CodeUnsupportedMedia = "unsupported_media_type"
	CodeBadRequest       = "bad_request"
	CodeNotFound         = "not_found"
	CodeMethod           = "method_not_allowed"
	CodeProtocolMissing  = "protocol_missing"
	CodeClientTooOld     = "client_too_old"
	CodeHubTooOld        = "hub_too_old"
	CodeInternal         = "internal_error"
	CodeUnavailable      = "unavailable"

	// Authentication and enrolment.
	CodeUnauthenticated = "unauthenticated"
	CodeBadSignature    = "bad_signature"
	CodeStaleTimestamp  = "stale_timestamp"
	CodeReplayedNonce   = "replayed_nonce"
	CodeUnknownDevice   = "unknown_device"
	CodeDeviceRevoked   = "device_revoked"
	CodeForbidden       = "forbidden"
	CodeEnrolCodeBad    = "enrolment_code_invalid"
	CodeEnrolCodeUsed   = "enrolment_code_used"
	CodeEnrolCodeExpiry = "enrolment_code_expired"
	CodeKeyInUse        = "public_key_in_use"

	// Blob uploads.
	CodeOffsetMismatch = "offset_mismatch"
	CodeLengthMismatch = "length_mismatch"
	CodeUploadBusy     = "upload_busy"
	CodeHashMismatch   = "hash_mismatch"
	CodeBodyHash       = "body_hash_mismatch"

	// Push items (ItemResult.Code).
	CodeInvalidRecord   = "invalid_record"
	CodeWrongCommune    = "wrong_commune"
	CodeBlobMissing     = "blob_missing"
	CodeBlobMismatch    = "blob_mismatch"
	CodeContentConflict = "content_conflict"
	CodeStateConflict   = "state_conflict"
	CodeUnknownDossier  = "unknown_dossier"
	CodeDossierCodeUsed = "dossier_code_taken"
)

// ErrorResponse is the body of every non-2xx answer of the hub.
type ErrorResponse struct {
	Error Error `json:"error"`
}

// Error is the error envelope's content. It is also a Go error, so a client
// can return it from a call and a retry decorator can ask Retryable.
type Error struct {
	// Status is the HTTP status the error travelled with; it is not in the
	// JSON because the response line already carries it.
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// MinProtocol and MaxProtocol tell a refused client which versions the
	// hub serves (version errors only).
	MinProtocol string `json:"min_protocol,omitempty"`
	MaxProtocol string `json:"max_protocol,omitempty"`
	// HubTime lets a device with a wrong clock correct the timestamps it
	// signs (stale_timestamp only); its legal device times stay untouched.
	HubTime *time.Time `json:"hub_time,omitempty"`
	// Offset is where an upload stands on the hub (offset_mismatch).
	Offset *int64 `json:"offset,omitempty"`
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return "hub: " + http.StatusText(e.Status) + ": " + e.Code + ": " + e.Message
	}
	return "hub: " + e.Code + ": " + e.Message
}

// Retryable reports whether sending the same thing again (re-signed, after a
// back-off) can succeed. Everything else is permanent: the outbox parks the
// item with Message until a person acts.
func (e *Error) Retryable() bool {
	switch e.Code {
	case CodeUnavailable, CodeInternal, CodeUploadBusy, CodeStaleTimestamp, CodeReplayedNonce, CodeOffsetMismatch:
		return true
	}
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests
}
