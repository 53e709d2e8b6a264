package overlay

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
)

// segment is one L2 segment of a network: one VXLAN ID, at most one IPv4
// and one IPv6 subnet, and (while the overlay namespace exists) one bridge
// and one VXLAN device.
type segment struct {
	vni  uint32
	sub4 *net.IPNet // canonical pool, or nil
	gw4  *net.IPNet // gateway address with the pool's mask, or nil
	sub6 *net.IPNet
	gw6  *net.IPNet
}

func bridgeName(i int) string { return "br" + strconv.Itoa(i) }
func vxlanName(i int) string  { return "vxlan" + strconv.Itoa(i) }

// network is an overlay network on this host.
type network struct {
	id   string
	d    *driver
	segs []*segment
	mtu  int    // from the options; 0 derives it from the underlay
	path string // where the overlay namespace is pinned
	// encrypted networks carry their VXLAN traffic in ESP, on d.espPort
	encrypted bool

	mu        sync.Mutex
	endpoints map[string]*endpoint
	peers     *peerDB
	ons       *overlayNS // nil while no endpoint is joined on this host
	users     int        // endpoints joined, joining or leaving
	deleted   bool
	sweep     *time.Timer // removes unclaimed entries after a re-adoption
}

// port is the VXLAN UDP port of the network's tunnels.
func (n *network) port() int {
	if n.encrypted {
		return n.d.espPort
	}
	return n.d.vxlanPort
}

func (n *network) isBuilt() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ons != nil
}

// segmentOf returns the segment whose subnets hold the given addresses
// (either may be nil), or an error naming the address that fits none or
// the two that disagree.
func (n *network) segmentOf(addr, addr6 *net.IPNet) (int, error) {
	find := func(ip net.IP, v6 bool) int {
		for i, s := range n.segs {
			sub := s.sub4
			if v6 {
				sub = s.sub6
			}
			if sub != nil && sub.Contains(ip) {
				return i
			}
		}
		return -1
	}
	s4, s6 := -1, -1
	if addr != nil {
		if s4 = find(addr.IP, false); s4 < 0 {
			return 0, types.BadRequestErrorf("address %s is in no IPv4 subnet of overlay network %s", addr, n.id)
		}
	}
	if addr6 != nil {
		if s6 = find(addr6.IP, true); s6 < 0 {
			return 0, types.BadRequestErrorf("address %s is in no IPv6 subnet of overlay network %s", addr6, n.id)
		}
	}
	switch {
	case s4 < 0 && s6 < 0:
		return 0, types.BadRequestErrorf("no address on overlay network %s", n.id)
	case s4 >= 0 && s6 >= 0 && s4 != s6:
		return 0, types.BadRequestErrorf("addresses %s and %s are in different segments of overlay network %s (segment i pairs the i-th IPv4 and the i-th IPv6 subnet)", addr, addr6, n.id)
	case s4 >= 0:
		return s4, nil
	}
	return s6, nil
}

// nsFileName returns a file name for network nid's namespace: the ID when
// it is a plain name, else a hash of it.
func nsFileName(nid string) string {
	ok := len(nid) <= 64 && nid != "." && nid != ".."
	for _, c := range nid {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			ok = false
		}
	}
	if ok {
		return nid
	}
	sum := sha256.Sum256([]byte(nid))
	return "h-" + hex.EncodeToString(sum[:])
}

// CreateNetwork records network nid on this host: its VXLAN IDs (required,
// under netlabel.OverlayVxlanIDList, one per segment), its subnets and its
// MTU (netlabel.DriverMTU, optional), and registers for the peer table.
// No kernel object is created until an endpoint joins on this host.
func (d *driver) CreateNetwork(nid string, opts map[string]interface{}, nInfo driverapi.NetworkInfo, ipV4Data, ipV6Data []driverapi.IPAMData) error {
	if nid == "" {
		return types.BadRequestErrorf("overlay: create network with an empty ID")
	}
	n, err := d.newNetwork(nid, opts, ipV4Data, ipV6Data)
	if err != nil {
		return err
	}
	if n.encrypted {
		if !d.hasKeys() {
			return types.ForbiddenErrorf("overlay: network %s asks for encryption (%s) but this host has no cluster keys (config.OptionCluster with keys)", nid, EncryptedOption)
		}
		if err := d.espSupport(); err != nil {
			return types.NotImplementedErrorf("overlay: network %s (%s): %w", nid, EncryptedOption, err)
		}
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return types.ForbiddenErrorf("overlay driver is closed")
	}
	if _, ok := d.networks[nid]; ok {
		d.mu.Unlock()
		return types.ConflictErrorf("overlay: network %s already exists", nid)
	}
	if err := d.checkConflicts(n); err != nil {
		d.mu.Unlock()
		return err
	}
	d.networks[nid] = n
	d.mu.Unlock()
	// After a restart: the endpoints of the store and the namespace an
	// earlier run left.
	n.mu.Lock()
	d.adoptEndpoints(n)
	n.adopt()
	n.mu.Unlock()
	// Registration may replay the table at once (EventNotify): the
	// network is already in place to take it.
	if nInfo != nil {
		if err := nInfo.TableEventRegister(PeerTable); err != nil {
			n.mu.Lock()
			n.abandon()
			n.mu.Unlock()
			d.mu.Lock()
			delete(d.networks, nid)
			d.mu.Unlock()
			return err
		}
	}
	logFor(nid).WithField("segments", len(n.segs)).Debug("overlay: network created")
	return nil
}

