package osl

import (
	"net"
	"sync"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Sandbox is a container's network stack: a network namespace pinned at Key.
// Each sandbox has its own lock; operations on different sandboxes run in
// parallel. After Destroy every method returns a ForbiddenError, except the
// read-only accessors and a second Destroy.
type Sandbox interface {
	// Key returns the path the namespace is pinned at.
	Key() string
	// AddInterface adopts the link srcName into the sandbox, renames it to
	// dstPrefix+N (N the lowest free index for the prefix), configures it
	// from options and brings it up. The link is looked for inside the
	// sandbox first (created there by the driver) and only then in the
	// caller's namespace, from where it is moved in. With WithBridge(true) a
	// bridge named srcName is created inside when there is none. On error the
	// link is left as it was found.
	AddInterface(srcName, dstPrefix string, options ...IfaceOption) error
	// NextName returns the name AddInterface would give now to a link of
	// dstPrefix, so that a link created inside the sandbox can be born with
	// it (AddInterface then keeps it; a rename costs the kernel an RCU
	// synchronisation).
	NextName(dstPrefix string) string
	// Interfaces returns the interfaces added (or found on restore).
	Interfaces() []Interface
	// SetGateway sets (or replaces) the IPv4 default route via gw. A nil gw does nothing.
	SetGateway(gw net.IP) error
	// SetGatewayIPv6 sets (or replaces) the IPv6 default route via gw. A nil gw does nothing.
	// A link-local gw goes out of the sandbox's only interface.
	SetGatewayIPv6(gw net.IP) error
	// SetGatewayIPv6Via is SetGatewayIPv6 with a link-local gw reached
	// through the interface named dstName (DstName) of the sandbox.
	SetGatewayIPv6Via(gw net.IP, dstName string) error
	// UnsetGateway removes the IPv4 default route set by SetGateway.
	UnsetGateway() error
	// UnsetGatewayIPv6 removes the IPv6 default route set by SetGatewayIPv6.
	UnsetGatewayIPv6() error
	// Gateway returns the IPv4 default gateway, or nil.
	Gateway() net.IP
	// GatewayIPv6 returns the IPv6 default gateway, or nil.
	GatewayIPv6() net.IP
	// AddStaticRoute adds a route via a next hop (RouteType types.NEXTHOP).
	// Connected routes are bound to an interface: use WithRoutes.
	AddStaticRoute(r *types.StaticRoute) error
	// RemoveStaticRoute removes a route added by AddStaticRoute.
	RemoveStaticRoute(r *types.StaticRoute) error
	// StaticRoutes returns the routes added by AddStaticRoute.
	StaticRoutes() []*types.StaticRoute
	// AddNeighbor adds a permanent neighbour entry (ARP/ND, or FDB with
	// WithNeighFamily(unix.AF_BRIDGE)) on the interface named by
	// WithNeighLinkName (NeighborOptions().LinkName). An entry already added
	// for the same IP and MAC is kept as it is and nil returned.
	AddNeighbor(dstIP net.IP, dstMac net.HardwareAddr, options ...NeighOption) error
	// AddNeighborForce is AddNeighbor that refuses an entry already added
	// for the same IP and MAC with a ConflictError, unless force is set, in
	// which case the entry is replaced.
	AddNeighborForce(dstIP net.IP, dstMac net.HardwareAddr, force bool, options ...NeighOption) error
	// DeleteNeighbor deletes a neighbour entry added by AddNeighbor from the
	// kernel and forgets it.
	DeleteNeighbor(dstIP net.IP, dstMac net.HardwareAddr) error
	// DeleteNeighborOS forgets a neighbour entry added by AddNeighbor and,
	// when osDelete is set, deletes it from the kernel.
	DeleteNeighborOS(dstIP net.IP, dstMac net.HardwareAddr, osDelete bool) error
	// NeighborOptions returns the maker of the options of AddNeighbor.
	NeighborOptions() NeighborOptionSetter
	// InterfaceOptions returns the maker of the options of AddInterface.
	InterfaceOptions() IfaceOptionSetter
	// Info returns the sandbox's interfaces, gateways and static routes.
	Info() Info
	// SetSysctl writes a network sysctl of the sandbox's namespace. name is
	// dotted ("net.ipv4.ip_forward") or slashed ("net/ipv4/conf/eth0.100/forwarding")
	// and must start with "net".
	SetSysctl(name, value string) error
	// GetSysctl reads a network sysctl of the sandbox's namespace.
	GetSysctl(name string) (string, error)
	// Statistics returns the counters of the sandbox's interfaces by name in the sandbox.
	Statistics() (map[string]*types.InterfaceStatistics, error)
	// InvokeFunc runs fn on a thread inside the sandbox's namespace. fn may
	// call methods of the sandbox.
	InvokeFunc(fn func()) error
	// InvokeFuncErr is InvokeFunc for a function that fails: its error is returned.
	InvokeFuncErr(fn func() error) error
	// InvokeNetlink runs fn with the sandbox's netlink handle while holding
	// the sandbox's lock; fn must not call methods of the same sandbox and
	// must not keep the handle.
	InvokeNetlink(fn func(nlh *netlink.Handle) error) error
	// Destroy unpins the namespace and removes its key. The kernel frees the
	// namespace and its interfaces (both ends of their veths) asynchronously
	// once nothing else holds it. A key that cannot be unmounted and
	// deleted is left to GC and the error returned; a later Destroy tries
	// again. A Destroy after one that succeeded does nothing.
	Destroy() error
}

// namespace implements Sandbox.
type namespace struct {
	key       string
	isDefault bool // the caller's own namespace: interfaces keep their names

	mu        sync.Mutex
	nsh       netns.NsHandle
	nlh       *netlink.Handle
	destroyed bool
	pinned    bool // key still needs unpinning
	ifaces    []*nwIface
	gw, gw6   net.IP
	routes    []*types.StaticRoute
	neighbors []*neigh
}

// NewSandbox creates a namespace pinned at key, with loopback up. With
// osCreate false the sandbox is the caller's own namespace pinned at key
// (interfaces added to it keep their names).
func NewSandbox(key string, osCreate bool) (Sandbox, error) {
	return NewSandboxRestore(key, osCreate, false)
}

// NewSandboxRestore is NewSandbox that can restore: with isRestore the namespace
// already pinned at key is opened instead and its interfaces, addresses,
// routes, gateways and permanent neighbours are read back: every link but lo
// becomes an Interface whose SrcName is its name in the namespace, so callers
// reconcile what they know by DstName.
func NewSandboxRestore(key string, osCreate, isRestore bool) (Sandbox, error) {
	if err := validateKey(key); err != nil {
		return nil, err
	}
	if isRestore {
		if !ns.IsNetNS(key) {
			return nil, types.NotFoundErrorf("restore sandbox: %q is not a pinned network namespace", key)
		}
		n, err := openNamespace(key, !osCreate)
		if err != nil {
			return nil, err
		}
		if err := n.restore(); err != nil {
			n.close()
			return nil, err
		}
		logrus.WithFields(logrus.Fields{"key": key, "ifaces": len(n.ifaces)}).Debug("osl: restored sandbox")
		return n, nil
	}
	reclaim(key)
	var err error
	if osCreate {
		err = ns.NewPinned(key, true)
	} else {
		err = pinCaller(key)
	}
	if err != nil {
		return nil, err
	}
	n, err := openNamespace(key, !osCreate)
	if err != nil {
		_ = unpin(key)
		return nil, err
	}
	return n, nil
}

// GetSandboxForExternalKey adopts a namespace made by someone else (path is
// /proc/<pid>/ns/net or a pinned file) by bind-mounting it at key. A path
// that is not a network namespace is a BadRequestError and nothing is created.
func GetSandboxForExternalKey(path, key string) (Sandbox, error) {
	if err := validateKey(key); err != nil {
		return nil, err
	}
	if !ns.IsNetNS(path) {
		return nil, types.BadRequestErrorf("external sandbox path %q is not a network namespace", path)
	}
	reclaim(key)
	if err := bindAt(path, key); err != nil {
		return nil, err
	}
	n, err := openNamespace(key, false)
	if err != nil {
		_ = unpin(key)
		return nil, err
	}
	return n, nil
}

// openNamespace opens the namespace pinned at key and its netlink handle.
func openNamespace(key string, isDefault bool) (*namespace, error) {
	h, err := netns.GetFromPath(key)
	if err != nil {
		return nil, kernelErr(err, "open sandbox namespace %q", key)
	}
	nlh, err := netlink.NewHandleAt(h, unix.NETLINK_ROUTE)
	if err != nil {
		h.Close()
		return nil, kernelErr(err, "netlink handle in sandbox %q", key)
	}
	return &namespace{key: key, isDefault: isDefault, nsh: h, nlh: nlh, pinned: true}, nil
}

// close releases the handles; the caller holds mu or owns n alone.
func (n *namespace) close() {
	if n.nlh != nil {
		n.nlh.Close()
		n.nlh = nil
	}
	if n.nsh.IsOpen() {
		n.nsh.Close()
		n.nsh = netns.None()
	}
}

func (n *namespace) Key() string { return n.key }

// Close releases the sandbox's handles (its netlink socket and namespace
// handle) and leaves its namespace pinned, for the next controller to
// reopen: a stopping controller's sandboxes must not keep their
// namespaces alive once unpinned. The sandbox cannot be used afterwards.
func (n *namespace) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.destroyed {
		return nil
	}
	n.destroyed = true
	n.close()
	for _, i := range n.ifaces {
		i.removed = true
	}
	n.pinned = false // not ours to unpin any more
	return nil
}

