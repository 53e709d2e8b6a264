package osl

import (
	"bytes"
	"errors"
	"net"
	"runtime"
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// maxRenameTries bounds the names tried when links the sandbox does not
// track already hold the lowest free ones.
const maxRenameTries = 64

func (n *namespace) AddInterface(srcName, dstPrefix string, options ...IfaceOption) error {
	cfg := &nwIface{}
	for _, o := range options {
		if o != nil {
			o(cfg)
		}
	}
	if err := validateIface(srcName, dstPrefix, cfg); err != nil {
		return err
	}
	if cfg.addr != nil {
		cfg.addr = normV4(cfg.addr)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.destroyed {
		return errDestroyed(n.key)
	}
	for _, i := range n.ifaces {
		if i.srcName == srcName {
			return types.ConflictErrorf("interface %q is already in sandbox %s (as %s)", srcName, n.key, i.dstName)
		}
	}
	op := &addOp{n: n, cfg: cfg, src: srcName, prefix: dstPrefix}
	if cfg.master != "" {
		m := n.findIface(cfg.master)
		if m == nil || !m.bridge {
			return types.BadRequestErrorf("master %q of interface %q is not a bridge of sandbox %s", cfg.master, srcName, n.key)
		}
		op.masterIdx, op.masterName = m.index, m.dstName
	}
	defer op.unlockThread()
	i, err := op.run()
	if err != nil {
		op.undo()
		return err
	}
	n.ifaces = append(n.ifaces, i)
	logrus.WithFields(logrus.Fields{"key": n.key, "src": srcName, "iface": i.dstName, "moved": op.moved}).Debug("osl: added interface")
	return nil
}

// addOp is one AddInterface call: what it changed, so undo can revert it.
type addOp struct {
	n          *namespace
	cfg        *nwIface // the requested properties
	src        string
	prefix     string
	masterIdx  int
	masterName string

	threadLocked bool
	orig         netlink.LinkAttrs // the link as found
	dev          *netlink.Device   // index-only link used for requests
	created      bool              // bridge made here
	moved        bool              // moved in from the caller's namespace
	wentDown     bool
	renamed      bool
	macSet       bool
	mtuSet       bool
	genModeSet   bool
	masterSet    bool
	up           bool
	addrs        []*netlink.Addr
	routes       []*netlink.Route
}

// IPv6 address generation modes (IN6_ADDR_GEN_MODE_*).
const (
	addrGenModeEUI64 = 0
	addrGenModeNone  = 1
)

func (op *addOp) unlockThread() {
	if op.threadLocked {
		runtime.UnlockOSThread()
		op.threadLocked = false
	}
}

// run finds the link and configures it; each step records what it did.
func (op *addOp) run() (*nwIface, error) {
	n, cfg, nlh := op.n, op.cfg, op.n.nlh
	link, err := op.find()
	if err != nil {
		return nil, err
	}
	a := link.Attrs()
	if !op.moved {
		op.orig = *a
	}
	op.dev = &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: a.Index, Name: a.Name}}
	if a.Flags&net.FlagUp != 0 {
		if err := nlh.LinkSetDown(op.dev); err != nil {
			return nil, kernelErr(err, "set interface %q down in sandbox %s", op.src, n.key)
		}
		op.wentDown = true
	}
	name := op.src
	if !n.isDefault {
		if name, err = op.rename(); err != nil {
			return nil, err
		}
	}
	i := &nwIface{ns: n, index: a.Index, srcName: op.src, dstName: name, master: cfg.master, dstMaster: op.masterName,
		mac: a.HardwareAddr, mtu: a.MTU, addr: cfg.addr, addr6: cfg.addr6, llAddrs: cfg.llAddrs, routes: cfg.routes,
		bridge: cfg.bridge || link.Type() == "bridge"}
	if cfg.mac != nil && !bytes.Equal(cfg.mac, a.HardwareAddr) {
		if err := nlh.LinkSetHardwareAddr(op.dev, cfg.mac); err != nil {
			return nil, kernelErr(err, "set MAC %s on %s in sandbox %s", cfg.mac, name, n.key)
		}
		op.macSet, i.mac = true, cfg.mac
	}
	if cfg.mtu != 0 && cfg.mtu != a.MTU {
		if err := nlh.LinkSetMTU(op.dev, cfg.mtu); err != nil {
			return nil, kernelErr(err, "set MTU %d on %s in sandbox %s", cfg.mtu, name, n.key)
		}
		op.mtuSet, i.mtu = true, cfg.mtu
	}
	if op.masterIdx != 0 {
		if err := nlh.LinkSetMasterByIndex(op.dev, op.masterIdx); err != nil {
			return nil, kernelErr(err, "enslave %s to %s in sandbox %s", name, op.masterName, n.key)
		}
		op.masterSet = true
	}
	if cfg.noLL6 {
		// Before the link goes up, which is when the address would come.
		if err := nlh.LinkSetIP6AddrGenMode(op.dev, addrGenModeNone); err != nil {
			return nil, kernelErr(err, "stop IPv6 link-local address generation on %s in sandbox %s", name, n.key)
		}
		op.genModeSet = true
	}
	if err := op.addAddrs(name); err != nil {
		return nil, err
	}
	if err := nlh.LinkSetUp(op.dev); err != nil {
		return nil, kernelErr(err, "set %s up in sandbox %s", name, n.key)
	}
	op.up = true
	for _, dst := range cfg.routes {
		r := &netlink.Route{LinkIndex: a.Index, Dst: dst}
		if dst.IP.To4() != nil {
			r.Scope = netlink.SCOPE_LINK
		}
		if err := nlh.RouteAdd(r); err != nil {
			return nil, kernelErr(err, "add route to %s via %s in sandbox %s", dst, name, n.key)
		}
		op.routes = append(op.routes, r)
	}
	return i, nil
}

