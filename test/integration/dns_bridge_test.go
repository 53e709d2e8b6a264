package integration

import (
	"bufio"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
	"github.com/miekg/dns"
)

const dnsDefaultHosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n" +
	"ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"

// TestDNSBridgeNetworks: containers on user-defined bridge networks find
// each other by name through their embedded DNS servers (queries sent
// from inside their namespaces), reach each other at the address found,
// do not see names of networks they do not share (those go to the test's
// upstream server), and lose a name the moment its endpoint leaves. A
// container on the default bridge keeps the upstream servers in its
// resolv.conf and gets no embedded server.
//
// It runs with each firewall backend on: the sandboxes' DNS redirect is the
// same whatever the bridges' firewall.
func TestDNSBridgeNetworks(t *testing.T) { eachFirewall(t, testDNSBridgeNetworks) }

func testDNSBridgeNetworks(t *testing.T, drv options.Generic) {
	e := newDNSEnv(t, "search corp.example\nnameserver 172.30.1.1\n",
		config.OptionDriverConfig("bridge", map[string]interface{}{netlabel.GenericData: drv}))
	front := e.network("front", "172.30.1.0/24", nil)
	back := e.network("back", "172.30.2.0/24", nil)
	defbr := e.network("defbr", "172.30.3.0/24", map[string]string{"com.docker.network.bridge.default_bridge": "true"})
	up := startDNSUpstream(t, e.host, "172.30.1.1:53", map[string]string{"db.": "192.0.2.99"})

	dir := t.TempDir()
	webOpts := []libnetwork.SandboxOption{libnetwork.OptionHostname("web"),
		libnetwork.OptionHostsPath(filepath.Join(dir, "web", "hosts")), libnetwork.OptionResolvConfPath(filepath.Join(dir, "web", "resolv.conf"))}
	web := e.run("web", webOpts, front)
	api := e.run("api", []libnetwork.SandboxOption{libnetwork.OptionHostname("api")}, front, back)
	db := e.run("db", nil, back)
	oldOpts := []libnetwork.SandboxOption{libnetwork.OptionHostname("old"), libnetwork.OptionResolvConfPath(filepath.Join(dir, "old", "resolv.conf"))}
	e.run("old", oldOpts, defbr)

	for _, netw := range []string{"udp", "tcp"} {
		dnsExpect(t, web.h, netw, "api", dns.TypeA, dns.RcodeSuccess, api.ip("front"))
		dnsExpect(t, web.h, netw, "api.front", dns.TypeA, dns.RcodeSuccess, api.ip("front"))
		dnsExpect(t, api.h, netw, "db", dns.TypeA, dns.RcodeSuccess, db.ip("back"))
		dnsExpect(t, api.h, netw, "web.front", dns.TypeA, dns.RcodeSuccess, web.ip("front"))
		dnsExpect(t, db.h, netw, "api", dns.TypeA, dns.RcodeSuccess, api.ip("back"))
	}
	rev, _ := dns.ReverseAddr(api.ip("front"))
	dnsExpect(t, web.h, "udp", rev, dns.TypePTR, dns.RcodeSuccess, "api.front.")
	// db is not on web's network: the upstream answers for it.
	dnsExpect(t, web.h, "udp", "db", dns.TypeA, dns.RcodeSuccess, "192.0.2.99")
	dnsExpect(t, web.h, "udp", "api.back", dns.TypeA, dns.RcodeNameError)
	if !up.wasAsked("db.") || up.wasAsked("api.") {
		t.Fatal("upstream: want asked for db. and not for api.")
	}

	// web reaches api at the address its DNS server gave.
	var ln net.Listener
	testutils.InNS(t, api.h, func() (err error) { ln, err = net.Listen("tcp", ":8080"); return err })
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("hello from api\n"))
			c.Close()
		}
	}()
	addr := dnsAsk(t, web.h, "udp", "api", dns.TypeA).Answer[0].(*dns.A).A.String()
	var reply string
	testutils.InNS(t, web.h, func() error {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(addr, "8080"), 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		reply, err = bufio.NewReader(c).ReadString('\n')
		return err
	})
	if reply != "hello from api\n" {
		t.Fatalf("reply from api: %q", reply)
	}

	// The files: web's point at the embedded server; old's (default
	// bridge) keep the upstream.
	if got := dnsReadFile(t, filepath.Join(dir, "web", "resolv.conf")); got != "search corp.example\nnameserver 127.0.0.11\noptions ndots:0\n" {
		t.Fatalf("web's resolv.conf:\n%s", got)
	}
	if got := dnsReadFile(t, filepath.Join(dir, "web", "hosts")); got != dnsDefaultHosts+"172.30.1.2\tweb\n" {
		t.Fatalf("web's hosts:\n%s", got)
	}
	if got := dnsReadFile(t, filepath.Join(dir, "old", "resolv.conf")); got != "search corp.example\nnameserver 172.30.1.1\n" {
		t.Fatalf("resolv.conf on the default bridge:\n%s", got)
	}

	// api leaves front: web's server forgets it at once.
	if err := api.eps["front"].Leave(api.sb); err != nil {
		t.Fatal(err)
	}
	dnsExpect(t, web.h, "udp", "api", dns.TypeA, dns.RcodeNameError)
	dnsExpect(t, db.h, "udp", "api", dns.TypeA, dns.RcodeSuccess, api.ip("back"))
	if !up.wasAsked("api.") {
		t.Fatal("the name that left was not forwarded")
	}
}
