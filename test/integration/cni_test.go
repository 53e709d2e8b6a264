package integration

import (
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/miekg/dns"
)

// TestCNI drives the cnmkit-cni plugin with libcni (the library containerd
// and CRI-O use) and cnitool, against a dnet daemon per subtest; the
// binaries are built once.
func TestCNI(t *testing.T) {
	bins := cniBuild(t)
	t.Run("Bridge", func(t *testing.T) { testCNIBridge(t, bins) })
	t.Run("GC", func(t *testing.T) { testCNIGC(t, bins) })
	t.Run("Status", func(t *testing.T) { testCNIStatus(t, bins) })
	t.Run("Ports", func(t *testing.T) { testCNIPorts(t, bins) })
	t.Run("Chained", func(t *testing.T) { testCNIChained(t, bins) })
	t.Run("Macvlan", func(t *testing.T) { testCNIMacvlan(t, bins) })
	t.Run("Overlay", func(t *testing.T) { testCNIOverlay(t, bins) })
	t.Run("PluginDriver", func(t *testing.T) { testCNIPluginDriver(t, bins) })
	t.Run("Cnitool", func(t *testing.T) { testCNITool(t, bins) })
	t.Run("DaemonRestart", func(t *testing.T) { testCNIDaemonRestart(t, bins) })
	t.Run("DaemonDown", func(t *testing.T) { testCNIDaemonDown(t, bins) })
	t.Run("BadInput", func(t *testing.T) { testCNIBadInput(t, bins) })
}

// cniTwo adds two containers to the list's network, checks the results
// against the kernel, real traffic and DNS between them (by alias), CHECK,
// then DEL. extra is the prefix of an interface the driver adds besides
// ours (the overlay's gateway network), "" for none.
func cniTwo(t *testing.T, e *cniEnv, l *libcni.NetworkConfigList, ifname, extra string) {
	t.Helper()
	a, b := newCNICtr(t, "ctr-a"), newCNICtr(t, "ctr-b")
	caps := func(alias string) map[string]interface{} {
		return map[string]interface{}{"aliases": map[string][]string{l.Name: {alias}}}
	}
	ra, rb := a.rt(ifname, caps("alpha")), b.rt(ifname, caps("beta"))
	resA := e.add(l, ra)
	resB := e.add(l, rb)
	for _, c := range []struct {
		ctr *cniCtr
		res *current.Result
	}{{a, resA}, {b, resB}} {
		res := c.res
		if len(res.Interfaces) == 0 || res.Interfaces[0].Name != ifname || res.Interfaces[0].Sandbox != c.ctr.path {
			t.Fatalf("%s: interfaces %+v", c.ctr.id, res.Interfaces)
		}
		if len(res.IPs) != 1 || res.IPs[0].Interface == nil || *res.IPs[0].Interface != 0 {
			t.Fatalf("%s: IPs %+v", c.ctr.id, res.IPs)
		}
		if !reflect.DeepEqual(res.DNS.Nameservers, []string{"127.0.0.11"}) {
			t.Errorf("%s: dns %+v", c.ctr.id, res.DNS)
		}
		got := ctrLinks(t, c.ctr.h)
		want := []string{"lo=127.0.0.1/8", ifname + "=" + res.IPs[0].Address.String()}
		if extra != "" {
			// The overlay driver's gateway network, for the outside.
			want = append(want, got[len(got)-1])
			if !strings.HasPrefix(got[len(got)-1], extra) {
				t.Errorf("%s: no interface %s: %v", c.ctr.id, extra, got)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: links %v, want %v", c.ctr.id, got, want)
		}
	}
	// Real packets both ways, and the embedded DNS server answering each
	// container's alias to the other.
	ipA, ipB := resA.IPs[0].Address.IP, resB.IPs[0].Address.IP
	reach(t, a.h, b.h, ipB, 8080)
	reach(t, b.h, a.h, ipA, 8081)
	dnsExpect(t, a.h, "udp", "beta", dns.TypeA, dns.RcodeSuccess, ipB.String())
	dnsExpect(t, b.h, "udp", "alpha", dns.TypeA, dns.RcodeSuccess, ipA.String())

	if err := e.check(l, ra); err != nil {
		t.Fatalf("CHECK: %v", err)
	}
	e.del(l, ra)
	e.del(l, rb)
	e.del(l, rb) // idempotent
	for _, c := range []*cniCtr{a, b} {
		if got := ctrLinks(t, c.h); !reflect.DeepEqual(got, []string{"lo=127.0.0.1/8"}) {
			t.Errorf("%s after DEL: links %v", c.id, got)
		}
	}
}

func testCNIBridge(t *testing.T, bins cniBins) {
	e := newCNIEnv(t, bins)
	e.start()
	l := e.conflist("1.1.0", "br1", ours("bridge", "10.91.0.0/24", map[string]interface{}{
		"options": map[string]string{"com.docker.network.bridge.name": "cnibr1"}}))
	// Create the network with a first ADD/DEL, then take the snapshot.
	warm := newCNICtr(t, "warm")
	e.add(l, warm.rt("eth0", nil))
	e.del(l, warm.rt("eth0", nil))
	before := e.snap()
	cniTwo(t, e, l, "eth0", "")
	e.same(before, "bridge ADD/DEL")

	// Another interface name than the driver's eth0, a second network in
	// the same container, CHECK seeing what changed in the kernel.
	l2 := e.conflist("1.0.0", "br2", ours("bridge", "10.92.0.0/24", nil))
	c := newCNICtr(t, "multi")
	r1 := e.add(l, c.rt("eth0", nil))
	r2 := e.add(l2, c.rt("net1", nil))
	got := ctrLinks(t, c.h)
	want := []string{"lo=127.0.0.1/8", "eth0=" + r1.IPs[0].Address.String(), "net1=" + r2.IPs[0].Address.String()}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("two networks: links %v, want %v", got, want)
	}
	if err := e.check(l2, c.rt("net1", nil)); err != nil {
		t.Fatalf("CHECK net1: %v", err)
	}
	nl := e.ctrNL(c)
	link, err := nl.LinkByName("net1")
	must(t, err)
	must(t, nl.LinkSetDown(link))
	err = e.check(l2, c.rt("net1", nil))
	if code, msg := cniCode(t, err); code != 100 || !strings.Contains(msg, "net1 is down") {
		t.Errorf("CHECK of a down interface: %d %q", code, msg)
	}
	e.del(l2, c.rt("net1", nil))
	e.del(l, c.rt("eth0", nil))
	if got := ctrLinks(t, c.h); !reflect.DeepEqual(got, []string{"lo=127.0.0.1/8"}) {
		t.Errorf("after DEL of both: links %v", got)
	}
	// DEL of a container never added, and with its namespace gone.
	e.del(l, &libcni.RuntimeConf{ContainerID: "never", NetNS: "/nonexistent/netns", IfName: "eth0"})
}