// find returns the link srcName inside the sandbox: already there (born
// inside), a bridge created for WithBridge, or moved in from the caller's namespace.
func (op *addOp) find() (netlink.Link, error) {
	n, nlh := op.n, op.n.nlh
	link, err := nlh.LinkByName(op.src)
	if err == nil {
		return link, nil
	}
	if !isGone(err) {
		return nil, kernelErr(err, "look up interface %q in sandbox %s", op.src, n.key)
	}
	if op.cfg.bridge {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: op.src, TxQLen: -1}}
		if err := nlh.LinkAdd(br); err != nil {
			return nil, kernelErr(err, "create bridge %q in sandbox %s", op.src, n.key)
		}
		op.created = true
		if br.Index == 0 {
			return nil, types.InternalErrorf("bridge %q created in sandbox %s has no index", op.src, n.key)
		}
		return br, nil
	}
	// Slow path: the link is in the caller's namespace (this thread's).
	runtime.LockOSThread()
	op.threadLocked = true
	hl, err := netlink.LinkByName(op.src)
	if err != nil {
		if isGone(err) {
			return nil, types.NotFoundErrorf("interface %q is neither in sandbox %s nor in the caller's namespace", op.src, n.key)
		}
		return nil, kernelErr(err, "look up interface %q in the caller's namespace", op.src)
	}
	if err := netlink.LinkSetNsFd(hl, int(n.nsh)); err != nil {
		return nil, kernelErr(err, "move interface %q into sandbox %s", op.src, n.key)
	}
	op.moved = true
	op.orig = *hl.Attrs()
	link, err = nlh.LinkByName(op.src)
	if err != nil {
		return nil, kernelErr(err, "look up interface %q moved into sandbox %s", op.src, n.key)
	}
	return link, nil
}

// NextName returns the name AddInterface would give now to an interface
// of the prefix: the lowest prefix+N that no added interface has.
func (n *namespace) NextName(prefix string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	used := n.usedIndexes(prefix)
	for k := 0; ; k++ {
		if !used[k] {
			return prefix + strconv.Itoa(k)
		}
	}
}

// usedIndexes returns the N of the added interfaces named prefix+N. The
// caller holds n.mu.
func (n *namespace) usedIndexes(prefix string) map[int]bool {
	used := map[int]bool{}
	for _, i := range n.ifaces {
		if rest, ok := strings.CutPrefix(i.dstName, prefix); ok {
			if k, err := strconv.Atoi(rest); err == nil && strconv.Itoa(k) == rest {
				used[k] = true
			}
		}
	}
	return used
}

// rename gives the link the lowest free name prefix+N of the sandbox, or
// the name asked for with WithName.
func (op *addOp) rename() (string, error) {
	if want := op.cfg.exactName; want != "" {
		return op.renameExact(want)
	}
	used := op.n.usedIndexes(op.prefix)
	tries := 0
	for k := 0; ; k++ {
		if used[k] {
			continue
		}
		name := op.prefix + strconv.Itoa(k)
		if len(name) > maxIfName {
			return "", types.BadRequestErrorf("no free interface name with prefix %q in sandbox %s", op.prefix, op.n.key)
		}
		if name == op.orig.Name {
			return name, nil
		}
		err := op.n.nlh.LinkSetName(op.dev, name)
		if err == nil {
			op.renamed = true
			return name, nil
		}
		if !errors.Is(err, unix.EEXIST) || tries >= maxRenameTries {
			return "", kernelErr(err, "rename %q to %q in sandbox %s", op.src, name, op.n.key)
		}
		tries++
	}
}

