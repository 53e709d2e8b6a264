package libnetwork_test

import (
	"fmt"
	"sync"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// vethDriver is a small in-process network driver: each endpoint is a
// veth pair whose container end the controller moves into the sandbox
// and configures with the IPAM's address; the host end stays, down.
type vethDriver struct {
	nl    *netlink.Handle // on the controller's host namespace
	mu    sync.Mutex
	hosts map[string]string // endpoint ID -> host end
}

func (d *vethDriver) Type() string { return "veth-example" }

func (d *vethDriver) CreateNetwork(nid string, _ map[string]interface{}, _ driverapi.NetworkInfo, _, _ []driverapi.IPAMData) error {
	return nil
}
func (d *vethDriver) DeleteNetwork(string) error { return nil }

func (d *vethDriver) CreateEndpoint(_, eid string, _ driverapi.InterfaceInfo, _ map[string]interface{}) error {
	return nil
}
func (d *vethDriver) DeleteEndpoint(string, string) error { return nil }
func (d *vethDriver) EndpointOperInfo(string, string) (map[string]interface{}, error) {
	return map[string]interface{}{}, nil
}

// Join makes the pair in the host namespace and names the container end:
// the controller moves it into the sandbox as "eth" + a number.
func (d *vethDriver) Join(_, eid, _ string, jinfo driverapi.JoinInfo, _ map[string]interface{}) error {
	host, peer := "vex"+eid[:7], "vexc"+eid[:7]
	if err := d.nl.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: host}, PeerName: peer}); err != nil {
		return types.InternalErrorf("veth-example: create %s: %w", host, err)
	}
	d.mu.Lock()
	d.hosts[eid] = host
	d.mu.Unlock()
	return jinfo.InterfaceName().SetNames(peer, "eth")
}

// Leave deletes the host end (and with it the container end).
func (d *vethDriver) Leave(_, eid string) error {
	d.mu.Lock()
	host := d.hosts[eid]
	delete(d.hosts, eid)
	d.mu.Unlock()
	if l, err := d.nl.LinkByName(host); err == nil {
		return d.nl.LinkDel(l)
	}
	return nil
}

func (d *vethDriver) ProgramExternalConnectivity(string, string, map[string]interface{}) error {
	return nil
}
func (d *vethDriver) RevokeExternalConnectivity(string, string) error { return nil }

// NetworkAllocate and NetworkFree serve global-scope drivers only.
func (d *vethDriver) NetworkAllocate(string, map[string]string, []driverapi.IPAMData, []driverapi.IPAMData) (map[string]string, error) {
	return nil, types.NotImplementedErrorf("veth-example is a local-scope driver")
}
func (d *vethDriver) NetworkFree(string) error {
	return types.NotImplementedErrorf("veth-example is a local-scope driver")
}

// Close is called by the controller's Stop.
func (d *vethDriver) Close() { d.nl.Close() }

func (d *vethDriver) EventNotify(driverapi.EventType, string, string, string, []byte) {}
func (d *vethDriver) DiscoverNew(discoverapi.DiscoveryType, interface{}) error        { return nil }
func (d *vethDriver) DiscoverDelete(discoverapi.DiscoveryType, interface{}) error {
	return nil
}

// Writing a network driver of one's own and giving it to the controller
// with config.OptionDriver: its networks, endpoints and joins then work
// as with the built-in drivers.
func Example_inProcessDriver() {
	initVeth := func(dc driverapi.DriverCallback, cfg map[string]interface{}) error {
		// The controller's host namespace, where the driver makes its links.
		nl, err := netlink.NewHandleAt(cfg[libnetwork.HostNetNSKey].(netns.NsHandle))
		if err != nil {
			return err
		}
		d := &vethDriver{nl: nl, hosts: map[string]string{}}
		return dc.RegisterDriver(d.Type(), d, driverapi.Capability{DataScope: "local"})
	}
	c, err := libnetwork.New(append(dirs(), config.OptionDriver("veth-example", initVeth))...)
	check(err)
	defer c.Stop()
	n, err := c.NewNetwork("veth-example", "vnet", "", onPool("10.30.0.0/24"))
	check(err)
	ep, err := n.CreateEndpoint("ep1")
	check(err)
	sb, err := c.NewSandbox("container1")
	check(err)
	check(ep.Join(sb))
	fmt.Println(n.Type(), "endpoint", ep.Name(), "has", ep.Info().Iface().Address())

	check(ep.Leave(sb))
	check(ep.Delete(false))
	check(sb.Delete())
	check(n.Delete())
	// Prints:
	// veth-example endpoint ep1 has 10.30.0.2/24
}
