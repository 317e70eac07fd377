package client

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"motcua/sync/wire"
)

// Push sends a batch, gzip-compressed, and returns the hub's per-item
// results, aligned with the request. Only an item whose result is
// Accepted() is stored on the hub. Pushing the same batch again after a
// lost answer is safe: the hub answers the stored items as duplicates.
func (c *Client) Push(ctx context.Context, req wire.PushRequest) (wire.PushResponse, error) {
	resp, err := c.postGzipJSON(ctx, "/v1/push", req, wire.MaxPushBytes)
	if err != nil {
		return wire.PushResponse{}, fmt.Errorf("push: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return wire.PushResponse{}, failure(resp, "push")
	}
	var out wire.PushResponse
	if err := decodeAnswer(resp, 16<<20, "push", &out); err != nil {
		return wire.PushResponse{}, err
	}
	if len(out.Dossiers) != len(req.Dossiers) || len(out.Events) != len(req.Events) {
		return wire.PushResponse{}, fmt.Errorf("push: %w: %d+%d results for %d+%d items", ErrProtocol,
			len(out.Dossiers), len(out.Events), len(req.Dossiers), len(req.Events))
	}
	for i, r := range out.Dossiers {
		if r.ID != req.Dossiers[i].ID {
			return wire.PushResponse{}, fmt.Errorf("push: %w: result %d is for %s, not %s", ErrProtocol, i, r.ID, req.Dossiers[i].ID)
		}
	}
	for i, r := range out.Events {
		if r.ID != req.Events[i].ID {
			return wire.PushResponse{}, fmt.Errorf("push: %w: result %d is for %s, not %s", ErrProtocol, i, r.ID, req.Events[i].ID)
		}
	}
	return out, nil
}

// postGzipJSON sends v as gzip-compressed JSON of at most limit bytes
// (before compression) in a signed POST.
func (c *Client) postGzipJSON(ctx context.Context, path string, v any, limit int) (*http.Response, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(raw) > limit {
		return nil, fmt.Errorf("batch of %d bytes exceeds %d", len(raw), limit)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return c.do(ctx, call{method: http.MethodPost, path: path, body: gz.Bytes(), signed: true,
		header: map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}})
}

// Pull returns the hub's changes for the device's commune after since (""
// for the beginning), at most limit (0 for the hub's default).
func (c *Client) Pull(ctx context.Context, since string, limit int) (wire.PullResponse, error) {
	q := url.Values{}
	if since != "" {
		q.Set("since", since)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(min(limit, wire.MaxPullLimit)))
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, path: "/v1/changes", query: q, signed: true})
	if err != nil {
		return wire.PullResponse{}, fmt.Errorf("pull: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return wire.PullResponse{}, failure(resp, "pull")
	}
	var out wire.PullResponse
	if err := decodeAnswer(resp, 64<<20, "pull", &out); err != nil {
		return wire.PullResponse{}, err
	}
	if out.Cursor == "" {
		return wire.PullResponse{}, fmt.Errorf("pull: %w: no cursor", ErrProtocol)
	}
	return out, nil
}

// Reference downloads a document the province publishes (see
// wire.ReferenceDoc), checking its size and SHA-256.
func (c *Client) Reference(ctx context.Context, doc wire.ReferenceDoc) ([]byte, error) {
	if _, _, ok := wire.ParseReferenceName(doc.Name); !ok || doc.Size < 0 || doc.Size > wire.MaxReferenceBytes {
		return nil, fmt.Errorf("reference %q: %w: not a reference document", doc.Name, ErrProtocol)
	}
	var b bytes.Buffer
	if err := c.getVerified(ctx, "/v1/reference/"+doc.Name, "reference "+doc.Name, doc.SHA256, doc.Size, &b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
