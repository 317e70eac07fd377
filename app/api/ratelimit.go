package api

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimits bound the requests of each client IP in LAN mode (motcua
// serve). Loopback clients — the desk PC itself — are not limited.
type RateLimits struct {
	// Login limits POST /api/session (a token bucket per IP), on top of
	// the per-account lock-out: it slows a password spray over many
	// accounts from one PC. The first-run restore (POST /api/setup/restore),
	// which tries a recovery key, takes from the same bucket.
	Login      rate.Limit
	LoginBurst int
	// API limits every /api/ request per IP; generous, against a runaway
	// script or a flood, not against people.
	API      rate.Limit
	APIBurst int
}

// DefaultRateLimits: 10 logins at once then one per 6 seconds; 50 API
// requests a second with bursts of 200 (a screen loads a dozen at a time).
func DefaultRateLimits() *RateLimits {
	return &RateLimits{Login: rate.Every(6 * time.Second), LoginBurst: 10, API: 50, APIBurst: 200}
}

const codeRateLimited = "rate_limited"

// limitRate applies cfg.RateLimit by the TCP peer's address (never a
// header a client can forge).
func (s *server) limitRate(next http.Handler) http.Handler {
	rl := s.cfg.RateLimit
	if rl == nil {
		return next
	}
	login := newIPLimiter(rl.Login, rl.LoginBurst)
	all := newIPLimiter(rl.API, rl.APIBurst)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, ok := clientIP(r)
		if !ok || ip.IsLoopback() {
			next.ServeHTTP(w, r)
			return
		}
		now := time.Now()
		if r.Method == http.MethodPost && (r.URL.Path == "/api/session" || r.URL.Path == "/api/setup/restore") {
			if wait, ok := login.allow(ip, now); !ok {
				msg := "Có quá nhiều lần đăng nhập từ máy này. Vui lòng thử lại sau %d giây."
				if r.URL.Path != "/api/session" {
					msg = "Có quá nhiều lần thử khóa khôi phục từ máy này. Vui lòng thử lại sau %d giây."
				}
				tooMany(w, wait, msg)
				return
			}
		}
		if wait, ok := all.allow(ip, now); !ok {
			tooMany(w, wait, "Máy này gửi quá nhiều yêu cầu. Vui lòng thử lại sau %d giây.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func tooMany(w http.ResponseWriter, wait time.Duration, msg string) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeErrorMsg(w, http.StatusTooManyRequests, codeRateLimited, fmt.Sprintf(msg, secs))
}

func clientIP(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// ipLimiter keeps one token bucket per client IP; buckets idle for
// forgetAfter are dropped, so memory follows the clients seen recently.
type ipLimiter struct {
	limit rate.Limit
	burst int

	mu        sync.Mutex
	clients   map[netip.Addr]*ipBucket
	lastSweep time.Time
}

type ipBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

const forgetAfter = 10 * time.Minute

func newIPLimiter(limit rate.Limit, burst int) *ipLimiter {
	return &ipLimiter{limit: limit, burst: burst, clients: map[netip.Addr]*ipBucket{}}
}

// allow takes a token for ip, or says how long until one is there.
func (l *ipLimiter) allow(ip netip.Addr, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute {
		for k, b := range l.clients {
			if now.Sub(b.seen) > forgetAfter {
				delete(l.clients, k)
			}
		}
		l.lastSweep = now
	}
	b := l.clients[ip]
	if b == nil {
		b = &ipBucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.clients[ip] = b
	}
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	if !res.OK() {
		return time.Minute, false
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}
