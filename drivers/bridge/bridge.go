// Package bridge is the bridge network driver: each network is a Linux
// bridge in the controller's host namespace, each endpoint a veth pair
// whose container end is born inside the sandbox's namespace.
//
// Host-side kernel work goes through a netlink handle (and a raw netlink
// socket for the veth fast path) opened in the host namespace the
// controller passes under HostNetNSKey, and through the firewall backend
// bound to that namespace; the calling thread's namespace is never used.
//
// A network is set up by a pipeline of small steps (setup_*.go), each with
// its removal; a failed step rolls back the steps done before it. The last
// step programs the network's rules in one change of the firewall backend
// (package firewall): with nf_tables, a few elements of the sets of our
// table "inet cnmkit", one netlink transaction whatever the number of
// networks; with iptables (kernels without nf_tables, or the driver option
// FirewallBackend), one iptables-restore call per IP version. At start the
// rules are rebuilt from the restored networks, so that nothing an earlier
// run left (after a kill -9, say) stays.
//
// Published ports are elements of the port mapper's nf_tables maps (see
// portmapper), or iptables rules with the iptables backend.
//
// Detaching: Leave takes the host end off the bridge (the endpoint is cut
// off at once) and leaves the deletion of the pair to whoever comes first:
// the sandbox's namespace going away (which frees the pair
// asynchronously), the controller deleting the container end, or the
// driver's reaper, which deletes host ends still present after reapDelay.
// Deleting a veth costs an RCU grace period (~20 ms), so detach pays it at
// most once, off the caller's path.
package bridge

