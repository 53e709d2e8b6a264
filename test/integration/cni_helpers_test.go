package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// The CNI clients and reference plugins the tests drive, built from their
// modules through the Go proxy (versions pinned here).
const (
	cniModVersion     = "v1.3.1"  // libcni and cnitool, as in go.mod
	pluginsModVersion = "v1.10.0" // the reference plugins
)

// cniBins are the binaries of the CNI tests: our plugin and dnet, built
// from this tree, and the reference plugins and cnitool.
type cniBins struct {
	dir     string // CNI_PATH: cnmkit-cni, bridge, host-local, tuning, portmap
	cnitool string
	dnet    dnetBinaries
}

var (
	cniBuildOnce sync.Once
	cniBuilt     cniBins
	cniBuildErr  error
)

// cniBuild builds the CNI binaries once per test binary, into a cache
// directory of the user's (the builds are Go-build-cached, the directory
// is reused and rewritten by every test binary).
func cniBuild(t testing.TB) cniBins {
	t.Helper()
	testutils.RequireRoot(t)
	cniBuildOnce.Do(func() { cniBuilt, cniBuildErr = cniBuildAll() })
	if cniBuildErr != nil {
		t.Fatal(cniBuildErr)
	}
	return cniBuilt
}

// cniBinDir is the cache directory of the CNI test binaries: every test
// binary rebuilds them (from the Go build cache: quick), under a lock, and
// replaces them by rename, so that the directory never grows.
var cniBinDir = filepath.Join(os.TempDir(), "cnmkit-cni-test-bins")

func cniBuildAll() (cniBins, error) {
	base := cniBinDir
	if err := os.MkdirAll(base, 0o755); err != nil {
		return cniBins{}, err
	}
	lock, err := os.OpenFile(filepath.Join(base, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return cniBins{}, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return cniBins{}, err
	}
	b := cniBins{dir: filepath.Join(base, "plugins"), cnitool: filepath.Join(base, "cnitool")}
	tmp, err := os.MkdirTemp(base, "build-")
	if err != nil {
		return b, err
	}
	defer os.RemoveAll(tmp)
	run := func(env []string, args ...string) error {
		cmd := exec.Command("go", args...)
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	// The tests run without a network: the modules come from the module
	// cache, which `make cni-deps` fills.
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return b, fmt.Errorf("go env GOMODCACHE: %w", err)
	}
	install := []string{"GOBIN=" + tmp, "GOFLAGS=-buildvcs=false", "GOSUMDB=off",
		"GOPROXY=file://" + filepath.Join(strings.TrimSpace(string(modcache)), "cache", "download")}
	steps := [][]string{
		{"build", "-buildvcs=false", "-o", filepath.Join(tmp, "cnmkit-cni"), "../../cmd/cnmkit-cni"},
		{"build", "-buildvcs=false", "-o", filepath.Join(tmp, "dnet"), "../../cmd/dnet"},
		{"install", "github.com/containernetworking/plugins/plugins/main/bridge@" + pluginsModVersion,
			"github.com/containernetworking/plugins/plugins/ipam/host-local@" + pluginsModVersion,
			"github.com/containernetworking/plugins/plugins/meta/tuning@" + pluginsModVersion,
			"github.com/containernetworking/plugins/plugins/meta/portmap@" + pluginsModVersion},
		{"install", "github.com/containernetworking/cni/cnitool@" + cniModVersion},
	}
	if dnetRace {
		steps = append(steps, []string{"build", "-buildvcs=false", "-race", "-o", filepath.Join(tmp, "dnet-race"), "../../cmd/dnet"})
	}
	for _, s := range steps {
		var env []string
		if s[0] == "install" {
			env = install
		}
		if err := run(env, s...); err != nil {
			if s[0] == "install" {
				err = fmt.Errorf("%w\n(fill the module cache with `make cni-deps`)", err)
			}
			return b, err
		}
	}
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return b, err
	}
	moves := map[string]string{"cnitool": b.cnitool, "dnet": filepath.Join(base, "dnet"), "dnet-race": filepath.Join(base, "dnet-race")}
	for _, p := range []string{"cnmkit-cni", "bridge", "host-local", "tuning", "portmap"} {
		moves[p] = filepath.Join(b.dir, p)
	}
	for from, to := range moves {
		if err := os.Rename(filepath.Join(tmp, from), to); err != nil && !(from == "dnet-race" && !dnetRace) {
			return b, err
		}
	}
	b.dnet = dnetBinaries{cli: filepath.Join(base, "dnet"), daemon: filepath.Join(base, "dnet")}
	if dnetRace {
		b.dnet.daemon = filepath.Join(base, "dnet-race")
	}
	return b, nil
}

