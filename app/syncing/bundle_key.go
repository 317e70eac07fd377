package syncing

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"strings"
	"time"

	"filippo.io/age"

	"motcua/sync/client"
	"motcua/sync/wire"
)

// keyRefresh is how often an online desk asks the hub for its bundle key
// again: the key is fetched at the first cycle of a run (right after
// enrolment, too) and then now and then, so a desk that enrolled before
// the hub served one learns it.
const keyRefresh = 6 * time.Hour

// learnHubKey fetches the hub's bundle key when it is due and keeps it
// beside the cursor. The key comes over the connection that carries the
// pulled changes (the hub's TLS), so a changes bundle verified with it is
// as trustworthy as a pull. A failure only means trying again later: the
// desk keeps the key it has.
func (s *Service) learnHubKey(ctx context.Context, cl *client.Client) {
	now := s.cfg.Now()
	s.mu.Lock()
	due := s.keyFor != cl.BaseURL() || now.Sub(s.keyAt) >= keyRefresh
	if due {
		s.keyAt, s.keyFor = now, cl.BaseURL()
	}
	s.mu.Unlock()
	if !due {
		return
	}
	pub, rcpt, err := s.fetchHubKey(ctx, cl.BaseURL())
	if err != nil {
		if ctx.Err() == nil {
			s.log.Info("hub bundle key not fetched; result bundles cannot be imported until it is", "err", err)
		}
		return
	}
	var changed, ageChanged bool
	err = s.updateState(func(st *syncState) {
		if st.HubKeyHub != cl.BaseURL() || !ed25519.PublicKey(st.HubKey).Equal(pub) {
			changed = len(st.HubKey) > 0
			st.HubKey, st.HubKeyHub = pub, cl.BaseURL()
		}
		if st.HubAge != rcpt {
			ageChanged = st.HubAge != ""
			st.HubAge = rcpt
		}
	})
	if err != nil {
		s.log.Error("save hub bundle key", "err", err)
		return
	}
	if changed {
		s.log.Warn("the hub serves another bundle key than before; bundles signed with the old one are refused now",
			"key", wire.BundleKeyID(pub))
	}
	if ageChanged {
		s.log.Warn("the hub serves another age recipient than before; USB bundles are encrypted to the new one", "recipient", rcpt)
	}
}

// recipientRetry is how soon a failed telling of the recipient is tried
// again (an older hub answers 404 every time: no need to ask each cycle).
const recipientRetry = 10 * time.Minute

// tellRecipient tells the hub this desk's age recipient when it is due: at
// the first online cycle of a run or after enrolment, then every keyRefresh
// (a hub restored from an older backup learns it again). The hub encrypts
// the changes bundles for this commune to it; the outbox bundle carries it
// too, for a desk that only reaches the hub by USB stick.
func (s *Service) tellRecipient(ctx context.Context, cl *client.Client) {
	now := s.cfg.Now()
	s.mu.Lock()
	dev := s.dev
	due := dev != nil && dev.AgeIdentity != "" && (s.recipFor != cl.BaseURL() || !now.Before(s.recipNext))
	s.mu.Unlock()
	if !due {
		return
	}
	id, err := dev.ageIdentity()
	if err != nil {
		s.log.Error("age identity unreadable; results bundles cannot be decrypted", "err", err)
		return
	}
	next := now.Add(keyRefresh)
	if err := cl.TellRecipient(ctx, id.Recipient().String()); err != nil {
		if ctx.Err() != nil {
			return
		}
		s.log.Info("age recipient not told to the hub; it cannot write results bundles for this desk until it is", "err", err)
		next = now.Add(recipientRetry)
	}
	s.mu.Lock()
	if s.dev == dev {
		s.recipNext, s.recipFor = next, cl.BaseURL()
	}
	s.mu.Unlock()
}

// fetchHubKey asks GET /v1/bundle-key. Like the health check it is not
// signed; the answer must carry the hub's marker and a key matching its
// ID, and an age recipient that parses (or none, from an older hub).
func (s *Service) fetchHubKey(ctx context.Context, base string) (ed25519.PublicKey, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+wire.BundleKeyPath, nil)
	if err != nil {
		return nil, "", fmt.Errorf("bundle key: %w", err)
	}
	req.Header.Set(wire.HeaderProtocol, wire.Current.String())
	hc := s.cfg.Client.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("bundle key: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("bundle key: status %d", resp.StatusCode)
	}
	var k wire.BundleKeyResponse
	if err := wire.DecodeLenient(resp.Body, 16<<10, &k); err != nil {
		return nil, "", fmt.Errorf("bundle key: %w", err)
	}
	pub := ed25519.PublicKey(k.PublicKey)
	if k.Marker != wire.HealthMarker || len(pub) != ed25519.PublicKeySize || k.KeyID != wire.BundleKeyID(pub) {
		return nil, "", fmt.Errorf("bundle key: %w: not the hub's key document", client.ErrNotHub)
	}
	if k.AgeRecipient != "" {
		if _, err := age.ParseX25519Recipient(k.AgeRecipient); err != nil {
			return nil, "", fmt.Errorf("bundle key: %w: age recipient: %w", client.ErrNotHub, err)
		}
	}
	return pub, k.AgeRecipient, nil
}
