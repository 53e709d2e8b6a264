package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// The demo's addresses: private ranges, inside the throwaway namespace.
const (
	demoNet       = "demo-net"
	demoBridge    = "dnet-demo0"
	demoSubnet    = "10.213.0.0/24"
	demoGateway   = "10.213.0.1"
	outsideLink   = "dnet-out0"
	outsideHostIP = "10.214.0.1"
	outsideIP     = "10.214.0.2"
	publishedPort = 8080
	webPort       = 80
	embeddedDNS   = "127.0.0.11"
)

// scenario is the demo's state: what it made, to check and to remove.
type scenario struct {
	r    *runner
	work string
	host netns.NsHandle
	hnl  *netlink.Handle
	d    *daemon
	cl   *api.Client
	ctx  context.Context

	base    hostView
	netMade bool
	sbs     map[string]api.Sandbox
	eps     map[string]api.Endpoint
	nsh     map[string]netns.NsHandle
	outside netns.NsHandle
	outPath string
	servers []net.Listener
}

// runDemo runs the demo inside the throwaway namespaces.
func runDemo(e *env, verbose bool) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	logrus.SetOutput(e.stderr)
	logrus.SetLevel(logrus.ErrorLevel)
	if verbose {
		logrus.SetLevel(logrus.DebugLevel)
	}
	r := &runner{ctx: ctx, out: e.stdout, start: time.Now()}
	if err := ns.SetLoopbackUp(); err != nil {
		fmt.Fprintf(e.stderr, "dnet demo: bring up loopback in the throwaway namespace: %v\n", err)
		return exitError
	}
	work, err := os.MkdirTemp("", "dnet-demo-")
	if err != nil {
		fmt.Fprintf(e.stderr, "dnet demo: %v\n", err)
		return exitError
	}
	defer os.RemoveAll(work)
	s := &scenario{r: r, work: work, ctx: ctx, sbs: map[string]api.Sandbox{}, eps: map[string]api.Endpoint{}, nsh: map[string]netns.NsHandle{}}
	fmt.Fprintf(e.stdout, "dnet demo: the Container Network Model end to end, in a throwaway network namespace\n")
	fmt.Fprintf(e.stdout, "work dir %s (removed at the end)\n\n", work)
	s.run()
	s.cleanup()
	code := r.summary()
	if err := os.RemoveAll(work); err == nil {
		fmt.Fprintf(e.stdout, "removed %s\n", work)
	}
	return code
}

// run is the scenario proper; it stops at the first failed step.
func (s *scenario) run() {
	_ = s.r.step("start a controller on its embedded store and serve the API", s.start) &&
		s.r.step("create bridge network "+demoNet, s.createNetwork) &&
		s.r.step("create containers web and client (sandboxes: network namespaces)", s.createSandboxes) &&
		s.r.step("create endpoints: web (publishes tcp/80 on host port 8080, alias www) and client", s.createEndpoints) &&
		s.r.step("attach web and client to "+demoNet, s.attach) &&
		s.r.step("ICMP echo: client -> web", s.icmp) &&
		s.r.step("TCP exchange: client -> web:80", s.tcp) &&
		s.r.step("create an outside namespace, joined to the host by a veth", s.makeOutside) &&
		s.r.step("published port: outside -> host:8080 -> web:80", s.published) &&
		s.resolveStep()
}

func (s *scenario) start() (string, error) {
	var err error
	if s.host, err = netns.Get(); err != nil {
		return "", err
	}
	if s.hnl, err = netlink.NewHandleAt(s.host); err != nil {
		return "", err
	}
	resolv := filepath.Join(s.work, "resolv.conf")
	if err := os.WriteFile(resolv, []byte("# dnet demo: no upstream DNS servers, nothing leaves the machine\n"), 0o644); err != nil {
		return "", err
	}
	cfg := defaultDaemonConfig()
	cfg.DataDir, cfg.ExecRoot = filepath.Join(s.work, "data"), filepath.Join(s.work, "run")
	cfg.ResolvConf = resolv
	cfg.LogLevel = logrus.GetLevel().String()
	if err := cfg.finish(); err != nil {
		return "", err
	}
	if s.d, err = startDaemon(cfg); err != nil {
		return "", err
	}
	if s.cl, err = api.NewClient("unix://" + cfg.Socket); err != nil {
		return "", err
	}
	info, err := s.cl.Info(s.ctx)
	if err != nil {
		return "", err
	}
	if s.base, err = snapshotHost(s.hnl); err != nil {
		return "", err
	}
	return fmt.Sprintf("controller %s, API on unix:%s\nstore in %s, namespaces under %s", shortID(info.ControllerID), cfg.Socket, info.DataDir, info.ExecRoot), nil
}

