// Package client talks to the provincial hub for one commune device: the
// health check that decides whether the hub is reachable, enrolment, signed
// push and pull, and the resumable upload of blobs. It is built on
// go-retryablehttp; every retry of a signed request is signed again with a
// fresh nonce and timestamp (the hub refuses a replayed nonce), and the
// signing clock is corrected by the offset to the hub's clock measured from
// its answers, so a desk PC with a wrong clock still syncs.
//
// Errors: a transport failure after the retries wraps ErrUnreachable; an
// answer that is not the hub's (a captive portal, a proxy's error page)
// wraps ErrNotHub; everything the hub refused is a *wire.Error with its
// status, machine code and the hub's Vietnamese message.
package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"motcua/sync/wire"
)

var (
	// ErrUnreachable is wrapped when no answer came back from the hub's
	// address (connection refused or cut, timeout, DNS) or only a gateway
	// error without the hub's envelope.
	ErrUnreachable = errors.New("hub unreachable")
	// ErrNotHub is wrapped when something answered that is not the hub: a
	// captive portal's login page answering 200 is not "online".
	ErrNotHub = errors.New("the address does not answer as a motcua hub")
	// ErrUnavailable is wrapped when the hub answers its health check but
	// reports its database down.
	ErrUnavailable = errors.New("hub reachable but not ready")
	// ErrNoIdentity is returned by signed calls before SetIdentity.
	ErrNoIdentity = errors.New("device has no hub identity")
	// ErrProtocol is wrapped when the hub's answer breaks the protocol
	// (results not aligned with the request, undecodable body).
	ErrProtocol = errors.New("hub answer breaks the protocol")
)

// Config configures a Client.
type Config struct {
	// BaseURL is the hub's address, e.g. https://hub.tinh.gov.vn.
	BaseURL string
	// HTTPClient carries the requests; its Timeout bounds one attempt.
	// Default: a pooled client with a 2-minute timeout.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// RetryMax is how many times one call is retried on a transport error,
	// 5xx, 429, a stale timestamp or a busy upload (default 3).
	RetryMax int
	// RetryWaitMin and RetryWaitMax bound the waits between retries
	// (default 50 ms and 10 s). The first retry is quick because the usual
	// failure is a dropped connection on a link that is otherwise up (the
	// sync benchmark lost a quarter of a 2 Mbit/s link waiting 500 ms after
	// each cut); the jittered exponential back-off still slows down when
	// the hub is really away, and the sender's own back-off takes over
	// after RetryMax.
	RetryWaitMin, RetryWaitMax time.Duration
	// HealthTimeout bounds the health check (default 10 s).
	HealthTimeout time.Duration
	// ChunkSize is the blob upload chunk (default 128 KiB; at most
	// wire.MaxChunkBytes). Small chunks finish inside a 3G window and a cut
	// costs only one (measured at 2 Mbit/s with cuts every 192–576 KiB:
	// 512 KiB chunks took 1.92× the ideal time, 128 KiB 1.19×).
	ChunkSize int64
	// Now is the device's clock (tests skew it).
	Now func() time.Time
}

// Identity is an enrolled device: its ID on the hub and its private key.
type Identity struct {
	DeviceID string
	Key      ed25519.PrivateKey
}

// Client is a hub client. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   *url.URL
	rc     *retryablehttp.Client // calls with retries
	once   *retryablehttp.Client // the health check: one attempt, it answers "now"
	log    *slog.Logger
	mu     sync.RWMutex
	id     Identity
	offset atomic.Int64 // hub clock minus device clock, nanoseconds
}

// New returns a client for cfg.BaseURL.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("hub address %q: want http(s)://host[:port][/path]", cfg.BaseURL)
	}
	if cfg.HTTPClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 4
		cfg.HTTPClient = &http.Client{Transport: t, Timeout: 2 * time.Minute}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 3
	}
	if cfg.RetryWaitMin <= 0 {
		cfg.RetryWaitMin = 50 * time.Millisecond
	}
	if cfg.RetryWaitMax <= 0 {
		cfg.RetryWaitMax = 10 * time.Second
	}
	if cfg.HealthTimeout <= 0 {
		cfg.HealthTimeout = 10 * time.Second
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = 128 << 10
	}
	cfg.ChunkSize = min(cfg.ChunkSize, wire.MaxChunkBytes)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{cfg: cfg, base: u, log: cfg.Logger}
	quiet := debugLogger{cfg.Logger}
	c.rc = &retryablehttp.Client{
		HTTPClient: cfg.HTTPClient, Logger: quiet,
		RetryWaitMin: cfg.RetryWaitMin, RetryWaitMax: cfg.RetryWaitMax, RetryMax: cfg.RetryMax,
		CheckRetry: c.checkRetry, Backoff: retryablehttp.DefaultBackoff,
		ErrorHandler: lastResponse, PrepareRetry: c.prepareRetry,
	}
	c.once = &retryablehttp.Client{
		HTTPClient: cfg.HTTPClient, Logger: quiet, RetryMax: 0,
		CheckRetry: retryablehttp.DefaultRetryPolicy, Backoff: retryablehttp.DefaultBackoff,
		ErrorHandler: lastResponse,
	}
	return c, nil
}