// renameExact gives the link the name want, which no other link of the
// sandbox may hold.
func (op *addOp) renameExact(want string) (string, error) {
	for _, i := range op.n.ifaces {
		if i.dstName == want {
			return "", types.ConflictErrorf("interface name %q is already taken in sandbox %s", want, op.n.key)
		}
	}
	if want == op.orig.Name {
		return want, nil
	}
	if err := op.n.nlh.LinkSetName(op.dev, want); err != nil {
		if errors.Is(err, unix.EEXIST) {
			return "", types.ConflictErrorf("interface name %q is already taken in sandbox %s", want, op.n.key)
		}
		return "", kernelErr(err, "rename %q to %q in sandbox %s", op.src, want, op.n.key)
	}
	op.renamed = true
	return want, nil
}

// addAddrs adds the configured addresses; IPv6 ones skip DAD.
func (op *addOp) addAddrs(name string) error {
	cfg := op.cfg
	var list []*netlink.Addr
	if cfg.addr != nil {
		list = append(list, &netlink.Addr{IPNet: cfg.addr})
	}
	if cfg.addr6 != nil {
		list = append(list, &netlink.Addr{IPNet: cfg.addr6, Flags: unix.IFA_F_NODAD})
	}
	for _, ll := range cfg.llAddrs {
		a := &netlink.Addr{IPNet: ll}
		if ll.IP.To4() == nil {
			a.Flags = unix.IFA_F_NODAD
		}
		list = append(list, a)
	}
	for _, a := range list {
		if err := op.n.nlh.AddrAdd(op.dev, a); err != nil {
			return kernelErr(err, "add address %s to %s in sandbox %s", a.IPNet, name, op.n.key)
		}
		op.addrs = append(op.addrs, a)
	}
	return nil
}

// undo reverts what run did, newest first, so the link is as it was found.
func (op *addOp) undo() {
	if op.dev == nil {
		return
	}
	nlh, log := op.n.nlh, logrus.WithFields(logrus.Fields{"key": op.n.key, "src": op.src})
	warn := func(what string, err error) {
		if err != nil && !isGone(err) {
			log.WithError(err).Warnf("osl: undo add interface: %s", what)
		}
	}
	for _, r := range op.routes {
		warn("delete route", nlh.RouteDel(r))
	}
	if op.up {
		warn("set down", nlh.LinkSetDown(op.dev))
	}
	for _, a := range op.addrs {
		// Taking the link down already dropped its IPv6 addresses.
		if err := nlh.AddrDel(op.dev, a); !errors.Is(err, unix.EADDRNOTAVAIL) {
			warn("delete address", err)
		}
	}
	if op.created {
		warn("delete bridge", nlh.LinkDel(op.dev))
		return
	}
	if op.masterSet {
		warn("release from master", nlh.LinkSetNoMaster(op.dev))
	}
	if op.genModeSet {
		warn("restore IPv6 address generation", nlh.LinkSetIP6AddrGenMode(op.dev, addrGenModeEUI64))
	}
	if op.mtuSet {
		warn("restore MTU", nlh.LinkSetMTU(op.dev, op.orig.MTU))
	}
	if op.macSet {
		warn("restore MAC", nlh.LinkSetHardwareAddr(op.dev, op.orig.HardwareAddr))
	}
	if op.renamed {
		warn("restore name", nlh.LinkSetName(op.dev, op.orig.Name))
	}
	if op.moved {
		op.moveBack(warn)
		return
	}
	if op.wentDown {
		warn("set up again", nlh.LinkSetUp(op.dev))
	}
}

// moveBack returns a link moved in by the slow path to the caller's namespace.
func (op *addOp) moveBack(warn func(string, error)) {
	caller, err := netns.Get() // the thread is still locked in the caller's namespace
	if err != nil {
		warn("open caller namespace", err)
		return
	}
	defer caller.Close()
	if err := op.n.nlh.LinkSetNsFd(op.dev, int(caller)); err != nil {
		warn("move back to caller namespace", err)
		return
	}
	if op.orig.Flags&net.FlagUp != 0 {
		if l, err := netlink.LinkByName(op.orig.Name); err == nil {
			warn("set up again", netlink.LinkSetUp(l))
		}
	}
}
