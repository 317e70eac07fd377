// Package faultproxy is a TCP proxy for tests that sits between a commune
// client and the hub and breaks the link on purpose: it can refuse every
// connection (the hub is down), cut connections after some bytes of the
// client's requests (a 3G link dropping mid-upload), and swallow responses
// after the hub has produced them (the hub stored the batch, the commune
// never heard). Sync code that loses or duplicates nothing through it keeps
// its promises on a real bad line.
package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Faults say how the proxy misbehaves. The zero value forwards faithfully.
type Faults struct {
	// DropResponse is the probability that a response is swallowed: when
	// the first bytes of the hub's answer arrive, the proxy closes both
	// connections instead of forwarding them.
	DropResponse float64
	// CutAfter, when positive, cuts each connection after it forwarded a
	// random number of request bytes between CutAfter/2 and 3·CutAfter/2.
	CutAfter int64

	// UpRate and DownRate, when positive, shape the link to that many
	// bytes per second from the client to the target and back. The rate is
	// the line's, shared by all connections, and changes at once for
	// transfers in flight too.
	UpRate, DownRate int64
	// Burst is how many bytes the line may pass at once after it idled
	// (default: 20 ms of the rate, between 1 KiB and 16 KiB).
	Burst int
	// RTT, when positive, is added round-trip latency: each direction holds
	// bytes for RTT/2 after the line passed them. It applies to
	// connections opened from then on.
	RTT time.Duration
}

// burst is the limiter burst for rate r (bytes/s).
func (f Faults) burst(r int64) int {
	if f.Burst > 0 {
		return f.Burst
	}
	return int(min(max(r/50, 1<<10), 16<<10))
}

// limit is the limiter rate for r bytes/s; 0 means unshaped.
func limit(r int64) rate.Limit {
	if r <= 0 {
		return rate.Inf
	}
	return rate.Limit(r)
}

// Stats count what the proxy did.
type Stats struct {
	Conns     int64 // connections accepted
	Refused   int64 // closed at once because no target was set
	Cuts      int64 // connections cut mid-request
	Drops     int64 // responses swallowed
	BytesUp   int64 // request bytes forwarded to the target
	BytesDown int64 // response bytes forwarded to the client
}

// Proxy is a running proxy. Close stops it.
type Proxy struct {
	ln net.Listener

	mu     sync.Mutex
	target string
	faults Faults
	rng    *rand.Rand
	conns  map[net.Conn]struct{}
	closed bool
	// up and down pace the two directions of the line.
	up, down *rate.Limiter

	conns64, refused, cuts, drops, bytesUp, bytesDown atomic.Int64
	wg                                                sync.WaitGroup
}

// Start listens on a loopback port and forwards to target ("" refuses
// every connection until SetTarget). seed makes the faults repeatable.
func Start(target string, f Faults, seed uint64) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, faults: f, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		conns: map[net.Conn]struct{}{},
		up:    rate.NewLimiter(limit(f.UpRate), f.burst(f.UpRate)),
		down:  rate.NewLimiter(limit(f.DownRate), f.burst(f.DownRate))}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// URL is the proxy's address as an http:// base URL.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// SetTarget points the proxy at addr (host:port); "" makes it refuse
// connections, as a hub that is down.
func (p *Proxy) SetTarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

// SetFaults changes the faults: cuts and latency for connections opened
// from now on, drops for responses starting from now on, rates at once.
func (p *Proxy) SetFaults(f Faults) {
	p.mu.Lock()
	p.faults = f
	p.mu.Unlock()
	p.up.SetBurst(f.burst(f.UpRate))
	p.up.SetLimit(limit(f.UpRate))
	p.down.SetBurst(f.burst(f.DownRate))
	p.down.SetLimit(limit(f.DownRate))
}

// Stats returns the counters.
func (p *Proxy) Stats() Stats {
	return Stats{Conns: p.conns64.Load(), Refused: p.refused.Load(), Cuts: p.cuts.Load(), Drops: p.drops.Load(),
		BytesUp: p.bytesUp.Load(), BytesDown: p.bytesDown.Load()}
}

