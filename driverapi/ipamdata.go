package driverapi

import (
	"encoding/json"
	"fmt"
	"net"

	"github.com/cnmkit/libnetwork/types"
)

// IPAMData is one address pool of a network as the driver sees it.
type IPAMData struct {
	AddressSpace string
	Pool         *net.IPNet
	Gateway      *net.IPNet
	AuxAddresses map[string]*net.IPNet
}

type ipamDataJSON struct {
	AddressSpace string
	Pool         string
	Gateway      string            `json:",omitempty"`
	AuxAddresses map[string]string `json:",omitempty"`
}

// MarshalJSON encodes i with its networks in CIDR form.
func (i *IPAMData) MarshalJSON() ([]byte, error) {
	j := ipamDataJSON{AddressSpace: i.AddressSpace}
	if i.Pool != nil {
		j.Pool = i.Pool.String()
	}
	if i.Gateway != nil {
		j.Gateway = i.Gateway.String()
	}
	if len(i.AuxAddresses) > 0 {
		j.AuxAddresses = make(map[string]string, len(i.AuxAddresses))
		for k, v := range i.AuxAddresses {
			j.AuxAddresses[k] = v.String()
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (i *IPAMData) UnmarshalJSON(data []byte) error {
	var j ipamDataJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return types.BadRequestErrorf("decode IPAM data: %w", err)
	}
	out := IPAMData{AddressSpace: j.AddressSpace}
	var err error
	if j.Pool != "" {
		if out.Pool, err = types.ParseCIDR(j.Pool); err != nil {
			return fmt.Errorf("decode IPAM data pool: %w", err)
		}
	}
	if j.Gateway != "" {
		if out.Gateway, err = types.ParseCIDR(j.Gateway); err != nil {
			return fmt.Errorf("decode IPAM data gateway: %w", err)
		}
	}
	if len(j.AuxAddresses) > 0 {
		out.AuxAddresses = make(map[string]*net.IPNet, len(j.AuxAddresses))
		for k, v := range j.AuxAddresses {
			if out.AuxAddresses[k], err = types.ParseCIDR(v); err != nil {
				return fmt.Errorf("decode IPAM data auxiliary address %q: %w", k, err)
			}
		}
	}
	*i = out
	return nil
}

// IsV6 reports whether the pool is IPv6.
func (i *IPAMData) IsV6() bool { return i.Pool != nil && i.Pool.IP.To4() == nil }

// Validate checks that the gateway and auxiliary addresses are inside the pool.
func (i *IPAMData) Validate() error {
	if i.Pool == nil {
		return types.BadRequestErrorf("IPAM data of address space %q has no pool", i.AddressSpace)
	}
	if i.Gateway != nil && !i.Pool.Contains(i.Gateway.IP) {
		return types.BadRequestErrorf("gateway %s is outside pool %s", i.Gateway, i.Pool)
	}
	for k, a := range i.AuxAddresses {
		if !i.Pool.Contains(a.IP) {
			return types.BadRequestErrorf("auxiliary address %s=%s is outside pool %s", k, a, i.Pool)
		}
	}
	return nil
}

// String shows the address space, pool, gateway and auxiliary addresses.
func (i *IPAMData) String() string {
	return fmt.Sprintf("AddressSpace: %s\nPool: %v\nGateway: %v\nAddresses: %v",
		i.AddressSpace, i.Pool, i.Gateway, i.AuxAddresses)
}
