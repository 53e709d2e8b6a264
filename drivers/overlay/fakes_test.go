package overlay

import (
	"fmt"
	"net"
	"sync"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/types"
)

// gossip is the fake networkdb: it keeps each network's table and
// forwards changes to every host's driver (the publisher's included, as
// networkdb's watchers see local changes too).
type gossip struct {
	mu      sync.Mutex
	hosts   []*host
	entries map[string]map[string]gossipEntry // nid → eid → entry
}

type gossipEntry struct {
	from  *host
	value []byte
}

func (g *gossip) set(from *host, nid, eid string, value []byte) (driverapi.EventType, []*host) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.entries == nil {
		g.entries = map[string]map[string]gossipEntry{}
	}
	if g.entries[nid] == nil {
		g.entries[nid] = map[string]gossipEntry{}
	}
	et := driverapi.Create
	if _, ok := g.entries[nid][eid]; ok {
		et = driverapi.Update
	}
	g.entries[nid][eid] = gossipEntry{from: from, value: value}
	return et, append([]*host(nil), g.hosts...)
}

// publish records an entry and delivers it to every host but those in skip.
func (g *gossip) publish(from *host, nid, eid string, value []byte, skip ...*host) {
	et, hosts := g.set(from, nid, eid, value)
	for _, h := range hosts {
		if !contains(skip, h) {
			h.d.EventNotify(et, nid, PeerTable, eid, value)
		}
	}
}

// withdraw deletes an entry and tells every host but those in skip.
func (g *gossip) withdraw(nid, eid string, skip ...*host) []byte {
	g.mu.Lock()
	e := g.entries[nid][eid]
	delete(g.entries[nid], eid)
	hosts := append([]*host(nil), g.hosts...)
	g.mu.Unlock()
	for _, h := range hosts {
		if !contains(skip, h) {
			h.d.EventNotify(driverapi.Delete, nid, PeerTable, eid, e.value)
		}
	}
	return e.value
}

// replay delivers the existing entries of nid to h (as networkdb does to a
// node joining the network).
func (g *gossip) replay(h *host, nid string) {
	g.mu.Lock()
	var evs []gossipEntry
	var keys []string
	for k, e := range g.entries[nid] {
		keys = append(keys, k)
		evs = append(evs, e)
	}
	g.mu.Unlock()
	for i, k := range keys {
		h.d.EventNotify(driverapi.Create, nid, PeerTable, k, evs[i].value)
	}
}

func contains(list []*host, h *host) bool {
	for _, x := range list {
		if x == h {
			return true
		}
	}
	return false
}

// fakeIf is the InterfaceInfo a controller passes to CreateEndpoint.
type fakeIf struct {
	mac   net.HardwareAddr
	addr  *net.IPNet
	addr6 *net.IPNet
}

func (f *fakeIf) SetMacAddress(m net.HardwareAddr) error { f.mac = m; return nil }
func (f *fakeIf) SetIPAddress(a *net.IPNet) error        { return nil }
func (f *fakeIf) MacAddress() net.HardwareAddr           { return f.mac }
func (f *fakeIf) Address() *net.IPNet                    { return f.addr }
func (f *fakeIf) AddressIPv6() *net.IPNet                { return f.addr6 }

// fakeJoin is the JoinInfo a controller passes to Join.
type fakeJoin struct {
	src, prefix string
	gw, gw6     net.IP
	noGateway   bool
	routes      []*types.StaticRoute
	entries     map[string][]byte // eid → value in PeerTable
}

func (j *fakeJoin) InterfaceName() driverapi.InterfaceNameInfo { return j }
func (j *fakeJoin) SetNames(src, prefix string) error {
	j.src, j.prefix = src, prefix
	return nil
}
func (j *fakeJoin) SetGateway(ip net.IP) error     { j.gw = ip; return nil }
func (j *fakeJoin) SetGatewayIPv6(ip net.IP) error { j.gw6 = ip; return nil }
func (j *fakeJoin) AddStaticRoute(dst *net.IPNet, rt int, nh net.IP) error {
	j.routes = append(j.routes, &types.StaticRoute{Destination: dst, RouteType: rt, NextHop: nh})
	return nil
}
func (j *fakeJoin) DisableGatewayService() { j.noGateway = true }
func (j *fakeJoin) AddTableEntry(table, key string, value []byte) error {
	if table != PeerTable {
		return fmt.Errorf("unexpected table %q", table)
	}
	if j.entries == nil {
		j.entries = map[string][]byte{}
	}
	j.entries[key] = value
	return nil
}
