// Package overlay is the overlay network driver: multi-host networks whose
// hosts are joined by VXLAN tunnels, programmed from the controller's
// gossip tables.
//
// Manager side: NetworkAllocate hands out one VXLAN ID per segment of a
// network (automatically from 4096..2^24-1, or explicit ones in
// 1..2^24-1) and returns them under netlabel.OverlayVxlanIDList, so that
// the same network (same ID, same options) can be created on every host.
//
// Host side: CreateNetwork records the network and registers for the peer
// table (PeerTable), and builds nothing in the kernel: a network with no
// endpoint on a host costs that host no kernel object. The first Join on a
// host builds the network's overlay namespace (pinned under the exec root)
// holding, per segment, a bridge with the segment's gateway addresses and a
// VXLAN device (learning off, ARP/ND proxy on, static entries only) that
// is created directly inside the overlay namespace by a request sent in
// the host namespace, so its UDP socket lives in the host namespace and no
// interface is moved between namespaces. Each endpoint is a veth pair: one
// end on the segment's bridge, the other born inside the container's
// sandbox with its MAC (derived from its IP) and the overlay MTU (underlay
// MTU minus 50, or 70 for an IPv6 underlay). The last Leave unpins the
// overlay namespace: the kernel frees it and everything in it.
//
// Segments: a network has max(#IPv4 subnets, #IPv6 subnets) segments;
// segment i carries the i-th IPv4 and the i-th IPv6 subnet (so a
// dual-stack network with one subnet of each is one segment, one VXLAN ID).
//
// Peers: Join publishes a PeerRecord (addresses, MAC, this host's tunnel
// address) in PeerTable; EventNotify programs the FDB entry (MAC → remote
// VTEP) and the neighbour entries (IP → MAC, answered locally by the VXLAN
// proxy) of every remote endpoint. See peerdb.go for how address reuse
// across hosts is resolved.
//
// Host-side kernel work goes through the host namespace handle the
// controller passes under netlabel.HostNetNS; the calling thread's
// namespace is never used.
//
// Restart: Close releases handles only; containers stay connected while
// the daemon is down. Endpoints are kept in the local store (one record
// each; CreateEndpoint is not replayed); the controller replays
// CreateNetwork and the peer table, and CreateNetwork re-adopts the
// network's overlay namespace. See restore.go. Fini, instead, tears the
// driver's kernel state down (fini.go).
//
// Encryption (EncryptedOption, as Docker's `-o encrypted`): the VXLAN
// traffic of an encrypted network between two hosts is carried in IPsec
// ESP (transport mode, AES-GCM), programmed as XFRM states and policies in
// the host namespace. See esp.go and esp_keys.go:
//
//   - Keys: the cluster's gossip keys (EncryptionKeysConfig from the
//     controller's agent, EncryptionKeysUpdate on ReloadConfiguration).
//     Each key gives, per ordered pair of hosts, its own SPI (a hash of the
//     key's tag and the two addresses) and its own AEAD key (HKDF-SHA256 of
//     the cluster key bound to the two addresses): both hosts compute the
//     same states without talking. Every key held has states in both
//     directions; the outbound policy of a peer names the primary key's
//     state. Rotation adds the new key's states first (receive and send),
//     then switches the policies, then removes the old key's states.
//   - Which traffic: encrypted networks use a VXLAN UDP port of their own
//     (DefaultEncryptedVXLANPort, EncryptedVXLANPortKey), and the policies
//     select UDP to that port between the two hosts. So unencrypted and
//     encrypted networks coexist on the same hosts without a packet mark,
//     without any firewall rule (none of the host's rule sets is touched or
//     needed) and without one policy per VNI; the price is a second UDP
//     port open between the hosts.
//   - Which peers: the tunnel addresses of the remote endpoints of the
//     encrypted networks that have an endpoint on this host. A peer whose
//     last endpoint is withdrawn (it left, or the gossip declared it dead)
//     has its states and policies removed.
//   - Ownership: every state and policy template carries reqid espReqid;
//     cleanup (network delete, Fini, restart) removes exactly those. After
//     a restart that finds states of an earlier run, nothing of ours is
//     removed until the restart grace has passed (traffic keeps flowing
//     while the controller replays the tables).
//   - A kernel without ESP (or the AEAD) is detected by a probe state at
//     the first encrypted network: the network is refused with a
//     NotImplementedError naming the missing support.
package overlay

