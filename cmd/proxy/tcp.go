package main

import (
	"errors"
	"io"
	"net"
	"sync"
)

type tcpProxy struct {
	ln      *net.TCPListener
	backend *net.TCPAddr
	dialer  net.Dialer
	net     string
}

func newTCPProxy(c config) (*tcpProxy, error) {
	n := network("tcp", c.host)
	ln, err := net.ListenTCP(n, &net.TCPAddr{IP: c.host, Port: c.hostPort})
	if err != nil {
		return nil, err
	}
	return &tcpProxy{
		ln:      ln,
		backend: &net.TCPAddr{IP: c.ctr, Port: c.ctrPort},
		dialer:  net.Dialer{Timeout: c.dialTimeout},
		net:     network("tcp", c.ctr),
	}, nil
}

func (p *tcpProxy) serve() {
	for {
		conn, err := p.ln.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go p.forward(conn)
	}
}

func (p *tcpProxy) close() { _ = p.ln.Close() }

// forward copies both ways between the client and a new connection to the
// container, passing half-closes on.
func (p *tcpProxy) forward(client *net.TCPConn) {
	defer client.Close()
	c, err := p.dialer.Dial(p.net, p.backend.String())
	if err != nil {
		return
	}
	backend := c.(*net.TCPConn)
	defer backend.Close()
	var wg sync.WaitGroup
	pipe := func(dst, src *net.TCPConn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		_ = dst.CloseWrite()
	}
	wg.Add(2)
	go pipe(backend, client)
	go pipe(client, backend)
	wg.Wait()
}