// testCNIGC: GC removes the attachments the runtime does not list, and
// only those.
func testCNIGC(t *testing.T, bins cniBins) {
	e := newCNIEnv(t, bins)
	e.start()
	l := e.conflist("1.1.0", "gcnet", ours("bridge", "10.93.0.0/24", nil))
	keep, drop := newCNICtr(t, "keep"), newCNICtr(t, "drop")
	e.add(l, keep.rt("eth0", nil))
	e.add(l, drop.rt("eth0", nil))
	// A runtime with an empty cache: only the plugin's GC acts.
	rt := libcni.NewCNIConfigWithCacheDir([]string{bins.dir}, t.TempDir(), nil)
	ctx, cancel := cniCtx()
	defer cancel()
	must(t, rt.GCNetworkList(ctx, l, &libcni.GCArgs{ValidAttachments: []types.GCAttachment{{ContainerID: "keep", IfName: "eth0"}}}))
	if got := ctrLinks(t, drop.h); !reflect.DeepEqual(got, []string{"lo=127.0.0.1/8"}) {
		t.Errorf("GC left the unlisted attachment: %v", got)
	}
	if got := ctrLinks(t, keep.h); len(got) != 2 {
		t.Errorf("GC removed a listed attachment: %v", got)
	}
	if _, err := e.cl.Sandbox(ctx, "drop"); !isAPINotFound(err) {
		t.Errorf("sandbox of the collected container: %v", err)
	}
	must(t, e.check(l, keep.rt("eth0", nil)))
	e.del(l, keep.rt("eth0", nil))
}

