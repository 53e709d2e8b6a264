package testutils

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

var (
	linkTypeMu   sync.Mutex
	linkTypeSeen = map[string]error{} // kind → nil (supported) or why not
)

// errNoLinkType marks a link type the running kernel does not have.
var errNoLinkType = errors.New("link type not supported by this kernel")

// RequireLinkType skips t unless the running kernel can create links of
// kind ("dummy", "vlan", "macvlan", "ipvlan", "veth", …): it creates one
// in a throwaway namespace (once per kind and process) and skips with the
// kernel's answer when the kind is not supported. Other failures fail t.
// Skips unless root.
func RequireLinkType(t testing.TB, kind string) {
	t.Helper()
	RequireRoot(t)
	linkTypeMu.Lock()
	err, seen := linkTypeSeen[kind]
	if !seen {
		err = probeLinkType(kind)
		linkTypeSeen[kind] = err
	}
	linkTypeMu.Unlock()
	if errors.Is(err, errNoLinkType) {
		t.Skipf("skipped: the running kernel has no %s links (%v); run where it has them (the VM harness)", kind, err)
	}
	if err != nil {
		t.Fatalf("probe %s links: %v", kind, err)
	}
}

// probeLinkType creates a link of kind in a new namespace, on a veth end
// for the kinds that need a parent.
func probeLinkType(kind string) error {
	h, err := throwawayNS()
	if err != nil {
		return err
	}
	defer h.Close()
	nlh, err := netlink.NewHandleAt(h)
	if err != nil {
		return err
	}
	defer nlh.Close()
	parent := func() (int, error) {
		la := netlink.NewLinkAttrs()
		la.Name = "probe0"
		if err := nlh.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "probe1"}); err != nil {
			return 0, fmt.Errorf("create a veth parent: %w", err)
		}
		l, err := nlh.LinkByName("probe0")
		if err != nil {
			return 0, err
		}
		return l.Attrs().Index, nil
	}
	la := netlink.NewLinkAttrs()
	la.Name = "probe-" + kind
	if len(la.Name) > 15 {
		la.Name = la.Name[:15]
	}
	var l netlink.Link
	switch kind {
	case "dummy":
		l = &netlink.Dummy{LinkAttrs: la}
	case "veth":
		l = &netlink.Veth{LinkAttrs: la, PeerName: "probe-peer"}
	case "vlan", "macvlan", "ipvlan":
		if la.ParentIndex, err = parent(); err != nil {
			return err
		}
		switch kind {
		case "vlan":
			l = &netlink.Vlan{LinkAttrs: la, VlanId: 10}
		case "macvlan":
			l = &netlink.Macvlan{LinkAttrs: la, Mode: netlink.MACVLAN_MODE_BRIDGE}
		default:
			l = &netlink.IPVlan{LinkAttrs: la, Mode: netlink.IPVLAN_MODE_L2}
		}
	default:
		l = &netlink.GenericLink{LinkAttrs: la, LinkType: kind}
	}
	err = nlh.LinkAdd(l)
	if errors.Is(err, unix.EOPNOTSUPP) || (err != nil && strings.Contains(err.Error(), "not supported")) {
		return fmt.Errorf("%w: %v", errNoLinkType, err)
	}
	return err
}

// throwawayNS returns a handle of a new, unnamed network namespace; the
// calling thread stays in its own.
func throwawayNS() (netns.NsHandle, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return netns.None(), err
	}
	defer orig.Close()
	h, err := netns.New()
	if err != nil {
		return netns.None(), err
	}
	if err := netns.Set(orig); err != nil {
		h.Close()
		// The thread is in the wrong namespace: let it die with the goroutine.
		runtime.LockOSThread()
		return netns.None(), err
	}
	return h, nil
}