import (
	"sync"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/internal/journal"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/nlraw"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

const (
	networkType = "bridge"
	// DefaultBridgeName is the device of the default bridge network; it
	// differs from Docker's docker0.
	DefaultBridgeName = "cnm0"
	// bridgePrefix starts the device name of user networks ("cnm-" + 11
	// characters of the network ID: interface names hold 15); Docker's
	// are "br-...".
	bridgePrefix  = "cnm-"
	bridgeIDChars = 11
	// hostVethPrefix starts host-side veth names ("cnmv" + 11 characters
	// of the endpoint ID); tmpVethPrefix the temporary container-side ones.
	hostVethPrefix = "cnmv"
	tmpVethPrefix  = "cnmc"
	// defaultIfacePrefix is the interface prefix in the sandbox.
	defaultIfacePrefix = "eth"
	minMTU             = 68
	maxMTU             = 65535
	// maxIfacePrefix leaves room for two digits in a 15-character name.
	maxIfacePrefix = 13
	// HostNetNSKey is the key of the host namespace handle (a
	// netns.NsHandle) in the driver's configuration map.
	HostNetNSKey = netlabel.HostNetNS
)

// driver is the bridge driver. Its mutex guards the networks map only; each
// network has its own lock and no lock is held across kernel work.
type driver struct {
	config Configuration
	hostNS netns.NsHandle // our own duplicate of the host namespace handle
	nlh    *netlink.Handle
	raw    *nlraw.Socket // one-request link creation in the host namespace
	hostW  *ns.Worker    // a thread in the host namespace, for its /proc/sys/net
	store  datastore.DataStore
	// journal holds the intents of network creations (intent.go).
	journal *journal.Journal
	fw      *firewall // nil without EnableIPTables
	ports   *portMapper
	reaper  *reaper
	backlog *backlog // left host ends the kernel has not freed yet
	sys     sysctlState

	mu       sync.Mutex
	networks map[string]*bridgeNetwork
	closed   bool
}

// Init registers the bridge driver with dc. config holds the driver options
// under netlabel.GenericData, the host namespace under HostNetNSKey (the
// process's current namespace when absent) and the local store under
// netlabel.LocalKVClient (no persistence when absent). Networks and
// endpoints found in the store are re-adopted before the driver registers.
func Init(dc driverapi.DriverCallback, config map[string]interface{}) error {
	d, err := newDriver(config)
	if err != nil {
		return err
	}
	if err := dc.RegisterDriver(networkType, d, driverapi.Capability{DataScope: datastore.LocalScope}); err != nil {
		d.Close()
		return err
	}
	return nil
}

func newDriver(config map[string]interface{}) (*driver, error) {
	cfg, err := parseDriverConfig(config)
	if err != nil {
		return nil, err
	}
	d := &driver{config: cfg, networks: map[string]*bridgeNetwork{}}
	if d.hostNS, err = nlraw.HostNamespace(config, HostNetNSKey, "bridge"); err != nil {
		return nil, err
	}
	if v, ok := config[netlabel.LocalKVClient]; ok && v != nil {
		s, ok := v.(datastore.DataStore)
		if !ok {
			d.Close()
			return nil, types.BadRequestErrorf("bridge driver option %s: want a datastore.DataStore, got %T", netlabel.LocalKVClient, v)
		}
		d.store = s
	}
	if d.journal, err = openJournal(config); err != nil {
		d.Close()
		return nil, err
	}
	if d.nlh, err = netlink.NewHandleAt(d.hostNS, unix.NETLINK_ROUTE); err != nil {
		d.Close()
		return nil, types.InternalErrorf("bridge: netlink handle in the host namespace: %w", err)
	}
	if d.raw, err = nlraw.Open(d.hostNS); err != nil {
		d.Close()
		return nil, types.InternalErrorf("bridge: host namespace: %w", err)
	}
	if d.hostW, err = ns.NewWorker(d.hostNS); err != nil {
		d.Close()
		return nil, err
	}
	if d.backlog, err = newBacklog(d.hostW, func() error { return flushLeft(d.raw) }); err != nil {
		d.Close()
		return nil, err
	}
	if cfg.EnableIPTables {
		if d.fw, err = newFirewall(d.hostNS, cfg.FirewallBackend); err != nil {
			d.Close()
			return nil, err
		}
	}
	if d.ports, err = newPortMapper(d, config); err != nil {
		d.Close()
		return nil, err
	}
	d.reaper = newReaper(d.nlh)
	if err := d.restore(); err != nil {
		d.Close()
		return nil, err
	}
	d.restoreFirewall()
	return d, nil
}

// Close releases the driver's handles. Pending deletions of left veth host
// ends are done first. Networks and endpoints stay in the kernel and in the
// store for the next driver. The driver must not be used afterwards.
func (d *driver) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.mu.Unlock()
	if d.reaper != nil {
		d.reaper.stop()
		d.reaper.flush(nil)
	}
	if d.backlog != nil {
		d.backlog.close()
	}
	if d.ports != nil {
		d.ports.close()
	}
	if d.raw != nil {
		d.raw.Close()
	}
	if d.hostW != nil {
		d.hostW.Close()
	}
	if d.nlh != nil {
		d.nlh.Close()
	}
	if d.hostNS.IsOpen() {
		d.hostNS.Close()
	}
	return nil
}

func (d *driver) Type() string { return networkType }

func (d *driver) NetworkAllocate(id string, option map[string]string, ipV4Data, ipV6Data []driverapi.IPAMData) (map[string]string, error) {
	return nil, types.NotImplementedErrorf("network allocation is not supported by the %q driver", networkType)
}

func (d *driver) NetworkFree(id string) error {
	return types.NotImplementedErrorf("network free is not supported by the %q driver", networkType)
}

func (d *driver) EventNotify(etype driverapi.EventType, nid, tableName, key string, value []byte) {}

func (d *driver) DiscoverNew(dType discoverapi.DiscoveryType, data interface{}) error { return nil }

func (d *driver) DiscoverDelete(dType discoverapi.DiscoveryType, data interface{}) error {
	return nil
}

// network returns network nid or a NotFoundError.
func (d *driver) network(nid string) (*bridgeNetwork, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, types.ForbiddenErrorf("bridge driver is closed")
	}
	n, ok := d.networks[nid]
	if !ok || n.creating {
		return nil, InvalidNetworkIDError(nid)
	}
	return n, nil
}

func (d *driver) log(nid string) *logrus.Entry {
	return logrus.WithFields(logrus.Fields{"driver": networkType, "nid": shortID(nid)})
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