import (
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/nlraw"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

const (
	networkType = "overlay"
	// DefaultVXLANPort is the UDP port of the VXLAN tunnels (IANA's).
	DefaultVXLANPort = 4789
	// DefaultExecRoot is where overlay namespaces are pinned by default.
	DefaultExecRoot = "/run/cnmkit/overlay"
	// VXLANPortKey is the driver configuration key of the VXLAN UDP port
	// (an int or a decimal string).
	VXLANPortKey = netlabel.DriverPrefix + ".overlay.vxlan_port"
	// ExecRootKey is the driver configuration key of the directory under
	// which overlay namespaces are pinned (a string).
	ExecRootKey = "cnmkit.overlay.exec-root"
	// RestartGraceKey is the driver configuration key of the restart grace
	// (a time.Duration or a duration string); see DefaultRestartGrace.
	RestartGraceKey = "cnmkit.overlay.restart-grace"
	// EncryptedOption is the network option asking for encrypted tunnels
	// (libnetwork's name): a boolean, empty meaning true.
	EncryptedOption = "encrypted"
	// DefaultEncryptedVXLANPort is the UDP port of the tunnels of
	// encrypted networks.
	DefaultEncryptedVXLANPort = 4794
	// EncryptedVXLANPortKey is the driver configuration key of that port
	// (an int or a decimal string; not the VXLAN port).
	EncryptedVXLANPortKey = netlabel.DriverPrefix + ".overlay.encrypted_vxlan_port"

	// vxlanOverhead4 and vxlanOverhead6 are the VXLAN encapsulation
	// overheads over an IPv4 and an IPv6 underlay.
	vxlanOverhead4 = 50
	vxlanOverhead6 = 70
	minMTU         = 68
	maxMTU         = 65535
	// dyingWait bounds how long building a namespace waits for a VXLAN ID
	// still held by a namespace this driver has just released.
	dyingWait = 10 * time.Second
)

// driver is the overlay driver. mu guards the fields below it; each
// network has its own lock and no lock is held across another network's
// kernel work.
type driver struct {
	hostNS    netns.NsHandle // our own duplicate of the host namespace handle
	hostNL    *netlink.Handle
	hostRaw   *nlraw.Socket // host-namespace socket for VXLAN creation
	execRoot  string
	vxlanPort int
	espPort   int // VXLAN port of encrypted networks

	alloc *allocator // manager side

	store        datastore.DataStore // local store of endpoint records, or nil
	restartGrace time.Duration
	gcTimer      *time.Timer

	mu       sync.Mutex
	networks map[string]*network
	pending  map[string][]*endpointRecord // endpoints of the store by network, until it is created
	tunnel   *tunnelAddrs
	dying    map[uint32]time.Time // VXLAN ID → when its namespace was unpinned
	closed   bool

	// espMu guards the encryption state; it is taken before any network
	// lock, never while holding one.
	espMu      sync.Mutex
	xfrm       *netlink.Handle // XFRM netlink in the host namespace, or nil
	esp        espConfig
	espProbed  bool
	espErr     error            // the probe's answer
	espTouched bool             // states of ours may exist
	espKeepOld bool             // states of an earlier run: remove nothing before the restart grace
	espSeen    map[saKey]uint64 // receive counters at the last primary change
}

// Init registers the overlay driver with dc. config holds the host
// namespace under netlabel.HostNetNS (the process's current namespace when
// absent), the local store under netlabel.LocalKVClient (endpoints do not
// survive a restart without it), the VXLAN port under VXLANPortKey, the
// exec root under ExecRootKey and the restart grace under RestartGraceKey.
// Overlay namespaces left under the exec root by an earlier run are
// re-adopted by CreateNetwork, or removed after the restart grace.
func Init(dc driverapi.DriverCallback, config map[string]interface{}) error {
	d, err := newDriver(config)
	if err != nil {
		return err
	}
	if err := dc.RegisterDriver(networkType, d, driverapi.Capability{DataScope: datastore.GlobalScope}); err != nil {
		d.Close()
		return err
	}
	return nil
}

func newDriver(config map[string]interface{}) (*driver, error) {
	d := &driver{execRoot: DefaultExecRoot, vxlanPort: DefaultVXLANPort, espPort: DefaultEncryptedVXLANPort, restartGrace: DefaultRestartGrace,
		networks: map[string]*network{}, pending: map[string][]*endpointRecord{}, dying: map[uint32]time.Time{}}
	if err := d.parseConfig(config); err != nil {
		return nil, err
	}
	var err error
	if d.hostNS, err = nlraw.HostNamespace(config, netlabel.HostNetNS, "overlay"); err != nil {
		return nil, err
	}
	if d.hostNL, err = netlink.NewHandleAt(d.hostNS, unix.NETLINK_ROUTE); err != nil {
		d.Close()
		return nil, types.InternalErrorf("overlay: netlink handle in the host namespace: %w", err)
	}
	if d.hostRaw, err = openRawSocket(d.hostNS); err != nil {
		d.Close()
		return nil, err
	}
	d.openXfrm()
	if d.alloc, err = newAllocator(); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.loadEndpoints(); err != nil {
		d.Close()
		return nil, err
	}
	d.startGC()
	return d, nil
}

// portOption reads a port option of the driver configuration.
func portOption(config map[string]interface{}, key string, def int) (int, error) {
	v, ok := config[key]
	if !ok || v == nil {
		return def, nil
	}
	var port int
	switch p := v.(type) {
	case int:
		port = p
	case string:
		n, err := strconv.Atoi(p)
		if err != nil {
			return 0, types.BadRequestErrorf("overlay driver option %s: %q is not a port number", key, p)
		}
		port = n
	default:
		return 0, types.BadRequestErrorf("overlay driver option %s: want an int or a string, got %T", key, v)
	}
	if port < 1 || port > 65535 {
		return 0, types.BadRequestErrorf("overlay driver option %s: port %d is out of range [1, 65535]", key, port)
	}
	return port, nil
}

func (d *driver) parseConfig(config map[string]interface{}) error {
	var err error
	if d.vxlanPort, err = portOption(config, VXLANPortKey, d.vxlanPort); err != nil {
		return err
	}
	if d.espPort, err = portOption(config, EncryptedVXLANPortKey, d.espPort); err != nil {
		return err
	}
	if d.espPort == d.vxlanPort {
		return types.BadRequestErrorf("overlay driver option %s: port %d is the VXLAN port of unencrypted networks", EncryptedVXLANPortKey, d.espPort)
	}
	if v, ok := config[netlabel.ExecRoot].(string); ok && v != "" && v[0] == '/' {
		d.execRoot = filepath.Join(v, networkType)
	}
	if v, ok := config[ExecRootKey]; ok && v != nil {
		s, ok := v.(string)
		if !ok || s == "" || s[0] != '/' {
			return types.BadRequestErrorf("overlay driver option %s: want an absolute path, got %v", ExecRootKey, v)
		}
		d.execRoot = s
	}
	if v, ok := config[RestartGraceKey]; ok && v != nil {
		var g time.Duration
		switch x := v.(type) {
		case time.Duration:
			g = x
		case string:
			var err error
			if g, err = time.ParseDuration(x); err != nil {
				return types.BadRequestErrorf("overlay driver option %s: %q is not a duration", RestartGraceKey, x)
			}
		default:
			return types.BadRequestErrorf("overlay driver option %s: want a duration, got %T", RestartGraceKey, v)
		}
		if g < 0 {
			return types.BadRequestErrorf("overlay driver option %s: negative duration %s", RestartGraceKey, g)
		}
		d.restartGrace = g
	}
	if v, ok := config[netlabel.LocalKVClient]; ok && v != nil {
		st, ok := v.(datastore.DataStore)
		if !ok {
			return types.BadRequestErrorf("overlay driver option %s: want a datastore.DataStore, got %T", netlabel.LocalKVClient, v)
		}
		d.store = st
	}
	return nil
}

// Close releases the driver's handles. Overlay namespaces stay in the
// kernel (containers stay connected) for the next driver to re-adopt. The
// driver must not be used afterwards.
func (d *driver) Close() error {
	d.shutdown(false)
	return nil
}

// shutdown stops the driver; with teardown it also removes every overlay
// namespace it built and every one left under its exec root.
func (d *driver) shutdown(teardown bool) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	nets := make([]*network, 0, len(d.networks))
	for _, n := range d.networks {
		nets = append(nets, n)
	}
	d.mu.Unlock()
	if d.gcTimer != nil {
		d.gcTimer.Stop()
	}
	for _, n := range nets {
		n.mu.Lock()
		if teardown {
			n.teardown()
		}
		if n.sweep != nil {
			n.sweep.Stop()
		}
		if n.ons != nil {
			n.ons.close()
			n.ons = nil
		}
		n.deleted = true
		n.mu.Unlock()
	}
	if teardown {
		d.removeAllNamespaces()
	}
	d.closeXfrm(teardown)
	if d.hostRaw != nil {
		d.hostRaw.Close()
	}
	if d.hostNL != nil {
		d.hostNL.Close()
	}
	if d.hostNS.IsOpen() {
		d.hostNS.Close()
	}
}

func (d *driver) Type() string { return networkType }

// markDying records that the VXLAN IDs of a namespace just unpinned are
// held by the kernel until it frees the namespace.
func (d *driver) markDying(vnis []uint32) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	for id, t := range d.dying {
		if now.Sub(t) > dyingWait {
			delete(d.dying, id)
		}
	}
	for _, v := range vnis {
		d.dying[v] = now
	}
}

// dyingSince returns when vni's namespace was released, if recently.
func (d *driver) dyingSince(vni uint32) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.dying[vni]
	return t, ok && time.Since(t) <= dyingWait
}

// network returns network nid or a NotFoundError.
func (d *driver) network(nid string) (*network, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, types.ForbiddenErrorf("overlay driver is closed")
	}
	n, ok := d.networks[nid]
	if !ok {
		return nil, types.NotFoundErrorf("overlay network %s not found", nid)
	}
	return n, nil
}

func (d *driver) ProgramExternalConnectivity(nid, eid string, options map[string]interface{}) error {
	return nil
}

func (d *driver) RevokeExternalConnectivity(nid, eid string) error { return nil }

func logFor(nid string) *logrus.Entry {
	return logrus.WithFields(logrus.Fields{"driver": networkType, "nid": shortID(nid)})
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