// BaseURL is the hub address the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// SetIdentity sets the device that signs requests.
func (c *Client) SetIdentity(id Identity) {
	c.mu.Lock()
	c.id = id
	c.mu.Unlock()
}

func (c *Client) identity() (Identity, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.id.DeviceID == "" || len(c.id.Key) != ed25519.PrivateKeySize {
		return Identity{}, ErrNoIdentity
	}
	return c.id, nil
}

// ClockOffset is the hub's clock minus the device's, as last measured.
func (c *Client) ClockOffset() time.Duration { return time.Duration(c.offset.Load()) }

// now is the time to sign with: the device clock corrected to the hub's.
// The legal device times in records are never corrected.
func (c *Client) now() time.Time { return c.cfg.Now().Add(c.ClockOffset()) }

// lastResponse hands back the last response when the retries are used up,
// so its error envelope can be read; without one, the transport error.
func lastResponse(resp *http.Response, err error, _ int) (*http.Response, error) {
	if resp != nil {
		return resp, nil
	}
	return nil, err
}

// debugLogger keeps go-retryablehttp's per-attempt logs at debug level:
// a failed attempt on a bad line is normal, the caller logs the outcome.
type debugLogger struct{ l *slog.Logger }

func (d debugLogger) Error(msg string, kv ...any) { d.l.Debug("hub client: "+msg, kv...) }
func (d debugLogger) Info(msg string, kv ...any)  { d.l.Debug("hub client: "+msg, kv...) }
func (d debugLogger) Debug(msg string, kv ...any) { d.l.Debug("hub client: "+msg, kv...) }
func (d debugLogger) Warn(msg string, kv ...any)  { d.l.Debug("hub client: "+msg, kv...) }

// signing rides in a request's context so that PrepareRetry, which sees
// only the *http.Request, can sign the retry again over the same body.
type signing struct {
	id   Identity
	body []byte
}

type signingKey struct{}

func (c *Client) prepareRetry(req *http.Request) error {
	s, ok := req.Context().Value(signingKey{}).(*signing)
	if !ok {
		return nil
	}
	// The previous attempt's request may still be referenced by the
	// transport: sign a copy of the headers, never the shared map.
	req.Header = req.Header.Clone()
	return wire.SignRequest(req, s.id.DeviceID, s.id.Key, s.body, c.now())
}

// checkRetry is go-retryablehttp's default policy plus the hub's retryable
// refusals: a stale timestamp (after correcting the clock from the hub's
// time), a nonce the hub thinks it saw, and an upload another connection
// still holds.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err == nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusConflict) {
		if e := peekError(resp); e != nil {
			switch e.Code {
			case wire.CodeStaleTimestamp:
				if e.HubTime != nil {
					c.setOffset(e.HubTime.Sub(c.cfg.Now()))
				}
				return true, nil
			case wire.CodeReplayedNonce, wire.CodeUploadBusy:
				return true, nil
			}
		}
		return false, nil
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

func (c *Client) setOffset(d time.Duration) {
	old := time.Duration(c.offset.Swap(int64(d)))
	if diff := d - old; diff > time.Minute || diff < -time.Minute {
		c.log.Warn("device clock differs from the hub's; signing with the hub's time", "offset", d.Round(time.Second).String())
	}
}

// peekError reads an error envelope and puts the body back for the caller.
func peekError(resp *http.Response) *wire.Error {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	var er wire.ErrorResponse
	if json.Unmarshal(b, &er) != nil || er.Error.Code == "" {
		return nil
	}
	er.Error.Status = resp.StatusCode
	return &er.Error
}

// call is one request to the hub.
type call struct {
	method string
	path   string
	query  url.Values
	body   []byte
	header map[string]string
	signed bool
}

func (c *Client) do(ctx context.Context, cl call) (*http.Response, error) {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + cl.path
	if len(cl.query) > 0 {
		u.RawQuery = cl.query.Encode()
	}
	var body any
	if cl.body != nil {
		body = cl.body
	}
	var s *signing
	if cl.signed {
		id, err := c.identity()
		if err != nil {
			return nil, err
		}
		s = &signing{id: id, body: cl.body}
		ctx = context.WithValue(ctx, signingKey{}, s)
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, cl.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
	}
	req.Header.Set(wire.HeaderProtocol, wire.Current.String())
	for k, v := range cl.header {
		req.Header.Set(k, v)
	}
	if s != nil {
		if err := wire.SignRequest(req.Request, s.id.DeviceID, s.id.Key, s.body, c.now()); err != nil {
			return nil, err
		}
	}
	resp, err := c.rc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s %s: %w: %v", cl.method, cl.path, ErrUnreachable, err)
	}
	return resp, nil
}

// failure turns a non-2xx answer into an error: the hub's envelope as a
// *wire.Error, or, without one, ErrUnreachable (a gateway's 5xx page) or
// ErrNotHub (someone else's 4xx page).
func failure(resp *http.Response, op string) error {
	e := peekError(resp)
	resp.Body.Close()
	if e != nil {
		return e
	}
	if resp.StatusCode >= 500 {
		return fmt.Errorf("%s: %w: status %d without the hub's error envelope", op, ErrUnreachable, resp.StatusCode)
	}
	return fmt.Errorf("%s: %w: status %d without the hub's error envelope", op, ErrNotHub, resp.StatusCode)
}

