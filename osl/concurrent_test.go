package osl

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// lifecycle runs one sandbox through create, attach, configure and destroy.
// Host ends of its veths live in hostNS.
func lifecycle(root string, hostNS netns.NsHandle, k int) error {
	sb, err := NewSandbox(GenerateKeyAt(root, fmt.Sprintf("par%03d", k)), true)
	if err != nil {
		return err
	}
	sbNS, err := netns.GetFromPath(sb.Key())
	if err != nil {
		return err
	}
	defer sbNS.Close()
	for j := 0; j < 2; j++ {
		la := netlink.NewLinkAttrs()
		la.Name, la.Namespace = fmt.Sprintf("h%03d-%d", k, j), netlink.NsFd(int(hostNS))
		tmp := fmt.Sprintf("c%03d-%d", k, j)
		if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: tmp, PeerNamespace: netlink.NsFd(int(sbNS))}); err != nil {
			return err
		}
		addr := &net.IPNet{IP: net.IPv4(10, byte(j), byte(k/250), byte(k%250+2)), Mask: net.CIDRMask(16, 32)}
		if err := sb.AddInterface(tmp, "eth", WithAddress(addr)); err != nil {
			return err
		}
	}
	gw := net.IPv4(10, 0, 255, 254)
	if err := sb.SetGateway(gw); err != nil {
		return err
	}
	if err := sb.SetSysctl("net.ipv4.conf.all.forwarding", "1"); err != nil {
		return err
	}
	if err := sb.AddNeighborForce(gw, net.HardwareAddr{2, 0, 0, 0, 0, byte(k)}, false, WithNeighLinkName("eth0")); err != nil {
		return err
	}
	st, err := sb.Statistics()
	if err != nil || len(st) != 2 {
		return fmt.Errorf("statistics %v: %v", st, err)
	}
	if k%2 == 0 {
		if err := sb.Interfaces()[1].Remove(); err != nil {
			return err
		}
	}
	return sb.Destroy()
}

func TestParallelSandboxes(t *testing.T) {
	root := setup(t)
	_, hostNS := testutils.NewNS(t, "host")
	const workers = 64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			if err := lifecycle(root, hostNS, k); err != nil {
				errs <- fmt.Errorf("sandbox %d: %w", k, err)
			}
		}(k)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	entries, err := os.ReadDir(filepath.Join(root, netnsDir))
	if err != nil || len(entries) != 0 {
		t.Fatalf("netns dir after destroy: %v, %v", entries, err)
	}
	h, err := netlink.NewHandleAt(hostNS)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	eventually(t, "host veth ends to be freed with their namespaces", func() bool {
		links, err := h.LinkList()
		return err == nil && len(links) == 1
	})
}

// Parallel AddInterface calls on one sandbox get distinct names.
func TestParallelOneSandbox(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "one")
	const n = 8
	for k := 0; k < n; k++ {
		bornInside(t, sb, fmt.Sprintf("one-h%d", k), fmt.Sprintf("one-c%d", k))
	}
	var wg sync.WaitGroup
	for k := 0; k < n; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			if err := sb.AddInterface(fmt.Sprintf("one-c%d", k), "eth"); err != nil {
				t.Error(err)
			}
		}(k)
	}
	wg.Wait()
	var names []string
	for _, i := range sb.Interfaces() {
		names = append(names, i.DstName())
	}
	sort.Strings(names)
	want := []string{"eth0", "eth1", "eth2", "eth3", "eth4", "eth5", "eth6", "eth7"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("names %v, want %v", names, want)
	}
}