// newNetwork parses and validates a network's options and subnets.
func (d *driver) newNetwork(nid string, opts map[string]interface{}, ipV4Data, ipV6Data []driverapi.IPAMData) (*network, error) {
	get := optionGetter(opts)
	encrypted := false
	if v, ok := get(EncryptedOption); ok {
		var err error
		if encrypted, err = parseEncrypted(nid, v); err != nil {
			return nil, err
		}
	}
	nsegs := len(ipV4Data)
	if len(ipV6Data) > nsegs {
		nsegs = len(ipV6Data)
	}
	if nsegs == 0 {
		return nil, types.BadRequestErrorf("overlay: network %s has no subnet", nid)
	}
	idList, _ := get(netlabel.OverlayVxlanIDList)
	if strings.TrimSpace(idList) == "" {
		return nil, types.BadRequestErrorf("overlay: network %s has no VXLAN ID (option %s): allocate them with NetworkAllocate", nid, netlabel.OverlayVxlanIDList)
	}
	vnis, err := parseVXLANIDs(idList)
	if err != nil {
		return nil, err
	}
	if len(vnis) != nsegs {
		return nil, types.BadRequestErrorf("overlay: network %s: %d VXLAN IDs (%q) for %d segments", nid, len(vnis), idList, nsegs)
	}
	n := &network{id: nid, d: d, path: filepath.Join(d.execRoot, nsFileName(nid)), encrypted: encrypted,
		endpoints: map[string]*endpoint{}, peers: newPeerDB()}
	if v, ok := get(netlabel.DriverMTU); ok && v != "" {
		mtu, err := strconv.Atoi(v)
		if err != nil || mtu < minMTU || mtu > maxMTU {
			return nil, types.BadRequestErrorf("overlay: network %s: MTU %q is not a number in [%d, %d]", nid, v, minMTU, maxMTU)
		}
		n.mtu = mtu
	}
	var all []*net.IPNet
	for i := 0; i < nsegs; i++ {
		s := &segment{vni: vnis[i]}
		if i < len(ipV4Data) {
			if s.sub4, s.gw4, err = subnetOf(nid, &ipV4Data[i], false); err != nil {
				return nil, err
			}
			all = append(all, s.sub4)
		}
		if i < len(ipV6Data) {
			if s.sub6, s.gw6, err = subnetOf(nid, &ipV6Data[i], true); err != nil {
				return nil, err
			}
			all = append(all, s.sub6)
		}
		n.segs = append(n.segs, s)
	}
	for i, a := range all {
		for _, b := range all[i+1:] {
			if netutils.NetworkOverlaps(a, b) {
				return nil, types.BadRequestErrorf("overlay: network %s: subnets %s and %s overlap", nid, a, b)
			}
		}
	}
	return n, nil
}

// subnetOf validates one IPAM pool and returns it and its gateway.
func subnetOf(nid string, data *driverapi.IPAMData, v6 bool) (*net.IPNet, *net.IPNet, error) {
	if err := data.Validate(); err != nil {
		return nil, nil, types.BadRequestErrorf("overlay: network %s: %w", nid, err)
	}
	if data.IsV6() != v6 {
		return nil, nil, types.BadRequestErrorf("overlay: network %s: pool %s is not an IPv%s pool", nid, data.Pool, map[bool]string{false: "4", true: "6"}[v6])
	}
	sub := types.GetIPNetCanonical(data.Pool)
	if v4 := sub.IP.To4(); v4 != nil && !v6 {
		sub = &net.IPNet{IP: v4, Mask: lastBytes(sub.Mask, 4)}
	}
	var gw *net.IPNet
	if data.Gateway != nil {
		ip := data.Gateway.IP
		if v4 := ip.To4(); v4 != nil && !v6 {
			ip = v4
		}
		gw = &net.IPNet{IP: types.GetIPCopy(ip), Mask: sub.Mask}
	}
	return sub, gw, nil
}

