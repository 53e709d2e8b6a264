package libnetwork

import (
	"net"
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/drivers/bridge"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
)

// dnsView is what a sandbox's name lookups search: the networks it is
// joined to that have DNS, in endpoint priority order. It is rebuilt on
// every join and leave and read without locks by the resolver.
type dnsView struct {
	nets []dnsNet
}

type dnsNet struct {
	n     *network
	lname string // network name, lowercase
	// aliases are the link aliases (CreateOptionAlias) of the sandbox's
	// endpoint on n: lowercase alias -> name on n.
	aliases map[string]string
}

// ResolveName returns the addresses of the IP family iplen (net.IPv4len or
// net.IPv6len) of name, looked up in the service records of the networks
// the sandbox is joined to that have DNS: link aliases of the sandbox's
// endpoints first, then endpoint names and aliases, then "name.network".
// The bool reports that name exists there but has no address of that
// family (libnetwork's "IPv6 miss").
func (sb *sandbox) ResolveName(name string, iplen int) ([]net.IP, bool) {
	fam := 0
	switch iplen {
	case net.IPv4len:
		fam = 4
	case net.IPv6len:
		fam = 6
	default:
		return nil, false
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if name == "" {
		return nil, false
	}
	ips, exists := sb.view().resolveName(name, fam)
	if len(ips) == 0 {
		return nil, exists
	}
	out := make([]net.IP, len(ips))
	for i, ip := range ips {
		out[i] = cloneIP(ip)
	}
	return out, false
}

// ResolveIP returns "name.network" for an address of an endpoint on the
// networks the sandbox is joined to that have DNS, or "".
func (sb *sandbox) ResolveIP(ip string) string {
	a := net.ParseIP(ip)
	if a == nil {
		return ""
	}
	return sb.view().resolveIP(a)
}

func (sb *sandbox) view() *dnsView {
	if v := sb.dnsView.Load(); v != nil {
		return v
	}
	return &dnsView{}
}

// refreshDNSView rebuilds the sandbox's lookup view from its endpoints.
func (sb *sandbox) refreshDNSView() {
	v := &dnsView{}
	index := map[*network]int{}
	for _, ep := range sb.sortedEndpoints() {
		n := ep.network
		if !n.wantsDNS() {
			continue
		}
		i, ok := index[n]
		if !ok {
			i = len(v.nets)
			index[n] = i
			v.nets = append(v.nets, dnsNet{n: n, lname: strings.ToLower(n.name)})
		}
		for alias, target := range ep.aliases {
			if v.nets[i].aliases == nil {
				v.nets[i].aliases = map[string]string{}
			}
			v.nets[i].aliases[strings.ToLower(alias)] = strings.ToLower(target)
		}
	}
	sb.dnsView.Store(v)
}

// resolveName looks up the lowercase name of the family (4 or 6); it
// returns the addresses found first and whether name exists at all.
func (v *dnsView) resolveName(name string, fam int) ([]net.IP, bool) {
	exists := false
	for i := range v.nets {
		if target, ok := v.nets[i].aliases[name]; ok {
			ips, found := v.nets[i].n.lookupName(target, fam)
			if len(ips) > 0 {
				return ips, true
			}
			exists = exists || found
		}
	}
	for i := range v.nets {
		if _, isAlias := v.nets[i].aliases[name]; isAlias {
			continue
		}
		ips, found := v.nets[i].n.lookupName(name, fam)
		if len(ips) > 0 {
			return ips, true
		}
		exists = exists || found
	}
	// "a.b.c" may be "a.b" on network "c" or "a" on network "b.c".
	for end := strings.LastIndexByte(name, '.'); end > 0; end = strings.LastIndexByte(name[:end], '.') {
		host, netName := name[:end], name[end+1:]
		for i := range v.nets {
			if v.nets[i].lname != netName {
				continue
			}
			ips, found := v.nets[i].n.lookupName(host, fam)
			if len(ips) > 0 {
				return ips, true
			}
			exists = exists || found
		}
	}
	return nil, exists
}

// resolveIP returns "name.network" of ip, or "".
func (v *dnsView) resolveIP(ip net.IP) string {
	for i := range v.nets {
		if name := v.nets[i].n.lookupIP(ip); name != "" {
			return name + "." + v.nets[i].n.name
		}
	}
	return ""
}

// wantsDNS reports whether the names of the network's endpoints are served
// by the embedded DNS server: user-defined networks only, as libnetwork;
// not the host and null networks, not the controller's default network and
// not a bridge network marked as the default bridge.
func (n *network) wantsDNS() bool {
	if n.hasSpecialDriver() {
		return false
	}
	if cfg := n.ctrl.config(); cfg != nil && n.name == cfg.Daemon.DefaultNetwork && n.networkType == cfg.Daemon.DefaultDriver {
		return false
	}
	return !(n.networkType == "bridge" && isDefaultBridge(n.generic[netlabel.GenericData]))
}

// isDefaultBridge reads the default-bridge flag from a bridge network's
// driver options, under its label or its field name.
func isDefaultBridge(opts interface{}) bool {
	var v interface{}
	switch o := opts.(type) {
	case map[string]string:
		if s, ok := o[bridge.DefaultBridge]; ok {
			v = s
		} else if s, ok := o["DefaultBridge"]; ok {
			v = s
		}
	case map[string]interface{}:
		v = pick(o)
	case options.Generic:
		v = pick(o)
	}
	switch b := v.(type) {
	case bool:
		return b
	case string:
		on, err := strconv.ParseBool(b)
		return err == nil && on
	}
	return false
}

func pick(m map[string]interface{}) interface{} {
	if v, ok := m[bridge.DefaultBridge]; ok {
		return v
	}
	return m["DefaultBridge"]
}