// decodeAnswer reads a 2xx JSON answer. Answers are decoded leniently: a
// hub of a newer minor version may add fields.
func decodeAnswer(resp *http.Response, limit int64, op string, v any) error {
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("%s: %w: answer of type %q", op, ErrNotHub, ct)
	}
	if err := wire.DecodeLenient(resp.Body, limit, v); err != nil {
		var de *wire.DecodeError
		if errors.As(err, &de) {
			return fmt.Errorf("%s: %w: %v", op, ErrProtocol, err)
		}
		// The body was cut on its way: as if no answer came.
		return fmt.Errorf("%s: %w: %v", op, ErrUnreachable, err)
	}
	return nil
}

// Health asks the hub whether it is there and ready. Only an answer with
// the hub's marker that echoes a fresh random challenge counts; the hub's
// time in it corrects the signing clock. A hub whose protocol major version
// this client cannot speak is a *wire.Error with CodeClientTooOld or
// CodeHubTooOld.
func (c *Client) Health(ctx context.Context) (wire.HealthResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.HealthTimeout)
	defer cancel()
	var raw [12]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return wire.HealthResponse{}, fmt.Errorf("health: %w", err)
	}
	challenge := hex.EncodeToString(raw[:])
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + "/v1/health"
	u.RawQuery = url.Values{"challenge": {challenge}}.Encode()
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return wire.HealthResponse{}, fmt.Errorf("health: %w", err)
	}
	req.Header.Set(wire.HeaderProtocol, wire.Current.String())
	sent := c.cfg.Now()
	resp, err := c.once.Do(req)
	if err != nil {
		return wire.HealthResponse{}, fmt.Errorf("health: %w: %v", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return wire.HealthResponse{}, fmt.Errorf("health: %w: %v", ErrUnreachable, err)
	}
	got := c.cfg.Now()
	var h wire.HealthResponse
	if json.Unmarshal(b, &h) != nil || h.Marker != wire.HealthMarker || h.Challenge != challenge {
		return wire.HealthResponse{}, fmt.Errorf("health: %w: status %d", ErrNotHub, resp.StatusCode)
	}
	if !h.HubTime.IsZero() {
		// The hub read its clock about halfway through the round trip.
		c.setOffset(h.HubTime.Sub(sent.Add(got.Sub(sent) / 2)))
	}
	if err := compatible(h); err != nil {
		return h, err
	}
	if resp.StatusCode != http.StatusOK || h.Database != "ok" {
		return h, fmt.Errorf("health: %w: status %d, database %q", ErrUnavailable, resp.StatusCode, h.Database)
	}
	return h, nil
}

// compatible checks the hub's announced versions against ours before any
// data is sent, so an outdated app says so instead of failing every item.
func compatible(h wire.HealthResponse) error {
	hub, err1 := wire.ParseVersion(h.Protocol)
	low, err2 := wire.ParseVersion(h.MinProtocol)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("health: %w: protocol %q, min %q", ErrProtocol, h.Protocol, h.MinProtocol)
	}
	switch {
	case wire.Current.Major < low.Major:
		return &wire.Error{Status: http.StatusUpgradeRequired, Code: wire.CodeClientTooOld,
			MinProtocol: h.MinProtocol, MaxProtocol: h.Protocol}
	case wire.Current.Major > hub.Major:
		return &wire.Error{Status: http.StatusUpgradeRequired, Code: wire.CodeHubTooOld,
			MinProtocol: h.MinProtocol, MaxProtocol: h.Protocol}
	}
	return nil
}

// Enrol registers key with a one-time code. The hub binds the code to the
// first key that uses it and answers a repeat of the same request with the
// same device, so a caller whose answer was lost must retry with the same
// key (store it before calling).
func (c *Client) Enrol(ctx context.Context, code, deviceName, appVersion string, key ed25519.PrivateKey) (wire.EnrolResponse, error) {
	body, err := json.Marshal(wire.NewEnrolRequest(code, deviceName, appVersion, key))
	if err != nil {
		return wire.EnrolResponse{}, fmt.Errorf("enrol: %w", err)
	}
	resp, err := c.do(ctx, call{method: http.MethodPost, path: "/v1/enrol", body: body,
		header: map[string]string{"Content-Type": "application/json"}})
	if err != nil {
		return wire.EnrolResponse{}, fmt.Errorf("enrol: %w", err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return wire.EnrolResponse{}, failure(resp, "enrol")
	}
	var out wire.EnrolResponse
	if err := decodeAnswer(resp, 64<<10, "enrol", &out); err != nil {
		return wire.EnrolResponse{}, err
	}
	if out.DeviceID == "" || out.CommuneCode == "" {
		return wire.EnrolResponse{}, fmt.Errorf("enrol: %w: no device id or commune", ErrProtocol)
	}
	return out, nil
}
