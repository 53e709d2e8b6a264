package libnetwork

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/osl"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

func TestMain(m *testing.M) {
	extraDrivers = []driverInitializer{{fakeInit, fakeType}, {gossipInit, gossipType}}
	testutils.IsolatedMain(m)
}

// testEnv is a controller in a namespace of the test's own, with its data
// dir and exec root in temporary directories.
type testEnv struct {
	t        testing.TB
	dataDir  string
	execRoot string
	hostNS   netns.NsHandle
	c        *controller
}

// newTestEnv skips unless root, moves the test's thread into a new network
// namespace and starts a controller there.
func newTestEnv(t testing.TB, opts ...config.Option) *testEnv {
	t.Helper()
	h := testutils.SetupTestOSContext(t)
	e := &testEnv{t: t, dataDir: t.TempDir(), execRoot: t.TempDir(), hostNS: h}
	t.Cleanup(func() {
		if e.c != nil {
			e.c.Stop()
		}
		// Unpin whatever is left so the temporary dirs can go.
		_ = osl.GCAt(e.execRoot, nil)
	})
	e.start(opts...)
	return e
}

func (e *testEnv) options(opts ...config.Option) []config.Option {
	// Sandboxes' resolv.conf start from a file of the test's, never the
	// host's /etc/resolv.conf (a test's own option overrides it).
	return append([]config.Option{config.OptionDataDir(e.dataDir), config.OptionExecRoot(e.execRoot),
		config.OptionHostResolvConf(filepath.Join(e.dataDir, "no-host-resolv.conf"))}, opts...)
}

func (e *testEnv) start(opts ...config.Option) {
	e.t.Helper()
	nc, err := New(e.options(opts...)...)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	e.c = nc.(*controller)
}

// restart stops the controller and starts a new one on the same dirs.
func (e *testEnv) restart(opts ...config.Option) {
	e.t.Helper()
	e.c.Stop()
	e.c = nil
	e.start(opts...)
}

func (e *testEnv) fake() *fakeDriver {
	d, _ := e.c.reg.Driver(fakeType)
	return d.(*fakeDriver)
}

// must(f())(t) returns f's value, failing t on f's error.
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fakeNetwork creates a fakeveth network on pool.
func (e *testEnv) fakeNetwork(name, pool string, opts ...NetworkOption) Network {
	e.t.Helper()
	opts = append([]NetworkOption{NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: pool}}, nil, nil)}, opts...)
	return must(e.c.NewNetwork(fakeType, name, "", opts...))(e.t)
}

// nsFiles lists the files under the exec root's netns dir.
func (e *testEnv) nsFiles() []string {
	entries, err := os.ReadDir(filepath.Join(e.execRoot, "netns"))
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	var out []string
	for _, x := range entries {
		out = append(out, x.Name())
	}
	return out
}

// hostLinks lists the links of the controller's host namespace.
func (e *testEnv) hostLinks() []string {
	nlh, err := netlink.NewHandleAt(e.hostNS)
	if err != nil {
		e.t.Fatal(err)
	}
	defer nlh.Close()
	links, err := nlh.LinkList()
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, l := range links {
		out = append(out, l.Attrs().Name)
	}
	sort.Strings(out)
	return out
}

// sbLinks returns the links of a sandbox's namespace by name.
func sbLinks(t testing.TB, key string) map[string]netlink.Link {
	t.Helper()
	h, err := netns.GetFromPath(key)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	nlh, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer nlh.Close()
	links, err := nlh.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]netlink.Link{}
	for _, l := range links {
		out[l.Attrs().Name] = l
	}
	return out
}

// sbRoutes returns the IPv4 routes of a sandbox's namespace.
func sbRoutes(t testing.TB, key string) []netlink.Route {
	t.Helper()
	h, err := netns.GetFromPath(key)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	nlh, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer nlh.Close()
	routes, err := nlh.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	return routes
}

func defaultGateway(t testing.TB, key string) string {
	for _, r := range sbRoutes(t, key) {
		if r.Dst == nil || r.Dst.String() == "0.0.0.0/0" {
			return r.Gw.String()
		}
	}
	return ""
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testutils.Eventually(t, what, 15*time.Second, testutils.Holds(cond))
}

// snapshot is everything a failed call must leave unchanged.
type snapshot struct {
	Store     map[string]string
	NSFiles   []string
	Links     []string
	Networks  []string
	Endpoints []string
	Sandboxes []string
}

func (e *testEnv) snapshot(t testing.TB) snapshot {
	t.Helper()
	s := snapshot{Store: map[string]string{}, NSFiles: e.nsFiles(), Links: e.hostLinks()}
	pairs, err := e.c.getStore(datastore.LocalScope).KVStore().List(datastore.KeyRoot)
	if err != nil && !errors.Is(err, store.ErrKeyNotFound) {
		t.Fatal(err)
	}
	for _, p := range pairs {
		s.Store[p.Key] = string(p.Value)
	}
	for _, n := range e.c.Networks() {
		s.Networks = append(s.Networks, n.Name()+"/"+n.ID())
		for _, ep := range n.Endpoints() {
			sid := ""
			if sb := ep.Info().Sandbox(); sb != nil {
				sid = sb.ID()
			}
			s.Endpoints = append(s.Endpoints, n.Name()+"/"+ep.Name()+"/"+ep.ID()+"@"+sid)
		}
	}
	for _, sb := range e.c.Sandboxes() {
		s.Sandboxes = append(s.Sandboxes, sb.ContainerID()+"/"+sb.ID())
	}
	sort.Strings(s.Networks)
	sort.Strings(s.Endpoints)
	sort.Strings(s.Sandboxes)
	return s
}

func sameSnapshot(t testing.TB, what string, before, after snapshot) {
	t.Helper()
	if !reflect.DeepEqual(before, after) {
		t.Errorf("%s changed state:\nbefore %+v\nafter  %+v", what, before, after)
	}
}

func writeFile(path string) error { return os.WriteFile(path, []byte("x"), 0o644) }

func containsStr(s, sub string) bool { return strings.Contains(s, sub) }

// errClass names the types class of err.
func errClass(err error) string {
	var c []string
	if types.IsBadRequest(err) {
		c = append(c, "BadRequest")
	}
	if types.IsNotFound(err) {
		c = append(c, "NotFound")
	}
	if types.IsForbidden(err) {
		c = append(c, "Forbidden")
	}
	if types.IsConflict(err) {
		c = append(c, "Conflict")
	}
	if types.IsNoService(err) {
		c = append(c, "NoService")
	}
	if types.IsInternal(err) {
		c = append(c, "Internal")
	}
	return strings.Join(c, ",")
}

// withNS runs fn with a netlink handle in the namespace pinned at key.
func withNS(t testing.TB, key string, fn func(nlh *netlink.Handle)) {
	t.Helper()
	h, err := netns.GetFromPath(key)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	nlh, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer nlh.Close()
	fn(nlh)
}

// configActive names the live sandboxes (by container ID) for a restart.
func configActive(ids ...string) config.Option {
	m := map[string]interface{}{}
	for _, id := range ids {
		m[id] = nil
	}
	return config.OptionActiveSandboxes(m)
}

// configActiveByID names live sandboxes by sandbox ID, with no options.
func configActiveByID(ids ...string) config.Option {
	return func(c *config.Config) {
		if c.ActiveSandboxes == nil {
			c.ActiveSandboxes = map[string]interface{}{}
		}
		for _, id := range ids {
			c.ActiveSandboxes[id] = []SandboxOption{}
		}
	}
}