func (n *namespace) Destroy() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.destroyed {
		n.destroyed = true
		n.close()
		for _, i := range n.ifaces {
			i.removed = true
		}
	}
	if !n.pinned {
		return nil
	}
	if err := unpin(n.key); err != nil {
		return err
	}
	n.pinned = false
	logrus.WithField("key", n.key).Debug("osl: destroyed sandbox")
	return nil
}

func (n *namespace) Interfaces() []Interface {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]Interface, 0, len(n.ifaces))
	for _, i := range n.ifaces {
		out = append(out, i)
	}
	return out
}

func (n *namespace) InvokeFunc(fn func()) error {
	if fn == nil {
		return types.BadRequestErrorf("InvokeFunc: nil function")
	}
	return n.InvokeFuncErr(func() error { fn(); return nil })
}

func (n *namespace) InvokeFuncErr(fn func() error) error {
	if fn == nil {
		return types.BadRequestErrorf("InvokeFuncErr: nil function")
	}
	n.mu.Lock()
	if n.destroyed {
		n.mu.Unlock()
		return errDestroyed(n.key)
	}
	// A private copy of the handle lets fn run without the lock.
	fd, err := unix.FcntlInt(uintptr(n.nsh), unix.F_DUPFD_CLOEXEC, 0)
	n.mu.Unlock()
	if err != nil {
		return types.InternalErrorf("duplicate handle of sandbox %s: %w", n.key, err)
	}
	h := netns.NsHandle(fd)
	defer h.Close()
	return ns.WithNetNS(h, fn)
}

