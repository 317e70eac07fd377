// Package faultproxy is a TCP proxy for tests that sits between a commune
// client and the hub and breaks the link on purpose: it can refuse every
// connection (the hub is down), cut connections after some bytes of the
// client's requests (a 3G link dropping mid-upload), and swallow responses
// after the hub has produced them (the hub stored the batch, the commune
// never heard). Sync code that loses or duplicates nothing through it keeps
// its promises on a real bad line.
package faultproxy

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
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
}

// Stats count what the proxy did.
type Stats struct {
	Conns   int64 // connections accepted
	Refused int64 // closed at once because no target was set
	Cuts    int64 // connections cut mid-request
	Drops   int64 // responses swallowed
	BytesUp int64 // request bytes forwarded to the target
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

	conns64, refused, cuts, drops, bytesUp atomic.Int64
	wg                                     sync.WaitGroup
}

// Start listens on a loopback port and forwards to target ("" refuses
// every connection until SetTarget). seed makes the faults repeatable.
func Start(target string, f Faults, seed uint64) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, faults: f, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		conns: map[net.Conn]struct{}{}}
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

// SetFaults changes the faults: cuts for connections opened from now on,
// drops for responses starting from now on.
func (p *Proxy) SetFaults(f Faults) {
	p.mu.Lock()
	p.faults = f
	p.mu.Unlock()
}

// Stats returns the counters.
func (p *Proxy) Stats() Stats {
	return Stats{Conns: p.conns64.Load(), Refused: p.refused.Load(), Cuts: p.cuts.Load(), Drops: p.drops.Load(),
		BytesUp: p.bytesUp.Load()}
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
	var once sync.Once
	kill := func() { once.Do(func() { client.Close(); upstream.Close() }) }
	defer kill()

	// fresh is set when request bytes went up: the next bytes coming down
	// start a new response, which may be swallowed.
	var fresh atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
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
				if len(chunk) > 0 {
					if _, werr := upstream.Write(chunk); werr != nil {
						kill()
						return
					}
					sent += int64(len(chunk))
					p.bytesUp.Add(int64(len(chunk)))
					fresh.Store(true)
				}
				if cut {
					p.cuts.Add(1)
					kill()
					return
				}
			}
			if err != nil {
				// The client finished sending (or went away): let the
				// target see the end of the stream too.
				if tc, ok := upstream.(*net.TCPConn); ok && errors.Is(err, io.EOF) {
					tc.CloseWrite()
				} else {
					kill()
				}
				return
			}
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := upstream.Read(buf)
		if n > 0 {
			if fresh.Swap(false) && p.dropNow() {
				p.drops.Add(1)
				kill()
				break
			}
			if _, werr := client.Write(buf[:n]); werr != nil {
				kill()
				break
			}
		}
		if err != nil {
			kill()
			break
		}
	}
	<-done
}
