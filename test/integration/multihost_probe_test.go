package integration

import (
	"errors"
	"fmt"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"net"
	"os"
	"strings"
	"time"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/miekg/dns"
	"github.com/vishvananda/netns"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// mhResolve asks the embedded DNS server (127.0.0.11) of the container
// whose namespace is h for the A records of name.
func mhResolve(h netns.NsHandle, name string) ([]string, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	var r *dns.Msg
	err := ns.WithNetNS(h, func() (err error) {
		r, _, err = (&dns.Client{Net: "udp", Timeout: 2 * time.Second}).Exchange(m, "127.0.0.11:53")
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	return out, nil
}

// resolvesTo checks that name resolves to exactly ip from h.
func resolvesTo(h netns.NsHandle, name string, ip net.IP) error {
	got, err := mhResolve(h, name)
	if err != nil {
		return err
	}
	if len(got) != 1 || got[0] != ip.String() {
		return fmt.Errorf("%s resolves to %v, want %s", name, got, ip)
	}
	return nil
}

// unresolved checks that name has no A record from h.
func unresolved(h netns.NsHandle, name string) error {
	got, err := mhResolve(h, name)
	if err != nil {
		return err
	}
	if len(got) != 0 {
		return fmt.Errorf("%s still resolves to %v", name, got)
	}
	return nil
}

var errTooBig = errors.New("message too long for the path")

// pingDF sends one ICMP echo request of exactly size bytes (IP header
// included) with Don't Fragment set, from inside h to dst, and waits up
// to timeout for the reply. A packet larger than the path MTU known to
// the sender fails with errTooBig.
func pingDF(h netns.NsHandle, dst net.IP, size int, timeout time.Duration) error {
	return ns.WithNetNS(h, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DO); err != nil {
			return err
		}
		tv := unix.NsecToTimeval(int64(timeout))
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return err
		}
		id, seq := os.Getpid()&0xffff, size&0xffff
		msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: id, Seq: seq, Data: make([]byte, size-20-8)}}
		b, err := msg.Marshal(nil)
		if err != nil {
			return err
		}
		var to unix.SockaddrInet4
		copy(to.Addr[:], dst.To4())
		if err := unix.Sendto(fd, b, 0, &to); err != nil {
			if errors.Is(err, unix.EMSGSIZE) {
				return errTooBig
			}
			return err
		}
		deadline := time.Now().Add(timeout)
		buf := make([]byte, 65536)
		for time.Now().Before(deadline) {
			n, from, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				return err
			}
			src, ok := from.(*unix.SockaddrInet4)
			if !ok || !net.IP(src.Addr[:]).Equal(dst.To4()) || n < 20 {
				continue
			}
			hl := int(buf[0]&0x0f) * 4
			m, err := icmp.ParseMessage(1, buf[hl:n])
			if err != nil {
				continue
			}
			if e, ok := m.Body.(*icmp.Echo); ok && m.Type == ipv4.ICMPTypeEchoReply && e.ID == id && e.Seq == seq {
				if n != size {
					return fmt.Errorf("reply of %d bytes to a request of %d", n, size)
				}
				return nil
			}
		}
		return fmt.Errorf("no echo reply of %d bytes from %s", size, dst)
	})
}

// serve starts a TCP server in the container on its address and port,
// answering "<client ip> <host>/<name>" (serveTCP); it returns the address.
func (c *mhCtr) serve(port int) string {
	addr := net.JoinHostPort(c.ip.String(), itoa(port))
	serveTCP(c.h.c.t, c.ns, addr, c.h.name+"/"+c.name)
	return addr
}

// talk checks ICMP and TCP from c to the server of dst at addr: the
// server sees c's own address (no NAT) and is dst.
func (c *mhCtr) talk(dst *mhCtr, addr string) error {
	if err := testutils.Ping(c.ns, dst.ip, 500*time.Millisecond); err != nil {
		return fmt.Errorf("ping %s → %s: %w", c.name, dst.name, err)
	}
	seen, name, err := ask(c.ns, "tcp", addr, time.Second)
	if err != nil {
		return fmt.Errorf("tcp %s → %s: %w", c.name, dst.name, err)
	}
	if seen != c.ip.String() || name != dst.h.name+"/"+dst.name {
		return fmt.Errorf("tcp %s → %s: answered by %s, seeing %s", c.name, dst.name, name, seen)
	}
	return nil
}

// ifaceMTU returns the MTU of the container's interface holding its
// address.
func (c *mhCtr) ifaceMTU() (int, error) {
	var mtu int
	err := ns.WithNetNS(c.ns, func() error {
		itfs, err := net.Interfaces()
		if err != nil {
			return err
		}
		for _, itf := range itfs {
			addrs, _ := itf.Addrs()
			for _, a := range addrs {
				if strings.HasPrefix(a.String(), c.ip.String()+"/") {
					mtu = itf.MTU
					return nil
				}
			}
		}
		return fmt.Errorf("no interface with %s", c.ip)
	})
	return mtu, err
}
