package server

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/types"
)

var (
	nameRe  = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	labelRe = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$`)
)

// checkName checks the name of an object or driver: the library's rule
// (config.IsValidName), with a message naming the field.
func checkName(field, v string) error {
	switch {
	case v == "":
		return badField(field, "required")
	case len(v) > config.MaxNameLen:
		return badField(field, "%q is longer than %d characters", v, config.MaxNameLen)
	case !config.IsValidName(v):
		return badField(field, "invalid name %q: use letters, digits, '_', '.' and '-', starting with a letter or digit", v)
	}
	return nil
}

// maxID bounds an explicit object ID (generated IDs are 64 hex digits).
const maxID = 64

// checkID checks an explicit object ID: letters, digits, '_', '.' and
// '-', starting with a letter or digit.
func checkID(field, v string) error {
	switch {
	case len(v) > maxID:
		return badField(field, "%q is longer than %d characters", v, maxID)
	case !nameRe.MatchString(v):
		return badField(field, "invalid ID %q: use letters, digits, '_', '.' and '-', starting with a letter or digit", v)
	}
	return nil
}

// checkHostname checks one DNS label (a host name).
func checkHostname(field, v string) error {
	if len(v) > 63 || !labelRe.MatchString(v) {
		return badField(field, "invalid host name %q: want up to 63 letters, digits and '-', not starting or ending with '-'", v)
	}
	return nil
}

// checkDomain checks a DNS name of one or more labels.
func checkDomain(field, v string) error {
	d := strings.TrimSuffix(v, ".")
	if d == "" || len(d) > 253 {
		return badField(field, "invalid domain name %q", v)
	}
	for _, l := range strings.Split(d, ".") {
		if len(l) > 63 || !labelRe.MatchString(l) {
			return badField(field, "invalid domain name %q", v)
		}
	}
	return nil
}

func checkMapKeys(field string, m map[string]string) error {
	for k := range m {
		if strings.TrimSpace(k) == "" || strings.ContainsAny(k, " \t\n=") {
			return badField(field, "invalid key %q", k)
		}
	}
	return nil
}

// parseSubnet parses a network address in CIDR form.
func parseSubnet(field, v string) (*net.IPNet, error) {
	if v == "" {
		return nil, badField(field, "required")
	}
	ip, n, err := net.ParseCIDR(v)
	if err != nil {
		return nil, badField(field, "invalid CIDR %q", v)
	}
	if !ip.Equal(n.IP) {
		return nil, badField(field, "%q is not a network address (did you mean %s?)", v, n)
	}
	return n, nil
}

func isV4(ip net.IP) bool { return ip.To4() != nil }

// ipamConfigs checks a network's pools and returns them by IP version.
func ipamConfigs(req *api.NetworkCreate) (v4, v6 []*ipamConf, err error) {
	var seen []*net.IPNet
	var confs []*ipamConf
	for i, c := range req.IPAM {
		f := fmt.Sprintf("ipam[%d]", i)
		sub, err := parseSubnet(f+".subnet", c.Subnet)
		if err != nil {
			return nil, nil, err
		}
		if !isV4(sub.IP) && !req.IPv6 {
			return nil, nil, badField(f+".subnet", "IPv6 subnet %s needs \"ipv6\": true", sub)
		}
		for j, o := range seen {
			if o.Contains(sub.IP) || sub.Contains(o.IP) {
				return nil, nil, badField(f+".subnet", "%s overlaps ipam[%d].subnet %s", sub, j, o)
			}
		}
		seen = append(seen, sub)
		conf := &ipamConf{PreferredPool: sub.String()}
		if c.Gateway != "" {
			gw := net.ParseIP(c.Gateway)
			switch {
			case gw == nil:
				return nil, nil, badField(f+".gateway", "invalid IP address %q", c.Gateway)
			case isV4(gw) != isV4(sub.IP) || !sub.Contains(gw):
				return nil, nil, badField(f+".gateway", "%s is not in subnet %s", c.Gateway, sub)
			case gw.Equal(sub.IP):
				return nil, nil, badField(f+".gateway", "%s is the subnet's network address", c.Gateway)
			}
			conf.Gateway = gw.String()
		}
		if c.IPRange != "" {
			rng, err := parseSubnet(f+".ip_range", c.IPRange)
			if err != nil {
				return nil, nil, err
			}
			so, _ := sub.Mask.Size()
			ro, _ := rng.Mask.Size()
			if isV4(rng.IP) != isV4(sub.IP) || !sub.Contains(rng.IP) || ro < so {
				return nil, nil, badField(f+".ip_range", "%s is not inside subnet %s", rng, sub)
			}
			conf.SubPool = rng.String()
		}
		if isV4(sub.IP) {
			v4 = append(v4, conf)
		} else {
			v6 = append(v6, conf)
		}
		confs = append(confs, conf)
	}
	if err := auxAddresses(req.AuxAddresses, seen, confs); err != nil {
		return nil, nil, err
	}
	return v4, v6, nil
}

// auxAddresses puts each auxiliary address in the pool (confs, of subnets
// subs) whose subnet contains it.
func auxAddresses(m map[string]string, subs []*net.IPNet, confs []*ipamConf) error {
	if err := checkMapKeys("aux_addresses", m); err != nil {
		return err
	}
	for k, v := range m {
		f := "aux_addresses." + k
		ip := net.ParseIP(v)
		if ip == nil {
			return badField(f, "invalid IP address %q", v)
		}
		i := slices.IndexFunc(subs, func(s *net.IPNet) bool { return isV4(s.IP) == isV4(ip) && s.Contains(ip) })
		switch {
		case len(subs) == 0:
			return badField(f, "%s=%s needs a subnet in ipam", k, v)
		case i < 0:
			return badField(f, "%s=%s is in none of the subnets", k, v)
		case ip.Equal(subs[i].IP):
			return badField(f, "%s is the network address of subnet %s", v, subs[i])
		}
		if confs[i].AuxAddresses == nil {
			confs[i].AuxAddresses = map[string]string{}
		}
		confs[i].AuxAddresses[k] = ip.String()
	}
	return nil
}

// validateNetworkCreate checks a network creation request.
func validateNetworkCreate(req *api.NetworkCreate) (v4, v6 []*ipamConf, err error) {
	if err := checkName("name", req.Name); err != nil {
		return nil, nil, err
	}
	if req.ID != "" {
		if err := checkID("id", req.ID); err != nil {
			return nil, nil, err
		}
	}
	if err := checkName("driver", req.Driver); err != nil {
		return nil, nil, err
	}
	if req.IPAMDriver != "" {
		if err := checkName("ipam_driver", req.IPAMDriver); err != nil {
			return nil, nil, err
		}
	}
	if err := checkMapKeys("options", req.Options); err != nil {
		return nil, nil, err
	}
	if err := checkMapKeys("labels", req.Labels); err != nil {
		return nil, nil, err
	}
	if err := checkMapKeys("ipam_options", req.IPAMOptions); err != nil {
		return nil, nil, err
	}
	return ipamConfigs(req)
}

// parseProto reads a protocol; empty means tcp.
func parseProto(field, v string) (types.Protocol, error) {
	switch strings.ToLower(v) {
	case "", "tcp":
		return types.TCP, nil
	case "udp":
		return types.UDP, nil
	case "sctp":
		return types.SCTP, nil
	}
	return 0, badField(field, "unknown protocol %q: want tcp, udp or sctp", v)
}

func checkPort(field string, p int, zeroOK bool) error {
	if p < 0 || p > 65535 || (p == 0 && !zeroOK) {
		lo := 1
		if zeroOK {
			lo = 0
		}
		return badField(field, "port %d out of range %d-65535", p, lo)
	}
	return nil
}

// endpointPorts checks an endpoint's ports and returns them in the
// controller's form; the ports of the bindings are exposed as well.
func endpointPorts(req *api.EndpointCreate) ([]types.TransportPort, []types.PortBinding, error) {
	var exposed []types.TransportPort
	add := func(tp types.TransportPort) {
		for _, e := range exposed {
			if e == tp {
				return
			}
		}
		exposed = append(exposed, tp)
	}
	for i, p := range req.ExposedPorts {
		f := fmt.Sprintf("exposed_ports[%d]", i)
		proto, err := parseProto(f+".proto", p.Proto)
		if err != nil {
			return nil, nil, err
		}
		if err := checkPort(f+".port", p.Port, false); err != nil {
			return nil, nil, err
		}
		add(types.TransportPort{Proto: proto, Port: uint16(p.Port)})
	}
	var pbs []types.PortBinding
	for i, b := range req.PortBindings {
		f := fmt.Sprintf("port_bindings[%d]", i)
		proto, err := parseProto(f+".proto", b.Proto)
		if err != nil {
			return nil, nil, err
		}
		if err := checkPort(f+".port", b.Port, false); err != nil {
			return nil, nil, err
		}
		if err := checkPort(f+".host_port", b.HostPort, true); err != nil {
			return nil, nil, err
		}
		if err := checkPort(f+".host_port_end", b.HostPortEnd, true); err != nil {
			return nil, nil, err
		}
		if b.HostPortEnd != 0 && (b.HostPort == 0 || b.HostPortEnd < b.HostPort) {
			return nil, nil, badField(f+".host_port_end", "%d does not end a range starting at host_port %d", b.HostPortEnd, b.HostPort)
		}
		pb := types.PortBinding{Proto: proto, Port: uint16(b.Port), HostPort: uint16(b.HostPort), HostPortEnd: uint16(b.HostPortEnd)}
		if b.HostIP != "" {
			if pb.HostIP = net.ParseIP(b.HostIP); pb.HostIP == nil {
				return nil, nil, badField(f+".host_ip", "invalid IP address %q", b.HostIP)
			}
		}
		pbs = append(pbs, pb)
		add(types.TransportPort{Proto: proto, Port: uint16(b.Port)})
	}
	return exposed, pbs, nil
}

// validateEndpointCreate checks an endpoint creation request.
func validateEndpointCreate(req *api.EndpointCreate) (v4, v6 net.IP, err error) {
	if err := checkName("name", req.Name); err != nil {
		return nil, nil, err
	}
	for i, a := range req.Aliases {
		if err := checkDomain(fmt.Sprintf("aliases[%d]", i), a); err != nil {
			return nil, nil, err
		}
	}
	if req.InterfaceName != "" {
		if err := checkIfname("interface_name", req.InterfaceName); err != nil {
			return nil, nil, err
		}
	}
	if req.IPv4Address != "" {
		if v4 = net.ParseIP(req.IPv4Address); v4 == nil || !isV4(v4) {
			return nil, nil, badField("ipv4_address", "invalid IPv4 address %q", req.IPv4Address)
		}
	}
	if req.IPv6Address != "" {
		if v6 = net.ParseIP(req.IPv6Address); v6 == nil || isV4(v6) {
			return nil, nil, badField("ipv6_address", "invalid IPv6 address %q", req.IPv6Address)
		}
	}
	return v4, v6, nil
}

// checkIfname checks a Linux interface name: 1 to 15 bytes, no '/', ':',
// blank or NUL, not "." or "..".
func checkIfname(field, v string) error {
	switch {
	case v == "" || len(v) > 15:
		return badField(field, "interface name %q must be 1 to 15 bytes long", v)
	case v == "." || v == ".." || strings.ContainsAny(v, "/: \t\n\x00"):
		return badField(field, "invalid interface name %q", v)
	}
	return nil
}

// validateSandboxCreate checks a sandbox creation request.
func validateSandboxCreate(req *api.SandboxCreate) error {
	if err := checkName("name", req.Name); err != nil {
		return err
	}
	if req.Key != "" && !strings.HasPrefix(req.Key, "/") {
		return badField("key", "network namespace path %q is not absolute", req.Key)
	}
	if req.Hostname != "" {
		if err := checkHostname("hostname", req.Hostname); err != nil {
			return err
		}
	}
	if req.Domainname != "" {
		if err := checkDomain("domainname", req.Domainname); err != nil {
			return err
		}
	}
	for i, s := range req.DNS {
		if net.ParseIP(s) == nil {
			return badField(fmt.Sprintf("dns[%d]", i), "invalid IP address %q", s)
		}
	}
	for i, s := range req.DNSSearch {
		if err := checkDomain(fmt.Sprintf("dns_search[%d]", i), s); err != nil {
			return err
		}
	}
	for i, s := range req.DNSOptions {
		if s == "" || strings.ContainsAny(s, " \t\n") {
			return badField(fmt.Sprintf("dns_options[%d]", i), "invalid resolver option %q", s)
		}
	}
	for i, s := range req.ExtraHosts {
		f := fmt.Sprintf("extra_hosts[%d]", i)
		name, ip, ok := strings.Cut(s, ":")
		if !ok {
			return badField(f, "invalid extra host %q: want name:ip", s)
		}
		if err := checkDomain(f, name); err != nil {
			return err
		}
		if net.ParseIP(ip) == nil {
			return badField(f, "invalid IP address %q in %q", ip, s)
		}
	}
	return nil
}

// checkRef checks an object reference given in a request body.
func checkRef(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return badField(field, "required")
	}
	return nil
}