func (s *scenario) createNetwork() (string, error) {
	n, err := s.cl.CreateNetwork(s.ctx, api.NetworkCreate{
		Name: demoNet, Driver: "bridge",
		IPAM:    []api.IPAMConfig{{Subnet: demoSubnet, Gateway: demoGateway}},
		Options: map[string]string{"com.docker.network.bridge.name": demoBridge},
	})
	if err != nil {
		return "", err
	}
	s.netMade = true
	l, err := s.hnl.LinkByName(demoBridge)
	if err != nil {
		return "", fmt.Errorf("bridge %s not in the kernel: %w", demoBridge, err)
	}
	addrs, err := s.hnl.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		return "", err
	}
	want := demoGateway + "/24"
	for _, a := range addrs {
		if a.IPNet.String() == want {
			return fmt.Sprintf("network %s; bridge %s has %s (kernel)", shortID(n.ID), demoBridge, want), nil
		}
	}
	return "", fmt.Errorf("bridge %s lacks the gateway address %s", demoBridge, want)
}

func (s *scenario) createSandboxes() (string, error) {
	var lines []string
	for _, name := range []string{"web", "client"} {
		sb, err := s.cl.CreateSandbox(s.ctx, api.SandboxCreate{Name: name, Hostname: name})
		if err != nil {
			return "", err
		}
		s.sbs[name] = sb
		if !ns.IsNetNS(sb.Key) {
			return "", fmt.Errorf("sandbox key %s is not a network namespace", sb.Key)
		}
		h, err := netns.GetFromPath(sb.Key)
		if err != nil {
			return "", err
		}
		s.nsh[name] = h
		lines = append(lines, fmt.Sprintf("%-6s namespace pinned at %s", name, sb.Key))
	}
	return strings.Join(lines, "\n"), nil
}

func (s *scenario) createEndpoints() (string, error) {
	web, err := s.cl.CreateEndpoint(s.ctx, demoNet, api.EndpointCreate{
		Name: "web", Aliases: []string{"www"},
		PortBindings: []api.PortBinding{{Proto: "tcp", Port: webPort, HostPort: publishedPort}},
	})
	if err != nil {
		return "", err
	}
	s.eps["web"] = web
	client, err := s.cl.CreateEndpoint(s.ctx, demoNet, api.EndpointCreate{Name: "client"})
	if err != nil {
		return "", err
	}
	s.eps["client"] = client
	return fmt.Sprintf("web    %s\nclient %s", web.IPv4Address, client.IPv4Address), nil
}

func (s *scenario) attach() (string, error) {
	var lines []string
	for _, name := range []string{"web", "client"} {
		sb, err := s.cl.Attach(s.ctx, name, demoNet, name)
		if err != nil {
			return "", err
		}
		ep := s.eps[name]
		found := ""
		for _, itf := range sb.Interfaces {
			for _, a := range itf.Addresses {
				if a == ep.IPv4Address && itf.Up {
					found = itf.Name
				}
			}
		}
		if found == "" {
			return "", fmt.Errorf("no interface with %s is up in %s's namespace", ep.IPv4Address, name)
		}
		gw := ""
		if len(sb.Endpoints) > 0 {
			gw = sb.Endpoints[0].Gateway
		}
		lines = append(lines, fmt.Sprintf("%-6s %s %s up, gateway %s (kernel)", name, found, ep.IPv4Address, gw))
	}
	return strings.Join(lines, "\n"), nil
}

func ipOf(cidr string) net.IP {
	ip, _, _ := net.ParseCIDR(cidr)
	return ip
}

