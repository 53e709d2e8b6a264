package libnetwork

import (
	"fmt"
	"net"
	"sync"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

const (
	fakeType  = "fakeveth"
	fakeTable = "fake_table"
)

// fakeDriver makes real veth pairs: the container end is born inside the
// sandbox namespace (or in the host namespace when the sandbox has no
// namespace yet), the host end stays in the controller's host namespace.
type fakeDriver struct {
	hostNS netns.NsHandle

	mu        sync.Mutex
	networks  map[string][]driverapi.IPAMData
	endpoints map[string]string // eid -> host-side link name
	addrs     map[string]net.IP // eid -> IPv4 address
	epOptions map[string]map[string]interface{}
	networks6 map[string][]driverapi.IPAMData
	joined    map[string]bool
	calls     []string
	failJoin  bool
	noGateway map[string]bool // nid -> Join sets no gateway
	gwService bool            // Join without a gateway keeps the gateway service
}

func fakeInit(dc driverapi.DriverCallback, config map[string]interface{}) error {
	h, _ := config[HostNetNSKey].(netns.NsHandle)
	d := &fakeDriver{hostNS: h, networks: map[string][]driverapi.IPAMData{}, endpoints: map[string]string{},
		joined: map[string]bool{}, noGateway: map[string]bool{}, addrs: map[string]net.IP{},
		epOptions: map[string]map[string]interface{}{}, networks6: map[string][]driverapi.IPAMData{}}
	return dc.RegisterDriver(fakeType, d, driverapi.Capability{DataScope: datastore.LocalScope})
}

func (d *fakeDriver) record(format string, a ...interface{}) {
	d.mu.Lock()
	d.calls = append(d.calls, fmt.Sprintf(format, a...))
	d.mu.Unlock()
}

func (d *fakeDriver) Calls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.calls...)
}

func (d *fakeDriver) NetworkAllocate(string, map[string]string, []driverapi.IPAMData, []driverapi.IPAMData) (map[string]string, error) {
	return nil, types.NotImplementedErrorf("not supported")
}
func (d *fakeDriver) NetworkFree(string) error                                        { return types.NotImplementedErrorf("not supported") }
func (d *fakeDriver) EventNotify(driverapi.EventType, string, string, string, []byte) {}
func (d *fakeDriver) DiscoverNew(discoverapi.DiscoveryType, interface{}) error        { return nil }
func (d *fakeDriver) DiscoverDelete(discoverapi.DiscoveryType, interface{}) error     { return nil }
func (d *fakeDriver) Type() string                                                    { return fakeType }

func (d *fakeDriver) CreateNetwork(nid string, options map[string]interface{}, nInfo driverapi.NetworkInfo, v4, v6 []driverapi.IPAMData) error {
	if err := nInfo.TableEventRegister(fakeTable); err != nil {
		return err
	}
	d.mu.Lock()
	d.networks[nid] = v4
	d.networks6[nid] = v6
	d.mu.Unlock()
	d.record("CreateNetwork %s", nid)
	return nil
}

func (d *fakeDriver) DeleteNetwork(nid string) error {
	d.mu.Lock()
	delete(d.networks, nid)
	d.mu.Unlock()
	d.record("DeleteNetwork %s", nid)
	return nil
}

// Endpoint options the fake driver obeys in CreateEndpoint.
const (
	fakeFailCreate = "fake.fail-create" // fail
	fakeSetIPv6    = "fake.set-ipv6"    // set this IPv6 address (CIDR)
)

func (d *fakeDriver) CreateEndpoint(nid, eid string, ifInfo driverapi.InterfaceInfo, options map[string]interface{}) error {
	if _, ok := options[fakeFailCreate]; ok {
		return types.InternalErrorf("fake: create endpoint %s refused", eid)
	}
	if s, ok := options[fakeSetIPv6].(string); ok {
		ip, nw, err := net.ParseCIDR(s)
		if err != nil {
			return types.BadRequestErrorf("fake: %s %q: %w", fakeSetIPv6, s, err)
		}
		nw.IP = ip
		if err := ifInfo.SetIPAddress(nw); err != nil {
			return err
		}
	}
	if ifInfo.MacAddress() == nil {
		var mac net.HardwareAddr
		if a := ifInfo.Address(); a != nil {
			mac = netutils.GenerateMACFromIP(a.IP)
		} else {
			mac = netutils.GenerateRandomMAC()
		}
		if err := ifInfo.SetMacAddress(mac); err != nil {
			return err
		}
	}
	d.mu.Lock()
	d.endpoints[eid] = "fvh" + eid[:8]
	if a := ifInfo.Address(); a != nil {
		d.addrs[eid] = a.IP.To4()
	}
	d.epOptions[eid] = options
	d.mu.Unlock()
	d.record("CreateEndpoint %s", eid)
	return nil
}