func lastBytes(m net.IPMask, n int) net.IPMask {
	if len(m) > n {
		return m[len(m)-n:]
	}
	return m
}

// checkConflicts refuses a network whose VXLAN IDs or subnets are used by
// another overlay network on this host. The caller holds d.mu.
func (d *driver) checkConflicts(n *network) error {
	for _, o := range d.networks {
		for _, s := range n.segs {
			for _, os := range o.segs {
				if s.vni == os.vni {
					return types.ConflictErrorf("overlay: network %s: VXLAN ID %d is used by network %s", n.id, s.vni, o.id)
				}
				for _, pair := range [][2]*net.IPNet{{s.sub4, os.sub4}, {s.sub6, os.sub6}} {
					if pair[0] != nil && pair[1] != nil && netutils.NetworkOverlaps(pair[0], pair[1]) {
						return types.ForbiddenErrorf("overlay: network %s: subnet %s overlaps subnet %s of network %s", n.id, pair[0], pair[1], o.id)
					}
				}
			}
		}
	}
	return nil
}

// optionGetter returns a lookup of string options in opts and in its
// generic data (map[string]string, map[string]interface{} or options.Generic).
func optionGetter(opts map[string]interface{}) func(string) (string, bool) {
	var generic map[string]interface{}
	var strs map[string]string
	switch g := opts[netlabel.GenericData].(type) {
	case map[string]string:
		strs = g
	case map[string]interface{}:
		generic = g
	case options.Generic:
		generic = g
	}
	str := func(v interface{}) (string, bool) {
		switch x := v.(type) {
		case string:
			return x, true
		case nil:
			return "", false
		}
		return fmt.Sprint(v), true
	}
	return func(k string) (string, bool) {
		if v, ok := strs[k]; ok {
			return v, true
		}
		if v, ok := generic[k]; ok {
			return str(v)
		}
		if v, ok := opts[k]; ok {
			return str(v)
		}
		return "", false
	}
}

// abandon undoes CreateNetwork's adoption: the kernel state and the
// endpoint records stay for a later CreateNetwork. The caller holds n.mu.
func (n *network) abandon() {
	if n.sweep != nil {
		n.sweep.Stop()
		n.sweep = nil
	}
	if n.ons != nil {
		n.ons.close()
		n.ons = nil
	}
	n.deleted = true
	d := n.d
	d.mu.Lock()
	for _, ep := range n.endpoints {
		d.pending[n.id] = append(d.pending[n.id], newEndpointRecord(n.id, ep))
	}
	d.mu.Unlock()
}

// DeleteNetwork forgets network nid. A network with an endpoint joined on
// this host cannot be deleted (ForbiddenError); other endpoints go with it.
func (d *driver) DeleteNetwork(nid string) error {
	n, err := d.network(nid)
	if err != nil {
		if types.IsNotFound(err) {
			d.forgetLeftovers(nid)
		}
		return err
	}
	n.mu.Lock()
	if n.users > 0 {
		n.mu.Unlock()
		return types.ForbiddenErrorf("overlay: network %s has endpoints joined on this host", nid)
	}
	n.teardown()
	n.deleted = true
	for eid := range n.endpoints {
		if err := d.deleteEndpointRecord(eid); err != nil {
			logFor(nid).WithField("eid", shortID(eid)).WithError(err).Warn("overlay: delete endpoint record")
		}
	}
	n.mu.Unlock()
	d.mu.Lock()
	if d.networks[nid] == n {
		delete(d.networks, nid)
	}
	d.mu.Unlock()
	if n.encrypted {
		d.resyncESP(nid)
	}
	logFor(nid).Debug("overlay: network deleted")
	return nil
}

// forgetLeftovers removes what an earlier run left of network nid, which
// this run never created: its endpoint records and its namespace.
func (d *driver) forgetLeftovers(nid string) {
	d.mu.Lock()
	recs := d.pending[nid]
	delete(d.pending, nid)
	d.mu.Unlock()
	for _, r := range recs {
		_ = d.deleteEndpointRecord(r.ID)
	}
	p := filepath.Join(d.execRoot, nsFileName(nid))
	if _, err := os.Lstat(p); err == nil {
		if err := ns.RemovePinned(p); err != nil {
			logFor(nid).WithError(err).Warn("overlay: remove leftover namespace")
		}
	}
}
