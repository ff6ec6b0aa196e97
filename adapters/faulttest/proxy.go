// Package faulttest injects connection-level faults for tests: a TCP proxy
// the test puts between a process and a server (PostgreSQL, an HTTP peer)
// and then freezes or cuts at will.
package faulttest

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy forwards every connection made to Addr to the target. Freeze stops
// forwarding bytes in both directions (connections stay open, as with a
// stalled network path or a hung peer); Thaw resumes; Drop closes every open
// connection (as a firewall reset or a peer crash would).
type Proxy struct {
	target string
	ln     net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	frozen bool
	thawed chan struct{} // closed while not frozen

	accepted atomic.Int64
	dropped  atomic.Int64
	wg       sync.WaitGroup
}

// Start listens on a free loopback port, forwards to target, and closes
// everything when the test ends.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	return StartOn(t, "127.0.0.1:0", target)
}

// StartOn is Start on a given listen address: for a peer that must be told
// the proxy's address before it starts (a Kafka broker's advertised listener).
func StartOn(t testing.TB, listen, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatalf("faulttest: listen on %s: %v", listen, err)
	}
	p := &Proxy{target: target, ln: ln, conns: map[net.Conn]struct{}{}, thawed: make(chan struct{})}
	close(p.thawed)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's host:port: give it to the process under test.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Accepted is the number of connections accepted so far.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Dropped is the number of connections Drop closed so far.
func (p *Proxy) Dropped() int64 { return p.dropped.Load() }

// Freeze stops forwarding: bytes already sent wait in the proxy, new
// connections are accepted but not connected through until Thaw.
func (p *Proxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.frozen {
		p.frozen = true
		p.thawed = make(chan struct{})
	}
}

// Thaw resumes forwarding after Freeze.
func (p *Proxy) Thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen {
		p.frozen = false
		close(p.thawed)
	}
}

// Drop closes every open connection, both sides; new ones are accepted.
func (p *Proxy) Drop() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
		n++
	}
	p.dropped.Add(int64(n) / 2)
	return n / 2
}

func (p *Proxy) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	_ = p.ln.Close()
	p.Thaw()
	p.Drop()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // the listener is closed
		}
		p.accepted.Add(1)
		p.wg.Add(1)
		go p.serve(client)
	}
}

// serve connects one client through, once the proxy is not frozen.
func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	p.waitThawed()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		_ = client.Close()
		return
	}
	if !p.track(client, server) {
		return
	}
	var both sync.WaitGroup
	both.Add(2)
	go func() { defer both.Done(); p.pipe(server, client) }()
	go func() { defer both.Done(); p.pipe(client, server) }()
	both.Wait()
	p.untrack(client, server)
}

// track registers a pair, or closes it when the proxy is shutting down.
func (p *Proxy) track(a, b net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = a.Close()
		_ = b.Close()
		return false
	}
	p.conns[a], p.conns[b] = struct{}{}, struct{}{}
	return true
}

func (p *Proxy) untrack(a, b net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, a)
	delete(p.conns, b)
}

func (p *Proxy) waitThawed() {
	p.mu.Lock()
	ch := p.thawed
	p.mu.Unlock()
	<-ch
}

// pipe copies src to dst chunk by chunk, holding each chunk while frozen;
// when either side ends, both are closed so the peer sees it.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer func() { _ = dst.Close(); _ = src.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.waitThawed()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF or a closed side: either way this direction is done
		}
	}
}
