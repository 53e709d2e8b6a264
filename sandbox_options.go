package libnetwork

import (
	"net"
	"strings"

	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
)

// containerConfig is the sandbox's configuration from its options. The
// resolution files (hosts, resolv.conf) it names are written by the
// sandbox-DNS layer.
type containerConfig struct {
	hostName             string
	domainName           string
	hostsPath            string
	originHostsPath      string
	resolvConfPath       string
	originResolvConfPath string
	dnsList              []string
	dnsSearchList        []string
	dnsOptionsList       []string
	extraHosts           []extraHost
	useDefaultSandbox    bool
	useExternalKey       bool
	hostsPeers           bool
	generic              map[string]interface{}
	exposedPorts         []types.TransportPort
	portBindings         []types.PortBinding
	parentUpdates        []parentUpdate
}

type extraHost struct {
	name string
	IP   string
}

// OptionHostname function returns an option setter for hostname option to
// be passed to NewSandbox method.
func OptionHostname(name string) SandboxOption {
	return func(sb *sandbox) {
		sb.config.hostName = name
	}
}

// OptionDomainname function returns an option setter for domainname option to
// be passed to NewSandbox method.
func OptionDomainname(name string) SandboxOption {
	return func(sb *sandbox) {
		sb.config.domainName = name
	}
}

// OptionHostsPath function returns an option setter for hostspath option to
// be passed to NewSandbox method. It is where the controller writes the
// container's hosts file (default EXEC-ROOT/files/<sandbox ID>/hosts),
// for the runtime to bind-mount at /etc/hosts.
func OptionHostsPath(path string) SandboxOption {
	return func(sb *sandbox) {
		sb.config.hostsPath = path
	}
}

// OptionOriginHostsPath function returns an option setter for origin hosts file path
// to be passed to NewSandbox method.
func OptionOriginHostsPath(path string) SandboxOption {
	return func(sb *sandbox) {
		sb.config.originHostsPath = path
	}
}

// OptionExtraHost function returns an option setter for extra /etc/hosts options
// which is a name and IP as strings.
func OptionExtraHost(name string, IP string) SandboxOption {
	return func(sb *sandbox) {
		if strings.TrimSpace(name) == "" {
			sb.setOptErr(types.BadRequestErrorf("extra host with IP %q has an empty name", IP))
			return
		}
		if net.ParseIP(IP) == nil {
			sb.setOptErr(types.BadRequestErrorf("extra host %q: invalid IP address %q", name, IP))
			return
		}
		sb.config.extraHosts = append(sb.config.extraHosts, extraHost{name: name, IP: IP})
	}
}

// OptionResolvConfPath function returns an option setter for resolvconfpath option to
// be passed to net container methods. It is where the controller writes the
// container's resolv.conf (default EXEC-ROOT/files/<sandbox ID>/resolv.conf),
// for the runtime to bind-mount at /etc/resolv.conf.
func OptionResolvConfPath(path string) SandboxOption {
	return func(sb *sandbox) {
		sb.config.resolvConfPath = path
	}
}

// OptionOriginResolvConfPath function returns an option setter to set the path to the
// origin resolv.conf file to be passed to net container methods.
func OptionOriginResolvConfPath(path string) SandboxOption {
	return func(sb *sandbox) {
		sb.config.originResolvConfPath = path
	}
}

// OptionDNS function returns an option setter for dns entry option to
// be passed to container Create method.
func OptionDNS(dns string) SandboxOption {
	return func(sb *sandbox) {
		sb.config.dnsList = append(sb.config.dnsList, dns)
	}
}

// OptionDNSSearch function returns an option setter for dns search entry option to
// be passed to container Create method.
func OptionDNSSearch(search string) SandboxOption {
	return func(sb *sandbox) {
		sb.config.dnsSearchList = append(sb.config.dnsSearchList, search)
	}
}

