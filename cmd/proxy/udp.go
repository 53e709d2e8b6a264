package main

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// maxDatagram is the largest UDP payload.
const maxDatagram = 65535

// udpProxy keeps one connected socket towards the container per client
// address, dropped after idle time without traffic either way.
type udpProxy struct {
	ln      *net.UDPConn
	backend *net.UDPAddr
	net     string
	idle    time.Duration

	mu    sync.Mutex
	flows map[string]*udpFlow
}

type udpFlow struct {
	conn *net.UDPConn
	last atomic.Int64 // unix nanoseconds of the last packet either way
}

func newUDPProxy(c config) (*udpProxy, error) {
	ln, err := net.ListenUDP(network("udp", c.host), &net.UDPAddr{IP: c.host, Port: c.hostPort})
	if err != nil {
		return nil, err
	}
	return &udpProxy{
		ln:      ln,
		backend: &net.UDPAddr{IP: c.ctr, Port: c.ctrPort},
		net:     network("udp", c.ctr),
		idle:    c.udpIdle,
		flows:   map[string]*udpFlow{},
	}, nil
}

func (p *udpProxy) serve() {
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := p.ln.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		f, err := p.flow(from)
		if err != nil {
			continue
		}
		f.last.Store(time.Now().UnixNano())
		_, _ = f.conn.Write(buf[:n])
	}
}

func (p *udpProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, f := range p.flows {
		_ = f.conn.Close()
		delete(p.flows, k)
	}
}

// flow returns the client's flow, opening it on the first packet.
func (p *udpProxy) flow(client *net.UDPAddr) (*udpFlow, error) {
	key := client.String()
	p.mu.Lock()
	defer p.mu.Unlock()
	if f := p.flows[key]; f != nil {
		return f, nil
	}
	conn, err := net.DialUDP(p.net, nil, p.backend)
	if err != nil {
		return nil, err
	}
	f := &udpFlow{conn: conn}
	f.last.Store(time.Now().UnixNano())
	p.flows[key] = f
	go p.replies(key, client, f)
	return f, nil
}

// replies sends the container's datagrams back to the client until the
// flow has been idle for p.idle.
func (p *udpProxy) replies(key string, client *net.UDPAddr, f *udpFlow) {
	defer func() {
		p.mu.Lock()
		if p.flows[key] == f {
			delete(p.flows, key)
		}
		p.mu.Unlock()
		_ = f.conn.Close()
	}()
	buf := make([]byte, maxDatagram)
	for {
		deadline := time.Unix(0, f.last.Load()).Add(p.idle)
		if !time.Now().Before(deadline) {
			return
		}
		_ = f.conn.SetReadDeadline(deadline)
		n, err := f.conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue // re-check: the client may have sent since
			}
			return
		}
		f.last.Store(time.Now().UnixNano())
		if _, err := p.ln.WriteToUDP(buf[:n], client); err != nil && errors.Is(err, net.ErrClosed) {
			return
		}
	}
}
