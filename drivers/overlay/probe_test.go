package overlay

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/ns"
	"golang.org/x/sys/unix"
)

// serveTCP listens on port inside the container and answers every
// connection with the container's name.
func (ct *container) serveTCP(t testing.TB, port int) net.Listener {
	t.Helper()
	var ln net.Listener
	err := ct.run(func() error {
		var err error
		ln, err = net.Listen("tcp", ":"+strconv.Itoa(port))
		return err
	})
	if err != nil {
		t.Fatalf("%s: listen: %v", ct.name, err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte(ct.name))
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln
}

// dialTCP connects from inside the container and returns what the server says.
func (ct *container) dialTCP(ip net.IP, port int, timeout time.Duration) (string, error) {
	var out string
	err := ct.run(func() error {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(port)), timeout)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(timeout))
		b, err := io.ReadAll(c)
		out = string(b)
		return err
	})
	return out, err
}

// expectTCP polls until a TCP connection from ct to ip:port is answered by want.
func (ct *container) expectTCP(t testing.TB, ip net.IP, port int, want string) {
	t.Helper()
	eventually(t, fmt.Sprintf("%s → %s:%d answers %q", ct.name, ip, port, want), 10*time.Second, func() error {
		got, err := ct.dialTCP(ip, port, 300*time.Millisecond)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("answered by %q", got)
		}
		return nil
	})
}

// ping sends one ICMP echo from inside ct to ip and waits for the reply.
// expectPing polls until ct gets an echo reply from ip.
func (ct *container) expectPing(t testing.TB, ip net.IP) {
	t.Helper()
	eventually(t, fmt.Sprintf("%s pings %s", ct.name, ip), 10*time.Second, func() error {
		return testutils.Ping(ct.h, ip, 300*time.Millisecond)
	})
}

// udpListen opens a UDP socket on port inside the container.
func (ct *container) udpListen(t testing.TB, port int) net.PacketConn {
	t.Helper()
	var pc net.PacketConn
	err := ct.run(func() error {
		var err error
		pc, err = net.ListenPacket("udp4", ":"+strconv.Itoa(port))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// udpSendDF sends one datagram of size bytes from inside ct to dst with
// path MTU discovery on (DF set, no local fragmentation).
func (ct *container) udpSendDF(dst *net.UDPAddr, size int) error {
	return ct.run(func() error {
		c, err := net.ListenPacket("udp4", ":0")
		if err != nil {
			return err
		}
		defer c.Close()
		rc, err := c.(*net.UDPConn).SyscallConn()
		if err != nil {
			return err
		}
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DO)
		}); err != nil {
			return err
		}
		if serr != nil {
			return serr
		}
		_, err = c.WriteTo(make([]byte, size), dst)
		return err
	})
}

// ipStat returns an "Ip:" counter of /proc/net/snmp in namespace h.
func (h *host) ipStat(t testing.TB, name string) int64 {
	t.Helper()
	var v int64 = -1
	err := ns.WithNetNS(h.h, func() error {
		f, err := os.Open("/proc/thread-self/net/snmp")
		if err != nil {
			return err
		}
		defer f.Close()
		s := bufio.NewScanner(f)
		var head []string
		for s.Scan() {
			fields := strings.Fields(s.Text())
			if len(fields) == 0 || fields[0] != "Ip:" {
				continue
			}
			if head == nil {
				head = fields
				continue
			}
			for i, k := range head {
				if k == name && i < len(fields) {
					v, err = strconv.ParseInt(fields[i], 10, 64)
					return err
				}
			}
		}
		return errors.New("counter not found")
	})
	if err != nil {
		t.Fatalf("%s: Ip %s: %v", h.name, name, err)
	}
	return v
}
