package libnetwork

import (
	"net"
	"net/netip"
	"strings"
	"sync"
)

// svcRecord is what one endpoint contributes to its network's service
// records: the names it answers to and its addresses. Records of this
// controller's endpoints are added at Join and removed at Leave; records
// learnt from other hosts carry the host's ID in Source, so that they can be
// dropped together when the host goes away.
type svcRecord struct {
	// EID is the endpoint's ID; a network holds one record per endpoint.
	EID string
	// Source is the host that published the record; "" for this controller.
	Source string
	// SandboxID is the local sandbox the endpoint is joined to ("" for
	// remote records).
	SandboxID string
	// Names are the names the endpoint answers to, in order. When PTR is
	// set the first one is the target of reverse lookups.
	Names []string
	// PTR says whether reverse lookups of the addresses return Names[0].
	PTR bool
	IP  net.IP
	IP6 net.IP
}

// svcTable is a network's service records, indexed by endpoint, by name
// (lowercase) and by address. Its lock is per network and is never held
// while another lock is taken.
type svcTable struct {
	mu    sync.RWMutex
	byEID map[string]*svcRecord
	names map[string][]*svcRecord
	ips   map[netip.Addr][]*svcRecord
}

// addSvcRecord adds r to the network's records, replacing the endpoint's
// previous record.
func (n *network) addSvcRecord(r svcRecord) {
	rec := &r
	rec.IP, rec.IP6 = cloneIP(r.IP), cloneIP(r.IP6)
	rec.Names = append([]string(nil), r.Names...)
	t := &n.svc
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byEID == nil {
		t.byEID = map[string]*svcRecord{}
		t.names = map[string][]*svcRecord{}
		t.ips = map[netip.Addr][]*svcRecord{}
	}
	if old := t.byEID[r.EID]; old != nil {
		t.unindex(old)
	}
	t.byEID[r.EID] = rec
	for _, name := range rec.Names {
		k := strings.ToLower(name)
		if !containsRecord(t.names[k], rec) {
			t.names[k] = append(t.names[k], rec)
		}
	}
	if rec.PTR && len(rec.Names) > 0 {
		for _, ip := range []net.IP{rec.IP, rec.IP6} {
			if a, ok := ipKey(ip); ok {
				t.ips[a] = append(t.ips[a], rec)
			}
		}
	}
}

// deleteSvcRecord removes the record of endpoint eid; it reports whether
// there was one.
func (n *network) deleteSvcRecord(eid string) bool {
	t := &n.svc
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.byEID[eid]
	if old == nil {
		return false
	}
	t.unindex(old)
	delete(t.byEID, eid)
	return true
}

// deleteSvcRecordsFrom removes every record published by host source and
// returns how many there were.
func (n *network) deleteSvcRecordsFrom(source string) int {
	t := &n.svc
	t.mu.Lock()
	defer t.mu.Unlock()
	count := 0
	for eid, r := range t.byEID {
		if r.Source == source {
			t.unindex(r)
			delete(t.byEID, eid)
			count++
		}
	}
	return count
}

// putRemoteSvcRecord adds or replaces a record published by another host
// (r.Source, not empty) and updates the hosts files that list peers.
func (n *network) putRemoteSvcRecord(r svcRecord) {
	r.SandboxID = ""
	n.addSvcRecord(r)
	n.syncPeerHosts("")
}

// dropRemoteSvcRecord removes a record published by another host.
func (n *network) dropRemoteSvcRecord(eid string) {
	if n.deleteSvcRecord(eid) {
		n.syncPeerHosts("")
	}
}

// dropSvcRecordsFrom removes every record of a host that left.
func (n *network) dropSvcRecordsFrom(source string) {
	if n.deleteSvcRecordsFrom(source) > 0 {
		n.syncPeerHosts("")
	}
}