// Close stops accepting, closes every open connection and waits for the
// proxy's goroutines to end.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.conns64.Add(1)
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// dropNow decides whether the response starting now is swallowed, with
// the faults in force now (not when the connection was opened).
func (p *Proxy) dropNow() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.faults.DropResponse
	return q > 0 && p.rng.Float64() < q
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	p.mu.Lock()
	target, f := p.target, p.faults
	budget := int64(-1)
	if f.CutAfter > 0 {
		budget = f.CutAfter/2 + p.rng.Int64N(f.CutAfter+1)
	}
	p.mu.Unlock()
	if target == "" {
		p.refused.Add(1)
		client.Close()
		return
	}
	upstream, err := net.Dial("tcp", target)
	if err != nil {
		client.Close()
		return
	}
	if !p.track(client) || !p.track(upstream) {
		client.Close()
		upstream.Close()
		return
	}
	defer p.untrack(client)
	defer p.untrack(upstream)
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	kill := func() { once.Do(func() { cancel(); client.Close(); upstream.Close() }) }
	defer kill()

	// fresh is set when request bytes went up: the next bytes coming down
	// start a new response, which may be swallowed.
	var fresh atomic.Bool
	up := newLine(ctx, p.up, upstream, f.RTT/2, kill, func(n int) {
		p.bytesUp.Add(int64(n))
		fresh.Store(true)
	})
	down := newLine(ctx, p.down, client, f.RTT/2, kill, func(n int) { p.bytesDown.Add(int64(n)) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		var then func() // what the line does once it has delivered everything
		defer func() { up.end(then) }()
		buf := make([]byte, 32<<10)
		var sent int64
		for {
			n, err := client.Read(buf)
			if n > 0 {
				chunk := buf[:n]
				cut := budget >= 0 && sent+int64(n) > budget
				if cut {
					chunk = buf[:budget-sent]
				}
				sent += int64(len(chunk))
				if !up.send(chunk) {
					return
				}
				if cut {
					p.cuts.Add(1)
					then = kill
					return
				}
			}
			if err != nil {
				// The client finished sending (or went away): let the
				// target see the end of the stream too.
				if tc, ok := upstream.(*net.TCPConn); ok && errors.Is(err, io.EOF) {
					then = func() { tc.CloseWrite() }
				} else {
					kill()
				}
				return
			}
		}
	}()
	var then func()
	buf := make([]byte, 32<<10)
	for {
		n, err := upstream.Read(buf)
		if n > 0 {
			if fresh.Swap(false) && p.dropNow() {
				p.drops.Add(1)
				kill()
				break
			}
			if !down.send(buf[:n]) {
				break
			}
		}
		if err != nil {
			then = kill
			break
		}
	}
	down.end(then)
	<-done
	up.wait()
	down.wait()
}

// line carries one direction of a connection like a slow line: the shared
// limiter schedules the bytes, they travel for the one-way delay, and a
// goroutine writes them when their time comes. Scheduling ahead (instead of
// sleeping before each write) keeps the rate exact on a busy machine: a
// goroutine that wakes late catches up instead of losing line time. Only the
// connection's reader calls send and end.
type line struct {
	ctx   context.Context
	lim   *rate.Limiter
	dst   net.Conn
	delay time.Duration
	kill  func()
	sent  func(n int)
	q     chan packet   // nil until the line is shaped or delayed: the reader writes itself
	done  chan struct{} // closed when the writer goroutine ended; nil when there is none
}

// queueAhead is the line's buffer: the reader schedules at most this much
// line time beyond now before it waits, as a modem's queue would.
const queueAhead = 250 * time.Millisecond

// packet is bytes on their way; the last packet of a line has last set
// and then, if not nil, runs once everything before it was written.
type packet struct {
	b    []byte
	at   time.Time
	last bool
	then func()
}

func newLine(ctx context.Context, lim *rate.Limiter, dst net.Conn, delay time.Duration, kill func(), sent func(int)) *line {
	return &line{ctx: ctx, lim: lim, dst: dst, delay: delay, kill: kill, sent: sent}
}

// send passes b through the line. It returns false when the connection
// is dead (and killed).
func (l *line) send(b []byte) bool {
	if l.q == nil {
		if l.delay == 0 && l.lim.Limit() == rate.Inf {
			if _, err := l.dst.Write(b); err != nil {
				l.kill()
				return false
			}
			l.sent(len(b))
			return true
		}
		// Shaped or delayed (perhaps since SetFaults, on a connection
		// opened before): from now on a goroutine writes.
		l.q = make(chan packet, 1024)
		l.done = make(chan struct{})
		go l.run()
	}
	for len(b) > 0 {
		n := len(b)
		if l.lim.Limit() != rate.Inf {
			n = min(n, max(l.lim.Burst(), 1))
		}
		now := time.Now()
		r := l.lim.ReserveN(now, n)
		if !r.OK() {
			continue // the burst shrank under us (SetFaults): take less
		}
		d := r.DelayFrom(now)
		if wait := d - queueAhead; wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-l.ctx.Done():
				t.Stop()
				return false
			}
		}
		select {
		case l.q <- packet{b: bytes.Clone(b[:n]), at: now.Add(d + l.delay)}:
		case <-l.ctx.Done():
			return false
		}
		b = b[n:]
	}
	return true
}

// end closes the line: then (if not nil) runs after every byte sent
// before it was written, unless the connection died first.
func (l *line) end(then func()) {
	if l.q == nil {
		if then != nil {
			then()
		}
		return
	}
	// run drains the queue up to this packet whatever happens, so this
	// cannot block for good.
	l.q <- packet{last: true, then: then}
}

// run is the writer goroutine: it writes each packet when its time comes.
func (l *line) run() {
	defer close(l.done)
	broken := false
	for pk := range l.q {
		if pk.last {
			if pk.then != nil && !broken {
				pk.then()
			}
			return
		}
		if broken {
			continue
		}
		if d := time.Until(pk.at); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-l.ctx.Done():
				t.Stop()
				broken = true
				continue
			}
		}
		if _, err := l.dst.Write(pk.b); err != nil {
			l.kill()
			broken = true
			continue
		}
		l.sent(len(pk.b))
	}
}

// wait returns once the writer goroutine ended.
func (l *line) wait() {
	if l.done != nil {
		<-l.done
	}
}
