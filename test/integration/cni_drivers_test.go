package integration

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// upVeth creates a veth pair name/name+"p" in the daemon's namespace, both
// ends up, and gives name the address cidr when not empty.
func (e *cniEnv) upVeth(t *testing.T, name, cidr string) {
	t.Helper()
	la := netlink.NewLinkAttrs()
	la.Name = name
	must(t, e.nl.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: name + "p"}))
	for _, n := range []string{name, name + "p"} {
		l, err := e.nl.LinkByName(n)
		must(t, err)
		must(t, e.nl.LinkSetUp(l))
		if n == name && cidr != "" {
			a, err := netlink.ParseAddr(cidr)
			must(t, err)
			must(t, e.nl.AddrAdd(l, a))
		}
	}
}

// testCNIMacvlan: two containers on a macvlan network whose parent is a
// veth of the daemon's namespace.
func testCNIMacvlan(t *testing.T, bins cniBins) {
	e := newCNIEnv(t, bins)
	e.upVeth(t, "mvpar0", "")
	e.start()
	l := e.conflist("1.1.0", "mv", ours("macvlan", "10.96.0.0/24", map[string]interface{}{
		"options": map[string]string{"parent": "mvpar0"}}))
	warm := newCNICtr(t, "warm")
	e.add(l, warm.rt("eth0", nil))
	e.del(l, warm.rt("eth0", nil))
	before := e.snap()
	cniTwo(t, e, l, "eth0", "")
	e.same(before, "macvlan ADD/DEL")
}

// testCNIOverlay: two containers on an overlay network of a one-host
// cluster.
func testCNIOverlay(t *testing.T, bins cniBins) {
	e := newCNIEnv(t, bins)
	e.upVeth(t, "ovup0", "192.168.231.1/24")
	e.start("--node-name", "h1", "--bind-addr", "192.168.231.1", "--advertise-addr", "192.168.231.1")
	l := e.conflist("1.1.0", "ov", ours("overlay", "10.97.0.0/24", map[string]interface{}{
		"options": map[string]string{"com.docker.network.driver.overlay.vxlanid_list": "4501"}}))
	cniTwo(t, e, l, "eth0", "eth1=")
}

// testCNITool drives the plugin with cnitool, the CNI project's own
// command-line runtime: ADD, CHECK, DEL and GC.
func testCNITool(t *testing.T, bins cniBins) {
	e := newCNIEnv(t, bins)
	e.start()
	// cnitool caches results in /var/lib/cni: a tmpfs of this test's
	// mount namespace (it does not propagate to the host).
	if err := unix.Mount("tmpfs", "/var/lib", "tmpfs", 0, "mode=0755"); err != nil {
		t.Fatalf("mount a tmpfs on /var/lib: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount("/var/lib", unix.MNT_DETACH) })
	confDir := t.TempDir()
	l := e.conflist("1.1.0", "tool", ours("bridge", "10.98.0.0/24", nil))
	must(t, os.WriteFile(filepath.Join(confDir, "10-tool.conflist"), l.Bytes, 0o644))
	tool := func(args ...string) (string, error) {
		cmd := exec.Command(bins.cnitool, args...)
		cmd.Env = append(os.Environ(), "CNI_PATH="+bins.dir, "NETCONFPATH="+confDir)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	a, b := newCNICtr(t, "tool-a"), newCNICtr(t, "tool-b")
	var ips []string
	for _, c := range []*cniCtr{a, b} {
		out, err := tool("add", "tool", c.path)
		if err != nil {
			t.Fatalf("cnitool add: %v\n%s", err, out)
		}
		var res current.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.IPs) != 1 || res.Interfaces[0].Name != "eth0" {
			t.Fatalf("cnitool add result %v: %s", err, out)
		}
		ips = append(ips, res.IPs[0].Address.IP.String())
		if out, err := tool("check", "tool", c.path); err != nil {
			t.Fatalf("cnitool check: %v\n%s", err, out)
		}
	}
	reach(t, a.h, b.h, net.ParseIP(ips[1]), 8082)
	if out, err := tool("del", "tool", a.path); err != nil {
		t.Fatalf("cnitool del: %v\n%s", err, out)
	}
	if got := ctrLinks(t, a.h); !reflect.DeepEqual(got, []string{"lo=127.0.0.1/8"}) {
		t.Errorf("after cnitool del: %v", got)
	}
	// cnitool's gc lists no valid attachment: b goes too.
	if out, err := tool("gc", "tool", b.path); err != nil {
		t.Fatalf("cnitool gc: %v\n%s", err, out)
	}
	if got := ctrLinks(t, b.h); !reflect.DeepEqual(got, []string{"lo=127.0.0.1/8"}) {
		t.Errorf("after cnitool gc: %v", got)
	}
	ctx, cancel := cniCtx()
	defer cancel()
	sbs, err := e.cl.Sandboxes(ctx)
	must(t, err)
	for _, sb := range sbs {
		if strings.HasPrefix(sb.Name, "cnitool-") {
			t.Errorf("sandbox %s left after cnitool gc", sb.Name)
		}
	}
}

// testCNIPluginDriver: a network of a remote (plugin) network driver with
// a remote IPAM driver, through the plugin; the interface gets the
// runtime's name.
func testCNIPluginDriver(t *testing.T, bins cniBins) {
	e := newCNIEnv(t, bins)
	pe := &plugEnv{bridgeEnv: &bridgeEnv{t: t}, bin: buildPlugin(t), sockDir: t.TempDir(), specDir: t.TempDir(), blockDir: t.TempDir(), work: t.TempDir()}
	pe.plugin("cnmnet", "network", false)
	pe.plugin("cnmipam", "ipam", false)
	e.start("--plugin-sock-dir", pe.sockDir, "--plugin-spec-dir", pe.specDir)
	l := e.conflist("1.1.0", "pnet", ours("cnmnet", "", map[string]interface{}{"ipam": map[string]interface{}{"driver": "cnmipam"}}))
	c := newCNICtr(t, "plugged")
	res := e.add(l, c.rt("net5", nil))
	if len(res.IPs) != 1 || !strings.HasPrefix(res.IPs[0].Address.String(), "10.123.0.2/") || res.Interfaces[0].Name != "net5" {
		t.Fatalf("result %+v: want the IPAM plugin's 10.123.0.2 on net5", res)
	}
	if got := ctrLinks(t, c.h); !reflect.DeepEqual(got, []string{"lo=127.0.0.1/8", "net5=" + res.IPs[0].Address.String()}) {
		t.Errorf("links %v", got)
	}
	must(t, e.check(l, c.rt("net5", nil)))
	e.del(l, c.rt("net5", nil))
	if got := ctrLinks(t, c.h); !reflect.DeepEqual(got, []string{"lo=127.0.0.1/8"}) {
		t.Errorf("after DEL: %v", got)
	}
	// (The second EndpointOperInfo is CHECK's look at the endpoint.)
	if got, want := pe.callNames("cnmnet", "GetCapabilities"), "CreateNetwork CreateEndpoint EndpointOperInfo Join ProgramExternalConnectivity EndpointOperInfo RevokeExternalConnectivity Leave DeleteEndpoint"; got != want {
		t.Errorf("network plugin calls %q, want %q", got, want)
	}
}