// OptionDNSOptions function returns an option setter for dns options entry option to
// be passed to container Create method.
func OptionDNSOptions(options string) SandboxOption {
	return func(sb *sandbox) {
		sb.config.dnsOptionsList = append(sb.config.dnsOptionsList, options)
	}
}

// OptionUseDefaultSandbox function returns an option setter for using default sandbox to
// be passed to container Create method.
func OptionUseDefaultSandbox() SandboxOption {
	return func(sb *sandbox) {
		sb.config.useDefaultSandbox = true
	}
}

// OptionUseExternalKey function returns an option setter for using provided namespace
// instead of creating one.
func OptionUseExternalKey() SandboxOption {
	return func(sb *sandbox) {
		sb.config.useExternalKey = true
	}
}

// OptionGeneric function returns an option setter for Generic configuration
// that is not managed by libNetwork but can be used by the Drivers during the call to
// net container creation method. Such a map of key-value pairs is given to
// drivers at Join (and ProgramExternalConnectivity) as their options.
func OptionGeneric(generic map[string]interface{}) SandboxOption {
	return func(sb *sandbox) {
		if sb.config.generic == nil {
			sb.config.generic = make(map[string]interface{}, len(generic))
		}
		for k, v := range generic {
			sb.config.generic[k] = v
		}
	}
}

// OptionExposedPorts function returns an option setter for the container exposed
// ports option to be passed to container Create method.
func OptionExposedPorts(exposedPorts []types.TransportPort) SandboxOption {
	return func(sb *sandbox) {
		if sb.config.generic == nil {
			sb.config.generic = make(map[string]interface{})
		}
		// Defensive copy
		eps := make([]types.TransportPort, len(exposedPorts))
		copy(eps, exposedPorts)
		// Store endpoint label and in generic because driver needs it
		sb.config.exposedPorts = eps
		sb.config.generic[netlabel.ExposedPorts] = eps
	}
}

// OptionPortMapping function returns an option setter for the mapping
// ports option to be passed to container Create method.
func OptionPortMapping(portBindings []types.PortBinding) SandboxOption {
	return func(sb *sandbox) {
		if sb.config.generic == nil {
			sb.config.generic = make(map[string]interface{})
		}
		// Store a copy of the bindings as generic data to pass to the driver
		pbs := make([]types.PortBinding, 0, len(portBindings))
		for _, b := range portBindings {
			pbs = append(pbs, b.GetCopy())
		}
		sb.config.portBindings = pbs
		sb.config.generic[netlabel.PortMap] = pbs
	}
}

func (sb *sandbox) setOptErr(err error) {
	if sb.optErr == nil {
		sb.optErr = err
	}
}

// applySandboxOptions runs options on a scratch sandbox holding cfg and returns the
// resulting configuration, or the first invalid option.
func applySandboxOptions(cfg containerConfig, options ...SandboxOption) (containerConfig, error) {
	if cfg.generic != nil {
		g := make(map[string]interface{}, len(cfg.generic))
		for k, v := range cfg.generic {
			g[k] = v
		}
		cfg.generic = g
	}
	cfg.dnsList = append([]string(nil), cfg.dnsList...)
	cfg.dnsSearchList = append([]string(nil), cfg.dnsSearchList...)
	cfg.dnsOptionsList = append([]string(nil), cfg.dnsOptionsList...)
	cfg.extraHosts = append([]extraHost(nil), cfg.extraHosts...)
	scratch := &sandbox{config: cfg}
	for _, o := range options {
		if o != nil {
			o(scratch)
		}
	}
	if scratch.optErr != nil {
		return containerConfig{}, scratch.optErr
	}
	if scratch.config.useDefaultSandbox && scratch.config.useExternalKey {
		return containerConfig{}, types.BadRequestErrorf("OptionUseDefaultSandbox and OptionUseExternalKey cannot be used together")
	}
	if err := validateDNSConfig(&scratch.config); err != nil {
		return containerConfig{}, err
	}
	return scratch.config, nil
}