// cniEnv is a dnet daemon (see dnetEnv) and a libcni runtime with our
// plugin and the reference ones on its path.
type cniEnv struct {
	*dnetEnv
	bins  cniBins
	cni   *libcni.CNIConfig
	cache string
	peer  netns.NsHandle
}

// newCNIEnv prepares the daemon's namespace and the runtime; start the
// daemon with e.start.
func newCNIEnv(t testing.TB, bins cniBins) *cniEnv {
	t.Helper()
	e := &cniEnv{dnetEnv: newDnetEnv(t, bins.dnet), bins: bins, cache: t.TempDir()}
	e.cni = libcni.NewCNIConfigWithCacheDir([]string{bins.dir}, e.cache, nil)
	return e
}

// conflist is a network configuration list named name of the given
// plugin configurations; ours ({"type":"cnmkit-cni"}) get the daemon's
// socket unless they name one.
func (e *cniEnv) conflist(version, name string, plugins ...map[string]interface{}) *libcni.NetworkConfigList {
	e.t.Helper()
	for _, p := range plugins {
		if p["type"] == "cnmkit-cni" {
			if _, ok := p["socket"]; !ok {
				p["socket"] = e.sock
			}
		}
	}
	b, err := json.Marshal(map[string]interface{}{"cniVersion": version, "name": name, "plugins": plugins})
	if err != nil {
		e.t.Fatal(err)
	}
	l, err := libcni.NetworkConfFromBytes(b)
	if err != nil {
		e.t.Fatalf("conflist %s: %v", b, err)
	}
	return l
}

// ours is a configuration of our plugin with driver and subnet, taking
// the aliases capability.
func ours(driver, subnet string, extra map[string]interface{}) map[string]interface{} {
	p := map[string]interface{}{"type": "cnmkit-cni", "driver": driver, "capabilities": map[string]bool{"aliases": true}}
	if subnet != "" {
		p["ipam"] = map[string]interface{}{"config": []map[string]string{{"subnet": subnet}}}
	}
	for k, v := range extra {
		if caps, ok := v.(map[string]bool); ok && k == "capabilities" {
			for c, on := range caps {
				p[k].(map[string]bool)[c] = on
			}
			continue
		}
		p[k] = v
	}
	return p
}

// cniCtr is a container of the runtime: a namespace pinned under the
// test's temp dir and its ID.
type cniCtr struct {
	id   string
	path string
	h    netns.NsHandle
}

func newCNICtr(t testing.TB, id string) *cniCtr {
	t.Helper()
	path, h := testutils.NewNS(t, id)
	return &cniCtr{id: id, path: path, h: h}
}

func (c *cniCtr) rt(ifname string, caps map[string]interface{}) *libcni.RuntimeConf {
	return &libcni.RuntimeConf{ContainerID: c.id, NetNS: c.path, IfName: ifname, CapabilityArgs: caps}
}

func cniCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), time.Minute)
}

// add runs ADD of the list for c and returns the result.
func (e *cniEnv) add(l *libcni.NetworkConfigList, rt *libcni.RuntimeConf) *current.Result {
	e.t.Helper()
	ctx, cancel := cniCtx()
	defer cancel()
	r, err := e.cni.AddNetworkList(ctx, l, rt)
	if err != nil {
		e.t.Fatalf("ADD %s for %s: %v", l.Name, rt.ContainerID, err)
	}
	res, err := current.NewResultFromResult(r)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func (e *cniEnv) check(l *libcni.NetworkConfigList, rt *libcni.RuntimeConf) error {
	ctx, cancel := cniCtx()
	defer cancel()
	return e.cni.CheckNetworkList(ctx, l, rt)
}

func (e *cniEnv) del(l *libcni.NetworkConfigList, rt *libcni.RuntimeConf) {
	e.t.Helper()
	ctx, cancel := cniCtx()
	defer cancel()
	if err := e.cni.DelNetworkList(ctx, l, rt); err != nil {
		e.t.Fatalf("DEL %s for %s: %v", l.Name, rt.ContainerID, err)
	}
}

// cniCode returns the code and message of the CNI error err.
func cniCode(t testing.TB, err error) (uint, string) {
	t.Helper()
	var ce *types.Error
	if !errors.As(err, &ce) {
		t.Fatalf("not a CNI error: %v (%T)", err, err)
	}
	return ce.Code, ce.Msg
}

// ctrLinks lists the links of a container's namespace with their IPv4
// addresses ("eth0=10.1.0.2/24").
func ctrLinks(t testing.TB, h netns.NsHandle) []string {
	t.Helper()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	ls, err := nl.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		addrs, err := nl.AddrList(l, netlink.FAMILY_V4)
		if err != nil {
			t.Fatal(err)
		}
		s := l.Attrs().Name + "="
		for _, a := range addrs {
			s += a.IPNet.String()
		}
		out = append(out, s)
	}
	return out
}

