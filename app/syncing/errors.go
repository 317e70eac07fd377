package syncing

import (
	"context"
	"errors"
	"fmt"

	"motcua/sync/client"
	"motcua/sync/wire"
)

// Errors of the use case. Each wraps the cause too, so HubMessage can still
// find the hub's own words behind it.
var (
	ErrNotEnrolled     = errors.New("device not enrolled with a hub")
	ErrNotConfigured   = errors.New("office settings not configured")
	ErrInvalidURL      = errors.New("invalid hub address")
	ErrHubUnreachable  = errors.New("hub unreachable")
	ErrNotHub          = errors.New("the address does not answer as the hub")
	ErrHubUnavailable  = errors.New("hub reachable but not ready")
	ErrEnrolCode       = errors.New("enrolment code refused")
	ErrRevoked         = errors.New("device revoked or unknown to the hub")
	ErrProtocol        = errors.New("protocol version not supported")
	ErrCommuneMismatch = errors.New("enrolment code belongs to another commune")
	ErrRefused         = errors.New("hub refused the request")
)

// Problem codes: why the hub is not usable now (Status.Problem) or why an
// item waits (outbox Item.Code). Where the hub answered, its own wire code
// is used instead (wire.CodeDeviceRevoked, wire.CodeClientTooOld …).
const (
	CodeUnreachable     = "unreachable"      // no answer from the hub's address
	CodeNotHub          = "not_hub"          // something else answered (captive portal, proxy)
	CodeHubUnavailable  = "hub_unavailable"  // the hub answered but is not ready
	CodeProtocolError   = "protocol_error"   // the hub's answer broke the protocol
	CodeBlobUnavailable = "blob_unavailable" // a file the record references is not on this PC
	CodeInvalidLocal    = "invalid_record"   // the record is incomplete for the hub (same as the hub's code)
	CodeWaitingPrevious = "waiting_previous" // an earlier item of the dossier must go first
)

// HubMessage returns the hub's machine code and Vietnamese message behind
// err, when the hub answered with one.
func HubMessage(err error) (code, message string, ok bool) {
	var we *wire.Error
	if errors.As(err, &we) {
		return we.Code, we.Message, true
	}
	return "", "", false
}

// problemCode names the cause of err for the status and the Outbox screen.
func problemCode(err error) string {
	var we *wire.Error
	switch {
	case errors.As(err, &we):
		return we.Code
	case errors.Is(err, client.ErrNotHub):
		return CodeNotHub
	case errors.Is(err, client.ErrUnavailable):
		return CodeHubUnavailable
	case errors.Is(err, client.ErrProtocol):
		return CodeProtocolError
	}
	return CodeUnreachable
}

// authCodes are refusals that no resend can fix until the device is
// enrolled again: everything sent is parked, and sending stops.
var authCodes = map[string]bool{
	wire.CodeDeviceRevoked:   true,
	wire.CodeUnknownDevice:   true,
	wire.CodeBadSignature:    true,
	wire.CodeUnauthenticated: true,
	wire.CodeForbidden:       true,
}

// versionCodes say the app or the hub must be updated: items wait (they are
// fine), sending stops until then.
var versionCodes = map[string]bool{
	wire.CodeClientTooOld:    true,
	wire.CodeHubTooOld:       true,
	wire.CodeProtocolMissing: true,
}

// classify wraps err with the use case's sentinel for its cause.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var we *wire.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, client.ErrUnreachable):
		return err
	case errors.As(err, &we):
		switch {
		case we.Code == wire.CodeEnrolCodeBad || we.Code == wire.CodeEnrolCodeUsed || we.Code == wire.CodeEnrolCodeExpiry || we.Code == wire.CodeKeyInUse:
			return fmt.Errorf("%w: %w", ErrEnrolCode, err)
		case authCodes[we.Code]:
			return fmt.Errorf("%w: %w", ErrRevoked, err)
		case versionCodes[we.Code]:
			return fmt.Errorf("%w: %w", ErrProtocol, err)
		case we.Retryable():
			return fmt.Errorf("%w: %w", ErrHubUnavailable, err)
		}
		return fmt.Errorf("%w: %w", ErrRefused, err)
	case errors.Is(err, client.ErrNotHub):
		return fmt.Errorf("%w: %w", ErrNotHub, err)
	case errors.Is(err, client.ErrUnavailable):
		return fmt.Errorf("%w: %w", ErrHubUnavailable, err)
	case errors.Is(err, client.ErrProtocol):
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	return fmt.Errorf("%w: %w", ErrHubUnreachable, err)
}