func (t *svcTable) unindex(r *svcRecord) {
	for _, name := range r.Names {
		k := strings.ToLower(name)
		if l := removeRecord(t.names[k], r); len(l) > 0 {
			t.names[k] = l
		} else {
			delete(t.names, k)
		}
	}
	for _, ip := range []net.IP{r.IP, r.IP6} {
		if a, ok := ipKey(ip); ok {
			if l := removeRecord(t.ips[a], r); len(l) > 0 {
				t.ips[a] = l
			} else {
				delete(t.ips, a)
			}
		}
	}
}

// lookupName returns the addresses of the family (4 or 6) of the lowercase
// name, and whether the name is known in any family.
func (n *network) lookupName(name string, family int) ([]net.IP, bool) {
	t := &n.svc
	t.mu.RLock()
	defer t.mu.RUnlock()
	recs := t.names[name]
	if len(recs) == 0 {
		return nil, false
	}
	var out []net.IP
	for _, r := range recs {
		ip := r.IP
		if family == 6 {
			ip = r.IP6
		}
		if ip != nil {
			out = append(out, ip)
		}
	}
	return out, true
}

// lookupIP returns the name whose address is ip, or "".
func (n *network) lookupIP(ip net.IP) string {
	a, ok := ipKey(ip)
	if !ok {
		return ""
	}
	t := &n.svc
	t.mu.RLock()
	defer t.mu.RUnlock()
	if recs := t.ips[a]; len(recs) > 0 {
		return recs[0].Names[0]
	}
	return ""
}

// svcRecords returns a copy of the network's records.
func (n *network) svcRecords() []svcRecord {
	t := &n.svc
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]svcRecord, 0, len(t.byEID))
	for _, r := range t.byEID {
		out = append(out, *r)
	}
	return out
}

// svcRecordOf returns the record of joined endpoint ep on its network, and
// false when ep has no address to publish. An anonymous endpoint is known
// only by its aliases; its first alias answers reverse lookups.
func svcRecordOf(ep *endpoint, sid string) (svcRecord, bool) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	r := svcRecord{EID: ep.id, SandboxID: sid}
	if ep.iface.addr != nil {
		r.IP = ep.iface.addr.IP
	}
	if ep.iface.addrv6 != nil {
		r.IP6 = ep.iface.addrv6.IP
	}
	if r.IP == nil && r.IP6 == nil {
		return r, false
	}
	if !ep.anonymous && ep.name != "" {
		r.Names = append(r.Names, ep.name)
	}
	for _, a := range ep.myAliases {
		if a != "" && !containsFold(r.Names, a) {
			r.Names = append(r.Names, a)
		}
	}
	r.PTR = len(r.Names) > 0
	return r, len(r.Names) > 0
}

// publishSvcRecord adds (or refreshes) the record of ep, joined to sandbox
// sid; it reports whether the network's records changed.
func (ep *endpoint) publishSvcRecord(sid string) bool {
	n := ep.network
	if n.hasSpecialDriver() {
		return false
	}
	r, ok := svcRecordOf(ep, sid)
	if !ok {
		return n.deleteSvcRecord(ep.id)
	}
	n.addSvcRecord(r)
	return true
}

func ipKey(ip net.IP) (netip.Addr, bool) {
	if ip == nil {
		return netip.Addr{}, false
	}
	a, ok := netip.AddrFromSlice(ip)
	return a.Unmap(), ok
}

func cloneIP(ip net.IP) net.IP {
	if ip == nil {
		return nil
	}
	if v4 := ip.To4(); v4 != nil {
		return append(net.IP(nil), v4...)
	}
	return append(net.IP(nil), ip...)
}

func containsRecord(l []*svcRecord, r *svcRecord) bool {
	for _, x := range l {
		if x == r {
			return true
		}
	}
	return false
}

func removeRecord(l []*svcRecord, r *svcRecord) []*svcRecord {
	for i, x := range l {
		if x == r {
			out := make([]*svcRecord, 0, len(l)-1)
			out = append(out, l[:i]...)
			return append(out, l[i+1:]...)
		}
	}
	return l
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