// cniState is what the tests check is left alone: the daemon's objects,
// the host namespace's links, addresses, routes and neighbours, and the
// namespaces the daemon pinned.
type cniState struct {
	d   dnetState
	net testutils.NetState
}

func (e *cniEnv) snap() cniState {
	e.t.Helper()
	return cniState{d: e.state(), net: testutils.SnapNetState(e.t, e.ns)}
}

func (e *cniEnv) same(before cniState, what string) {
	e.t.Helper()
	after := e.snap()
	if !after.d.equal(before.d) {
		e.t.Errorf("%s: daemon state changed:\n%+v\nwas:\n%+v", what, after.d, before.d)
	}
	if d := after.net.Diff(before.net); d != "" {
		e.t.Errorf("%s: host namespace changed:\n%s", what, d)
	}
}

// ctrNL is a netlink handle in the container's namespace.
func (e *cniEnv) ctrNL(c *cniCtr) *netlink.Handle {
	e.t.Helper()
	nl, err := netlink.NewHandleAt(c.h)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(nl.Close)
	return nl
}

func isAPINotFound(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }

// outsideLink gives the daemon's namespace an address on a veth to a peer
// namespace (see outsideNS) and returns that address.
func (e *cniEnv) outsideLink(t *testing.T, cidr string) net.IP {
	t.Helper()
	peerPath, peer := testutils.NewNS(t, "peer")
	_ = peerPath
	la := netlink.NewLinkAttrs()
	la.Name = "up0"
	must(t, e.nl.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "up0p"}))
	ip, n, err := net.ParseCIDR(cidr)
	must(t, err)
	up, err := e.nl.LinkByName("up0")
	must(t, err)
	must(t, e.nl.AddrAdd(up, &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: n.Mask}}))
	must(t, e.nl.LinkSetUp(up))
	p, err := e.nl.LinkByName("up0p")
	must(t, err)
	must(t, e.nl.LinkSetNsFd(p, int(peer)))
	pnl, err := netlink.NewHandleAt(peer)
	must(t, err)
	defer pnl.Close()
	p, err = pnl.LinkByName("up0p")
	must(t, err)
	pip := append(net.IP(nil), ip.To4()...)
	pip[3]++
	must(t, pnl.AddrAdd(p, &netlink.Addr{IPNet: &net.IPNet{IP: pip, Mask: n.Mask}}))
	must(t, pnl.LinkSetUp(p))
	e.peer = peer
	return ip
}

// outsideNS is the peer namespace of outsideLink.
func (e *cniEnv) outsideNS(t *testing.T) netns.NsHandle { return e.peer }

// save is the filtered output of iptables-save (or ip6tables-save) in the
// daemon's namespace.
func (e *cniEnv) save(bin string) string {
	e.t.Helper()
	var b []byte
	testutils.InNS(e.t, e.ns, func() (err error) { b, err = exec.Command(bin).Output(); return err })
	return filterSave(b)
}

// execOurs runs our plugin (the first of l) as a runtime would, without
// libcni's own checks of the runtime configuration.
func (e *cniEnv) execOurs(ctx context.Context, cmd string, l *libcni.NetworkConfigList, rt *libcni.RuntimeConf) (types.Result, error) {
	conf, err := libcni.InjectConf(l.Plugins[0], map[string]interface{}{"name": l.Name, "cniVersion": l.CNIVersion})
	if err != nil {
		return nil, err
	}
	args := &invoke.Args{Command: cmd, ContainerID: rt.ContainerID, NetNS: rt.NetNS, IfName: rt.IfName, Path: e.bins.dir}
	return invoke.ExecPluginWithResult(ctx, filepath.Join(e.bins.dir, "cnmkit-cni"), conf.Bytes, args, nil)
}
