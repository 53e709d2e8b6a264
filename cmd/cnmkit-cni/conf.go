package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"strings"

	"github.com/cnmkit/libnetwork/api"
	"github.com/containernetworking/cni/pkg/types"
)

// defaultSocket is the dnet daemon's API socket with its default exec root.
const defaultSocket = "/run/cnmkit/dnet.sock"

// netConf is the network configuration the runtime gives on stdin.
type netConf struct {
	CNIVersion string `json:"cniVersion"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	// Socket is the daemon's API address (a unix socket path,
	// unix:///path or tcp://host:port); defaultSocket when empty.
	Socket string `json:"socket,omitempty"`
	// Driver is the network driver: bridge, macvlan, ipvlan, overlay or a
	// plugin driver's name.
	Driver   string            `json:"driver"`
	Options  map[string]string `json:"options,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	IPv6     bool              `json:"ipv6,omitempty"`
	Internal bool              `json:"internal,omitempty"`
	IPAM     ipamConf          `json:"ipam,omitempty"`

	Capabilities  map[string]bool `json:"capabilities,omitempty"`
	RuntimeConfig runtimeConfig   `json:"runtimeConfig,omitempty"`
	RawPrev       json.RawMessage `json:"prevResult,omitempty"`

	// ValidAttachments is GC's list of the attachments still in use.
	ValidAttachments []types.GCAttachment `json:"cni.dev/valid-attachments,omitempty"`
}

// ipamConf is the network's IPAM, shaped as Docker's: a driver and pools.
type ipamConf struct {
	Driver string     `json:"driver,omitempty"`
	Config []ipamPool `json:"config,omitempty"`
}

// ipamPool is one address pool.
type ipamPool struct {
	Subnet  string `json:"subnet"`
	Gateway string `json:"gateway,omitempty"`
	IPRange string `json:"ipRange,omitempty"`
}

// runtimeConfig holds the runtime capabilities the plugin uses.
type runtimeConfig struct {
	PortMappings []portMapping `json:"portMappings,omitempty"`
	// Aliases are DNS names of the container, by network name (Podman's
	// "aliases" capability).
	Aliases map[string][]string `json:"aliases,omitempty"`
}

// portMapping is one entry of the portMappings capability.
type portMapping struct {
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
	HostIP        string `json:"hostIP,omitempty"`
}

// parseConf reads and checks the configuration; errors are code 7 and
// name the field.
func parseConf(data []byte) (*netConf, *types.Error) {
	var c netConf
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, cniErr(types.ErrDecodingFailure, "", "decode network configuration: %v", err)
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *netConf) check() *types.Error {
	bad := func(field, format string, a ...interface{}) *types.Error {
		return cniErr(types.ErrInvalidNetworkConfig, field, format, a...)
	}
	if strings.TrimSpace(c.Name) == "" {
		return bad("name", "required")
	}
	if strings.TrimSpace(c.Driver) == "" {
		return bad("driver", "required: the dnet network driver (bridge, macvlan, ipvlan, overlay or a plugin driver)")
	}
	if c.Socket != "" {
		if _, _, err := api.ParseHost(c.Socket); err != nil {
			return bad("socket", "%v", err)
		}
	}
	for i, p := range c.IPAM.Config {
		f := fmt.Sprintf("ipam.config[%d]", i)
		_, sub, err := net.ParseCIDR(p.Subnet)
		if err != nil {
			return bad(f+".subnet", "invalid CIDR %q", p.Subnet)
		}
		if p.Gateway != "" {
			gw := net.ParseIP(p.Gateway)
			if gw == nil || !sub.Contains(gw) {
				return bad(f+".gateway", "%q is not an address of subnet %s", p.Gateway, sub)
			}
		}
		if p.IPRange != "" {
			_, r, err := net.ParseCIDR(p.IPRange)
			if err != nil {
				return bad(f+".ipRange", "invalid CIDR %q", p.IPRange)
			}
			if !sub.Contains(r.IP) {
				return bad(f+".ipRange", "%s is not inside subnet %s", r, sub)
			}
		}
	}
	for i, m := range c.RuntimeConfig.PortMappings {
		f := fmt.Sprintf("runtimeConfig.portMappings[%d]", i)
		if m.ContainerPort < 1 || m.ContainerPort > 65535 {
			return bad(f+".containerPort", "%d is not a port", m.ContainerPort)
		}
		if m.HostPort < 0 || m.HostPort > 65535 {
			return bad(f+".hostPort", "%d is not a port", m.HostPort)
		}
		switch strings.ToLower(m.Protocol) {
		case "", "tcp", "udp", "sctp":
		default:
			return bad(f+".protocol", "unknown protocol %q", m.Protocol)
		}
		if m.HostIP != "" && net.ParseIP(m.HostIP) == nil {
			return bad(f+".hostIP", "invalid IP address %q", m.HostIP)
		}
	}
	return nil
}

// socket is the daemon address to dial.
func (c *netConf) socket() string {
	if c.Socket == "" {
		return defaultSocket
	}
	return c.Socket
}

// networkCreate is the daemon request that creates the network.
func (c *netConf) networkCreate() api.NetworkCreate {
	req := api.NetworkCreate{Name: c.Name, Driver: c.Driver, IPAMDriver: c.IPAM.Driver, IPv6: c.IPv6,
		Internal: c.Internal, Options: c.Options, Labels: map[string]string{cniLabel: "true"}}
	for k, v := range c.Labels {
		req.Labels[k] = v
	}
	for _, p := range c.IPAM.Config {
		req.IPAM = append(req.IPAM, api.IPAMConfig{Subnet: p.Subnet, Gateway: p.Gateway, IPRange: p.IPRange})
	}
	return req
}

// portBindings are the published ports of the portMappings capability.
func (c *netConf) portBindings() []api.PortBinding {
	var out []api.PortBinding
	for _, m := range c.RuntimeConfig.PortMappings {
		proto := strings.ToLower(m.Protocol)
		if proto == "" {
			proto = "tcp"
		}
		out = append(out, api.PortBinding{Proto: proto, Port: m.ContainerPort, HostIP: m.HostIP, HostPort: m.HostPort})
	}
	return out
}

// cniLabel marks the networks the plugin created.
const cniLabel = "cnmkit.cni"

// endpointName is the name of the endpoint of container cid's interface
// ifname: derived, so that every command finds it again.
func endpointName(cid, ifname string) string {
	sum := sha256.Sum256([]byte(cid + "\x00" + ifname))
	return "cni-" + hex.EncodeToString(sum[:12])
}