func (d *fakeDriver) DeleteEndpoint(nid, eid string) error {
	// Endpoints of a previous controller are known by their ID alone.
	name := "fvh" + eid[:8]
	d.mu.Lock()
	delete(d.endpoints, eid)
	d.mu.Unlock()
	d.record("DeleteEndpoint %s", eid)
	nlh, err := netlink.NewHandleAt(d.hostNS)
	if err != nil {
		return err
	}
	defer nlh.Close()
	if l, err := nlh.LinkByName(name); err == nil {
		_ = nlh.LinkDel(l)
	}
	return nil
}

func (d *fakeDriver) EndpointOperInfo(nid, eid string) (map[string]interface{}, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return map[string]interface{}{"host-link": d.endpoints[eid]}, nil
}

func (d *fakeDriver) Join(nid, eid string, sboxKey string, jinfo driverapi.JoinInfo, options map[string]interface{}) error {
	host := "fvh" + eid[:8]
	d.mu.Lock()
	d.endpoints[eid] = host
	pools, pools6 := d.networks[nid], d.networks6[nid]
	addr := d.addrs[eid]
	fail, noGw, gwSvc := d.failJoin, d.noGateway[nid], d.gwService
	d.mu.Unlock()
	if fail {
		return types.ForbiddenErrorf("fake: join refused")
	}
	peer := "fvc" + eid[:8]
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: host}, PeerName: peer}
	if ns.IsNetNS(sboxKey) {
		sbns, err := netns.GetFromPath(sboxKey)
		if err != nil {
			return err
		}
		defer sbns.Close()
		veth.PeerNamespace = netlink.NsFd(int(sbns))
	}
	nlh, err := netlink.NewHandleAt(d.hostNS)
	if err != nil {
		return err
	}
	defer nlh.Close()
	if err := nlh.LinkAdd(veth); err != nil {
		return fmt.Errorf("fake: create veth %s/%s: %w", host, peer, err)
	}
	if err := jinfo.InterfaceName().SetNames(peer, "eth"); err != nil {
		return err
	}
	if len(pools) > 0 && pools[0].Gateway != nil && !noGw {
		gw := pools[0].Gateway.IP
		if err := jinfo.SetGateway(gw); err != nil {
			return err
		}
		// A route through the gateway, one per endpoint.
		if addr != nil {
			dst := &net.IPNet{IP: net.IPv4(203, 0, pools[0].Pool.IP.To4()[1], addr[3]).To4(), Mask: net.CIDRMask(32, 32)}
			if err := jinfo.AddStaticRoute(dst, types.NEXTHOP, gw); err != nil {
				return err
			}
		}
	}
	if len(pools6) > 0 && pools6[0].Gateway != nil && !noGw {
		if err := jinfo.SetGatewayIPv6(pools6[0].Gateway.IP); err != nil {
			return err
		}
	}
	if !gwSvc && (len(pools) == 0 || pools[0].Gateway == nil || noGw) && (len(pools6) == 0 || pools6[0].Gateway == nil || noGw) {
		// No way out, and none wanted: no gateway endpoint either.
		jinfo.DisableGatewayService()
	}
	if len(pools) > 0 && addr != nil {
		// A connected route of the driver's own, one per endpoint.
		dst := &net.IPNet{IP: net.IPv4(198, 18, pools[0].Pool.IP.To4()[1], addr[3]).To4(), Mask: net.CIDRMask(32, 32)}
		if err := jinfo.AddStaticRoute(dst, types.CONNECTED, nil); err != nil {
			return err
		}
	}
	if err := jinfo.AddTableEntry(fakeTable, eid, []byte(nid)); err != nil {
		return err
	}
	d.mu.Lock()
	d.joined[eid] = true
	d.mu.Unlock()
	d.record("Join %s", eid)
	return nil
}

func (d *fakeDriver) Leave(nid, eid string) error {
	d.mu.Lock()
	delete(d.joined, eid)
	d.mu.Unlock()
	d.record("Leave %s", eid)
	return nil
}

func (d *fakeDriver) ProgramExternalConnectivity(nid, eid string, options map[string]interface{}) error {
	d.record("Program %s", eid)
	return nil
}

func (d *fakeDriver) RevokeExternalConnectivity(nid, eid string) error {
	d.record("Revoke %s", eid)
	return nil
}

// fakeTables records the table entries a controller publishes.
type fakeTables struct {
	mu      sync.Mutex
	entries map[string][]byte // tname/nid/key -> value
	log     []string
}

func newFakeTables() *fakeTables { return &fakeTables{entries: map[string][]byte{}} }

func (f *fakeTables) CreateEntry(tname, nid, key string, value []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries[tname+"/"+nid+"/"+key] = append([]byte(nil), value...)
	f.log = append(f.log, "create "+tname+"/"+key)
	return nil
}

func (f *fakeTables) DeleteEntry(tname, nid, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := tname + "/" + nid + "/" + key
	if _, ok := f.entries[k]; !ok {
		return types.NotFoundErrorf("no entry %s", k)
	}
	delete(f.entries, k)
	f.log = append(f.log, "delete "+tname+"/"+key)
	return nil
}

func (f *fakeTables) has(tname, nid, key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.entries[tname+"/"+nid+"/"+key]
	return ok
}

func (f *fakeTables) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.entries)
}
