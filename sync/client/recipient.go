package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"motcua/sync/wire"
)

// TellRecipient tells the hub this device's age recipient (signed PUT
// /v1/device/recipient), to which it encrypts the changes bundles it
// writes for the commune. Telling the same recipient again is harmless.
// A hub older than protocol 1.1 answers 404 (a *wire.Error).
func (c *Client) TellRecipient(ctx context.Context, rcpt string) error {
	body, err := json.Marshal(wire.DeviceRecipient{AgeRecipient: rcpt})
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, call{method: http.MethodPut, path: wire.DeviceRecipientPath, body: body, signed: true,
		header: map[string]string{"Content-Type": "application/json"}})
	if err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return failure(resp, "recipient")
	}
	var out wire.DeviceRecipient
	if err := decodeAnswer(resp, 4<<10, "recipient", &out); err != nil {
		return err
	}
	if out.AgeRecipient != rcpt {
		return fmt.Errorf("recipient: %w: the hub kept %q", ErrProtocol, out.AgeRecipient)
	}
	return nil
}
