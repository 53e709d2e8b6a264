package libnetwork

import (
	"errors"
	"log"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/hashicorp/memberlist"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netns"
)

// nsTransport is memberlist's TCP/UDP transport living in the
// controller's host namespace. Its listeners are made there (by the thread
// that calls New); the connections it dials are made there too, whatever
// thread memberlist dials from.
type nsTransport struct {
	*memberlist.NetTransport
	ns netns.NsHandle
}

// newNSTransport binds the gossip listeners on addr:port in the calling
// thread's namespace, which is hostNS.
func newNSTransport(hostNS netns.NsHandle, addr string, port int, lg *logrus.Entry) (*nsTransport, error) {
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{addr},
		BindPort:  port,
		Logger:    log.New(logWriter{lg}, "", 0),
	})
	if err != nil {
		return nil, err
	}
	return &nsTransport{NetTransport: nt, ns: hostNS}, nil
}

func (t *nsTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	var conn net.Conn
	err := ns.WithNetNS(t.ns, func() error {
		var err error
		conn, err = t.NetTransport.DialTimeout(addr, timeout)
		return err
	})
	return conn, err
}

func (t *nsTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	var conn net.Conn
	err := ns.WithNetNS(t.ns, func() error {
		var err error
		conn, err = t.NetTransport.DialAddressTimeout(a, timeout)
		return err
	})
	return conn, err
}

// bindError classifies a failure to bind the gossip listeners (memberlist
// keeps only the text of its cause): a port in use is a Conflict, an
// address that is not this host's a BadRequest.
func bindError(addr string, port int, err error) error {
	hp := net.JoinHostPort(addr, strconv.Itoa(port))
	l, perr := net.Listen("tcp", hp)
	switch {
	case perr == nil:
		l.Close()
	case errors.Is(perr, syscall.EADDRINUSE):
		return types.ConflictErrorf("cluster agent: gossip port %s is in use: %w", hp, perr)
	case errors.Is(perr, syscall.EADDRNOTAVAIL):
		return types.BadRequestErrorf("invalid cluster bind address %s: not an address of this host: %w", addr, perr)
	}
	return types.InternalErrorf("cluster agent: bind %s: %w", hp, err)
}

// logWriter sends memberlist's log lines to logrus at debug level.
type logWriter struct{ e *logrus.Entry }

func (w logWriter) Write(b []byte) (int, error) {
	w.e.Debug(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
