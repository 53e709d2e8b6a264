package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/miekg/dns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// retry calls fn until it succeeds or the deadline passes; it returns the
// last error.
func retry(within time.Duration, fn func() error) error {
	deadline := time.Now().Add(within)
	for {
		err := fn()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ping sends one ICMP echo from inside h to dst over a raw socket and
// waits for the reply; it returns the round-trip time.
func ping(h netns.NsHandle, dst net.IP, timeout time.Duration) (time.Duration, error) {
	var rtt time.Duration
	err := ns.WithNetNS(h, func() error {
		c, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
		if err != nil {
			return fmt.Errorf("raw ICMP socket: %w", err)
		}
		defer c.Close()
		id := os.Getpid() & 0xffff
		msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: id, Seq: 1, Data: []byte("dnet demo")}}
		b, err := msg.Marshal(nil)
		if err != nil {
			return err
		}
		t0 := time.Now()
		if _, err := c.WriteTo(b, &net.IPAddr{IP: dst}); err != nil {
			return fmt.Errorf("send echo to %s: %w", dst, err)
		}
		_ = c.SetReadDeadline(t0.Add(timeout))
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return fmt.Errorf("no echo reply from %s: %w", dst, err)
			}
			m, err := icmp.ParseMessage(1, buf[:n])
			if err != nil || m.Type != ipv4.ICMPTypeEchoReply {
				continue
			}
			if e, ok := m.Body.(*icmp.Echo); ok && e.ID == id && from.(*net.IPAddr).IP.Equal(dst) {
				rtt = time.Since(t0)
				return nil
			}
		}
	})
	return rtt, err
}

// serveEcho serves TCP on addr inside h: for each line a client sends it
// answers "<name> got <line> from <client address>". The listener lives
// until closed.
func serveEcho(h netns.NsHandle, addr, name string) (net.Listener, error) {
	var ln net.Listener
	err := ns.WithNetNS(h, func() (err error) {
		ln, err = net.Listen("tcp4", addr)
		return err
	})
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				line, err := bufio.NewReader(c).ReadString('\n')
				if err != nil {
					return
				}
				ip := c.RemoteAddr().(*net.TCPAddr).IP
				fmt.Fprintf(c, "%s got %q from %s\n", name, strings.TrimSpace(line), ip)
			}(c)
		}
	}()
	return ln, nil
}

// exchange connects from inside h to addr, sends a line and returns the
// answer.
func exchange(h netns.NsHandle, addr, line string, timeout time.Duration) (string, error) {
	var answer string
	err := ns.WithNetNS(h, func() error {
		c, err := net.DialTimeout("tcp4", addr, timeout)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(timeout))
		if _, err := fmt.Fprintln(c, line); err != nil {
			return err
		}
		answer, err = bufio.NewReader(c).ReadString('\n')
		answer = strings.TrimSpace(answer)
		return err
	})
	return answer, err
}

// lookup asks the DNS server at server (inside h) for the A records of name.
func lookup(h netns.NsHandle, server, name string) ([]net.IP, error) {
	var ips []net.IP
	err := ns.WithNetNS(h, func() error {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), dns.TypeA)
		c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
		r, _, err := c.Exchange(m, server)
		if err != nil {
			return err
		}
		if r.Rcode != dns.RcodeSuccess {
			return fmt.Errorf("%s answered %s for %s", server, dns.RcodeToString[r.Rcode], name)
		}
		for _, rr := range r.Answer {
			if a, ok := rr.(*dns.A); ok {
				ips = append(ips, a.A)
			}
		}
		if len(ips) == 0 {
			return fmt.Errorf("%s has no A record for %s", server, name)
		}
		return nil
	})
	return ips, err
}

// hostView is what the demo's host namespace holds: links, routes and
// firewall rules.
type hostView struct {
	links  []string
	routes []string
	rules  []string // iptables-save rule lines
	fw     bool     // iptables-save ran
}

var counters = regexp.MustCompile(`\[\d+:\d+\]`)

func snapshotHost(nl *netlink.Handle) (hostView, error) {
	var v hostView
	links, err := nl.LinkList()
	if err != nil {
		return v, err
	}
	for _, l := range links {
		v.links = append(v.links, l.Attrs().Name)
	}
	routes, err := nl.RouteList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return v, err
	}
	for _, r := range routes {
		v.routes = append(v.routes, r.String())
	}
	for _, tool := range []string{"iptables-save", "ip6tables-save"} {
		out, err := exec.Command(tool).Output()
		if err != nil {
			continue
		}
		v.fw = true
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "-A ") {
				v.rules = append(v.rules, tool+": "+counters.ReplaceAllString(line, ""))
			}
		}
	}
	sort.Strings(v.links)
	sort.Strings(v.routes)
	sort.Strings(v.rules)
	return v, nil
}

// diff lists what differs between two snapshots.
func (v hostView) diff(o hostView) []string {
	var out []string
	cmp := func(kind string, a, b []string) {
		in := func(l []string, s string) bool {
			for _, x := range l {
				if x == s {
					return true
				}
			}
			return false
		}
		for _, x := range b {
			if !in(a, x) {
				out = append(out, fmt.Sprintf("%s left behind: %s", kind, x))
			}
		}
		for _, x := range a {
			if !in(b, x) {
				out = append(out, fmt.Sprintf("%s gone: %s", kind, x))
			}
		}
	}
	cmp("link", v.links, o.links)
	cmp("route", v.routes, o.routes)
	cmp("firewall rule", v.rules, o.rules)
	return out
}