// testCNIStatus: STATUS succeeds with the daemon up, code 50 when down.
func testCNIStatus(t *testing.T, bins cniBins) {
	e := newCNIEnv(t, bins)
	e.start()
	l := e.conflist("1.1.0", "st", ours("bridge", "", nil))
	ctx, cancel := cniCtx()
	defer cancel()
	must(t, e.cni.GetStatusNetworkList(ctx, l))
	e.signal(e.d, 15)
	err := e.cni.GetStatusNetworkList(ctx, l)
	if code, msg := cniCode(t, err); code != types.ErrPluginNotAvailable || !strings.Contains(msg, e.sock) {
		t.Errorf("STATUS with the daemon down: %d %q", code, msg)
	}
}

// testCNIPorts: the portMappings capability publishes the port on the
// host namespace's address; DEL unpublishes it.
func testCNIPorts(t *testing.T, bins cniBins) {
	e := newCNIEnv(t, bins)
	hostIP := e.outsideLink(t, "10.94.9.1/24")
	e.start()
	l := e.conflist("1.1.0", "pub", ours("bridge", "10.94.0.0/24", map[string]interface{}{
		"capabilities": map[string]bool{"portMappings": true}}))
	c := newCNICtr(t, "web")
	caps := map[string]interface{}{"portMappings": []map[string]interface{}{{"hostPort": 18080, "containerPort": 80, "protocol": "tcp"}}}
	res := e.add(l, c.rt("eth0", caps))
	serveTCP(t, c.h, net.JoinHostPort(res.IPs[0].Address.IP.String(), "80"), "web")
	peer := e.outsideNS(t)
	addr := net.JoinHostPort(hostIP.String(), "18080")
	eventually(t, "published port "+addr, func() error {
		_, name, err := ask(peer, "tcp", addr, time.Second)
		if err == nil && name != "web" {
			return errStill
		}
		return err
	})
	e.del(l, c.rt("eth0", caps))
	if _, _, err := ask(peer, "tcp", addr, blockedWait); err == nil {
		t.Errorf("port %s still published after DEL", addr)
	}
}

// testCNIChained: our plugin first in a conflist, then the reference
// tuning and portmap plugins, which get our result as prevResult, act on
// it and pass it on; CHECK and DEL go through the chain.
func testCNIChained(t *testing.T, bins cniBins) {
	e := newCNIEnv(t, bins)
	hostIP := e.outsideLink(t, "10.95.9.1/24")
	e.start()
	l := e.conflist("1.0.0", "chain", ours("bridge", "10.95.0.0/24", nil),
		map[string]interface{}{"type": "tuning", "mtu": 1400, "sysctl": map[string]string{"net.ipv4.conf.eth0.arp_announce": "2"}},
		map[string]interface{}{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}, "backend": "iptables"})
	c := newCNICtr(t, "chained")
	caps := map[string]interface{}{"portMappings": []map[string]interface{}{{"hostPort": 18081, "containerPort": 81, "protocol": "tcp"}}}
	res := e.add(l, c.rt("eth0", caps))
	if len(res.Interfaces) != 1 || res.Interfaces[0].Name != "eth0" || len(res.IPs) != 1 || res.DNS.Nameservers[0] != "127.0.0.11" {
		t.Fatalf("chained result lost ours: %+v", res)
	}
	nl := e.ctrNL(c)
	link, err := nl.LinkByName("eth0")
	must(t, err)
	if link.Attrs().MTU != 1400 {
		t.Errorf("tuning did not set the MTU of our interface: %d", link.Attrs().MTU)
	}
	var v []byte
	testutils.InNS(t, c.h, func() (err error) {
		v, err = readFile("/proc/sys/net/ipv4/conf/eth0/arp_announce")
		return err
	})
	if strings.TrimSpace(string(v)) != "2" {
		t.Errorf("tuning sysctl: %q", v)
	}
	// portmap's DNAT to the address of our result.
	serveTCP(t, c.h, net.JoinHostPort(res.IPs[0].Address.IP.String(), "81"), "chained")
	peer := e.outsideNS(t)
	addr := net.JoinHostPort(hostIP.String(), "18081")
	eventually(t, "portmap "+addr, func() error { _, _, err := ask(peer, "tcp", addr, time.Second); return err })
	must(t, e.check(l, c.rt("eth0", caps)))
	e.del(l, c.rt("eth0", caps))
	if got := ctrLinks(t, c.h); !reflect.DeepEqual(got, []string{"lo=127.0.0.1/8"}) {
		t.Errorf("after chained DEL: %v", got)
	}
	if out := e.save("iptables-save"); strings.Contains(out, "18081") {
		t.Errorf("portmap rules left:\n%s", out)
	}
}
