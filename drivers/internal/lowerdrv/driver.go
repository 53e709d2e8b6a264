// Package lowerdrv is the driver core that the macvlan and ipvlan drivers
// share: containers' interfaces are links of one kind stacked on a parent
// link of the controller's host namespace (see drivers/internal/parent),
// each born inside its sandbox's namespace with its final name by one
// netlink request. The two drivers differ only by their Kind: link kind,
// mode option and values, whether an endpoint has a MAC of its own, and
// which modes route through the interface instead of a gateway.
//
// Detaching costs no kernel work in the driver: the controller retires
// the interface in the sandbox (or the sandbox's namespace takes it with
// it). Only an interface made in the host namespace for a sandbox whose
// namespace was not there yet (Docker's external-key order), and not
// taken in since, is deleted by the driver.
package lowerdrv

import (
	"sync"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drivers/internal/parent"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/nlraw"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Kind is what makes a driver of this core macvlan or ipvlan.
type Kind struct {
	// Name is the driver's name and its links' kind ("macvlan", "ipvlan").
	Name string
	// ModeOption is the driver option naming the mode ("macvlan_mode").
	ModeOption string
	// Modes maps each mode's name to its kernel value.
	Modes map[string]uint32
	// DefaultMode is the mode of a network that names none.
	DefaultMode string
	// OwnMAC says each endpoint has a MAC of its own (macvlan); without,
	// interfaces share the parent's and a MAC asked for is refused.
	OwnMAC bool
	// Routed lists the modes whose sandboxes route everything through the
	// interface (default dev routes) instead of via the subnet's gateway.
	Routed map[string]bool
	// TmpPrefix starts the temporary names of interfaces made in the host
	// namespace (4 characters).
	TmpPrefix string
}

// HostNetNSKey is the key of the host namespace handle (a netns.NsHandle)
// in a driver's configuration map.
const HostNetNSKey = netlabel.HostNetNS

const ifacePrefix = "eth"

// Driver is a macvlan or ipvlan driver. Its mutex guards the networks map
// only; each network and endpoint has its own lock and no lock is held
// across kernel work but the parent registry's per-link one.
type Driver struct {
	kind   Kind
	hostNS netns.NsHandle
	nlh    *netlink.Handle
	raw    *nlraw.Socket
	host   *parent.Host
	store  datastore.DataStore

	mu       sync.Mutex
	networks map[string]*network
	closed   bool
}

// Init registers a driver of kind with dc. config holds the host namespace
// under HostNetNSKey (the process's current namespace when absent) and the
// local store under netlabel.LocalKVClient (no persistence when absent).
// Networks and endpoints found in the store are re-adopted first.
func Init(kind Kind, dc driverapi.DriverCallback, config map[string]interface{}) error {
	d, err := New(kind, config)
	if err != nil {
		return err
	}
	if err := dc.RegisterDriver(kind.Name, d, driverapi.Capability{DataScope: datastore.LocalScope}); err != nil {
		d.Close()
		return err
	}
	return nil
}

// New returns a driver of kind, its state restored from the store.
func New(kind Kind, config map[string]interface{}) (*Driver, error) {
	d := &Driver{kind: kind, networks: map[string]*network{}}
	var err error
	if d.hostNS, err = nlraw.HostNamespace(config, HostNetNSKey, kind.Name); err != nil {
		return nil, err
	}
	if v, ok := config[netlabel.LocalKVClient]; ok && v != nil {
		s, ok := v.(datastore.DataStore)
		if !ok {
			d.Close()
			return nil, types.BadRequestErrorf("%s driver option %s: want a datastore.DataStore, got %T", kind.Name, netlabel.LocalKVClient, v)
		}
		d.store = s
	}
	if d.nlh, err = netlink.NewHandleAt(d.hostNS, unix.NETLINK_ROUTE); err != nil {
		d.Close()
		return nil, types.InternalErrorf("%s: netlink handle in the host namespace: %w", kind.Name, err)
	}
	if d.raw, err = nlraw.Open(d.hostNS); err != nil {
		d.Close()
		return nil, types.InternalErrorf("%s: host namespace: %w", kind.Name, err)
	}
	if d.host, err = parent.NewHost(kind.Name, d.hostNS, d.nlh); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.restore(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close releases the driver's handles and its claims on parent links.
// Networks and endpoints stay in the kernel and in the store for the next
// driver. The driver must not be used afterwards.
func (d *Driver) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.mu.Unlock()
	if d.host != nil {
		d.host.Close()
	}
	if d.raw != nil {
		d.raw.Close()
	}
	if d.nlh != nil {
		d.nlh.Close()
	}
	if d.hostNS.IsOpen() {
		d.hostNS.Close()
	}
	return nil
}

// Type is the driver's name.
func (d *Driver) Type() string { return d.kind.Name }

// NetworkAllocate is not supported: the driver is local.
func (d *Driver) NetworkAllocate(id string, option map[string]string, ipV4Data, ipV6Data []driverapi.IPAMData) (map[string]string, error) {
	return nil, types.NotImplementedErrorf("network allocation is not supported by the %q driver", d.kind.Name)
}

// NetworkFree is not supported: the driver is local.
func (d *Driver) NetworkFree(id string) error {
	return types.NotImplementedErrorf("network free is not supported by the %q driver", d.kind.Name)
}

// EventNotify does nothing: the driver registers for no table.
func (d *Driver) EventNotify(etype driverapi.EventType, nid, tableName, key string, value []byte) {}

// DiscoverNew does nothing.
func (d *Driver) DiscoverNew(dType discoverapi.DiscoveryType, data interface{}) error { return nil }

// DiscoverDelete does nothing.
func (d *Driver) DiscoverDelete(dType discoverapi.DiscoveryType, data interface{}) error { return nil }

// ProgramExternalConnectivity does nothing: containers are on the parent's
// segment, with no port mapping.
func (d *Driver) ProgramExternalConnectivity(nid, eid string, options map[string]interface{}) error {
	return nil
}

// RevokeExternalConnectivity does nothing.
func (d *Driver) RevokeExternalConnectivity(nid, eid string) error { return nil }

// network returns network nid or a NotFoundError.
func (d *Driver) network(nid string) (*network, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, types.ForbiddenErrorf("%s driver is closed", d.kind.Name)
	}
	n, ok := d.networks[nid]
	if !ok || n.creating {
		return nil, types.NotFoundErrorf("%s: network %s not found", d.kind.Name, nid)
	}
	return n, nil
}

func (d *Driver) log(nid string) *logrus.Entry {
	return logrus.WithFields(logrus.Fields{"driver": d.kind.Name, "nid": shortID(nid)})
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
