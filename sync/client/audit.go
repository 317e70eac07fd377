package client

import (
	"context"
	"fmt"
	"net/http"

	"motcua/sync/wire"
)

// PushAudit sends consecutive entries of the desk's audit chain, gzip-
// compressed, and returns the hub's results: one per entry up to and
// including the first the hub did not store. Sending the same entries again
// is safe: the hub answers those it holds as duplicates.
func (c *Client) PushAudit(ctx context.Context, req wire.AuditRequest) (wire.AuditResponse, error) {
	resp, err := c.postGzipJSON(ctx, wire.PathAudit, req, wire.MaxAuditBytes)
	if err != nil {
		return wire.AuditResponse{}, fmt.Errorf("audit: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return wire.AuditResponse{}, failure(resp, "audit")
	}
	var out wire.AuditResponse
	if err := decodeAnswer(resp, 1<<20, "audit", &out); err != nil {
		return wire.AuditResponse{}, err
	}
	if len(out.Results) > len(req.Entries) {
		return wire.AuditResponse{}, fmt.Errorf("audit: %w: %d results for %d entries", ErrProtocol, len(out.Results), len(req.Entries))
	}
	for i, r := range out.Results {
		if r.Seq != req.Entries[i].Seq {
			return wire.AuditResponse{}, fmt.Errorf("audit: %w: result %d is for entry %d, not %d", ErrProtocol, i, r.Seq, req.Entries[i].Seq)
		}
	}
	return out, nil
}
