package testutils

import (
	"net"
	"os"
	"time"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/vishvananda/netns"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Ping sends one ICMP echo from inside h to dst and waits up to timeout
// for the reply.
func Ping(h netns.NsHandle, dst net.IP, timeout time.Duration) error {
	return ns.WithNetNS(h, func() error {
		v6 := dst.To4() == nil
		network, laddr, proto := "ip4:icmp", "0.0.0.0", 1
		var typ icmp.Type = ipv4.ICMPTypeEcho
		if v6 {
			network, laddr, proto, typ = "ip6:ipv6-icmp", "::", 58, ipv6.ICMPTypeEchoRequest
		}
		c, err := icmp.ListenPacket(network, laddr)
		if err != nil {
			return err
		}
		defer c.Close()
		id := os.Getpid() & 0xffff
		msg := icmp.Message{Type: typ, Body: &icmp.Echo{ID: id, Seq: 1, Data: []byte("cnmkit")}}
		b, err := msg.Marshal(nil)
		if err != nil {
			return err
		}
		if _, err := c.WriteTo(b, &net.IPAddr{IP: dst}); err != nil {
			return err
		}
		_ = c.SetReadDeadline(time.Now().Add(timeout))
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return err
			}
			m, err := icmp.ParseMessage(proto, buf[:n])
			if err != nil {
				continue
			}
			if echo, ok := m.Body.(*icmp.Echo); ok && from.(*net.IPAddr).IP.Equal(dst) && echo.ID == id &&
				(m.Type == ipv4.ICMPTypeEchoReply || m.Type == ipv6.ICMPTypeEchoReply) {
				return nil
			}
		}
	})
}