func (s *scenario) icmp() (string, error) {
	dst := ipOf(s.eps["web"].IPv4Address)
	var rtt time.Duration
	err := retry(5*time.Second, func() (err error) {
		rtt, err = ping(s.nsh["client"], dst, time.Second)
		return err
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("echo reply from %s in %s (raw ICMP socket inside client's namespace)", dst, fmtDur(rtt)), nil
}

func (s *scenario) tcp() (string, error) {
	ln, err := serveEcho(s.nsh["web"], fmt.Sprintf("0.0.0.0:%d", webPort), "web")
	if err != nil {
		return "", err
	}
	s.servers = append(s.servers, ln)
	addr := net.JoinHostPort(ipOf(s.eps["web"].IPv4Address).String(), fmt.Sprint(webPort))
	var answer string
	err = retry(5*time.Second, func() (err error) {
		answer, err = exchange(s.nsh["client"], addr, "hello from client", time.Second)
		return err
	})
	if err != nil {
		return "", err
	}
	clientIP := ipOf(s.eps["client"].IPv4Address).String()
	want := fmt.Sprintf("web got %q from %s", "hello from client", clientIP)
	if answer != want {
		return "", fmt.Errorf("answer %q, want %q", answer, want)
	}
	return "web answered: " + answer, nil
}

func (s *scenario) makeOutside() (string, error) {
	s.outPath = filepath.Join(s.work, "outside.netns")
	if err := ns.NewPinned(s.outPath, true); err != nil {
		return "", err
	}
	h, err := netns.GetFromPath(s.outPath)
	if err != nil {
		return "", err
	}
	s.outside = h
	onl, err := netlink.NewHandleAt(h)
	if err != nil {
		return "", err
	}
	defer onl.Close()
	la := netlink.NewLinkAttrs()
	// An index unlike its peer's: the kernel then treats carrier changes
	// of the pair as urgent instead of batching them for up to a second.
	la.Name, la.Index = outsideLink, 4242
	if err := s.hnl.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(h))}); err != nil {
		return "", err
	}
	hl, err := s.hnl.LinkByName(outsideLink)
	if err != nil {
		return "", err
	}
	ol, err := onl.LinkByName("eth0")
	if err != nil {
		return "", err
	}
	for _, step := range []func() error{
		func() error { return s.hnl.AddrAdd(hl, &netlink.Addr{IPNet: cidr(outsideHostIP + "/24")}) },
		func() error { return s.hnl.LinkSetUp(hl) },
		func() error { return onl.AddrAdd(ol, &netlink.Addr{IPNet: cidr(outsideIP + "/24")}) },
		func() error { return onl.LinkSetUp(ol) },
	} {
		if err := step(); err != nil {
			return "", err
		}
	}
	// Wait for the carrier on both ends: a SYN sent before it would wait
	// for a retransmission.
	err = retry(5*time.Second, func() error {
		for _, end := range []struct {
			nl   *netlink.Handle
			name string
		}{{onl, "eth0"}, {s.hnl, outsideLink}} {
			l, err := end.nl.LinkByName(end.name)
			if err != nil {
				return err
			}
			if l.Attrs().OperState != netlink.OperUp {
				return fmt.Errorf("%s is %s", end.name, l.Attrs().OperState)
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("outside %s <-> host %s (%s)", outsideIP, outsideHostIP, outsideLink), nil
}

func cidr(s string) *net.IPNet {
	ip, n, _ := net.ParseCIDR(s)
	n.IP = ip
	return n
}

func (s *scenario) published() (string, error) {
	addr := net.JoinHostPort(outsideHostIP, fmt.Sprint(publishedPort))
	var answer string
	err := retry(5*time.Second, func() (err error) {
		answer, err = exchange(s.outside, addr, "hello from outside", time.Second)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("connect to %s from outside: %w", addr, err)
	}
	if !strings.HasPrefix(answer, "web got \"hello from outside\"") {
		return "", fmt.Errorf("answer %q did not come from web", answer)
	}
	ep, err := s.cl.Endpoint(s.ctx, demoNet, "web")
	if err != nil {
		return "", err
	}
	pub := "none reported"
	if len(ep.Published) > 0 {
		pub = publishString(ep.Published[0])
	}
	fw := ""
	if now, err := snapshotHost(s.hnl); err == nil && now.fw {
		n := 0
		for _, r := range now.rules {
			if strings.Contains(r, fmt.Sprintf("--dport %d", publishedPort)) {
				n++
			}
		}
		fw = fmt.Sprintf(", %d firewall rule(s) for port %d", n, publishedPort)
	}
	return fmt.Sprintf("web answered: %s\nendpoint inspect shows published %s%s", answer, pub, fw), nil
}

// resolveStep asks the client's embedded DNS server for web and www. The
// step is skipped, and says so, when the controller wrote no resolv.conf
// for the sandbox (no sandbox DNS in this build).
func (s *scenario) resolveStep() bool {
	const title = "name resolution: client resolves web and its alias www"
	if s.r.failed > 0 {
		return s.r.step(title, nil)
	}
	rc := filepath.Join(s.d.cfg.ExecRoot, "files", s.sbs["client"].ID, "resolv.conf")
	b, err := os.ReadFile(rc)
	if errors.Is(err, os.ErrNotExist) {
		s.r.skipped(title, "sandbox DNS not available yet (the controller wrote no resolv.conf for the sandbox)")
		return true
	}
	return s.r.step(title, func() (string, error) {
		if err != nil {
			return "", err
		}
		if !strings.Contains(string(b), "nameserver "+embeddedDNS) {
			return "", fmt.Errorf("the sandbox's resolv.conf does not name the embedded server %s:\n%s", embeddedDNS, b)
		}
		want := ipOf(s.eps["web"].IPv4Address)
		var lines []string
		for _, name := range []string{"web", "www"} {
			ips, err := lookup(s.nsh["client"], embeddedDNS+":53", name)
			if err != nil {
				return "", err
			}
			if len(ips) != 1 || !ips[0].Equal(want) {
				return "", fmt.Errorf("%s resolved to %v, want %s", name, ips, want)
			}
			lines = append(lines, fmt.Sprintf("%-3s -> %s (DNS query to %s inside client's namespace)", name, ips[0], embeddedDNS))
		}
		return strings.Join(lines, "\n"), nil
	})
}