func (n *namespace) InvokeNetlink(fn func(nlh *netlink.Handle) error) error {
	if fn == nil {
		return types.BadRequestErrorf("InvokeNetlink: nil function")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.destroyed {
		return errDestroyed(n.key)
	}
	return fn(n.nlh)
}

func (n *namespace) Statistics() (map[string]*types.InterfaceStatistics, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.destroyed {
		return nil, errDestroyed(n.key)
	}
	links, err := n.nlh.LinkList()
	if err != nil {
		return nil, kernelErr(err, "list links of sandbox %s", n.key)
	}
	byIndex := make(map[int]netlink.Link, len(links))
	for _, l := range links {
		byIndex[l.Attrs().Index] = l
	}
	out := make(map[string]*types.InterfaceStatistics, len(n.ifaces))
	for _, i := range n.ifaces {
		if l, ok := byIndex[i.index]; ok {
			out[i.dstName] = toStats(l.Attrs().Statistics)
		}
	}
	return out, nil
}

// toStats converts netlink counters to types.InterfaceStatistics.
func toStats(s *netlink.LinkStatistics) *types.InterfaceStatistics {
	if s == nil {
		return &types.InterfaceStatistics{}
	}
	return &types.InterfaceStatistics{
		RxBytes: s.RxBytes, RxPackets: s.RxPackets, RxErrors: s.RxErrors, RxDropped: s.RxDropped,
		TxBytes: s.TxBytes, TxPackets: s.TxPackets, TxErrors: s.TxErrors, TxDropped: s.TxDropped,
	}
}
