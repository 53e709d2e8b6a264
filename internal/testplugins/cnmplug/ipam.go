package main

import (
	"fmt"
	"net"
	"sync"

	"github.com/docker/go-plugins-helpers/ipam"
)

// ipamDriver hands out one pool (-pool, or the one asked for) per
// request and its addresses in order; the gateway request gets .1.
type ipamDriver struct {
	mu sync.Mutex
	// Pools by ID: the addresses in use.
	Pools map[string]map[string]bool
}

func (a *ipamDriver) load() {
	a.Pools = map[string]map[string]bool{}
	loadState(a)
}

func (a *ipamDriver) GetCapabilities() (*ipam.CapabilitiesResponse, error) {
	logCall("GetCapabilities", nil)
	return &ipam.CapabilitiesResponse{RequiresMACAddress: false}, nil
}

func (a *ipamDriver) GetDefaultAddressSpaces() (*ipam.AddressSpacesResponse, error) {
	logCall("GetDefaultAddressSpaces", nil)
	return &ipam.AddressSpacesResponse{LocalDefaultAddressSpace: "cnmplugLocal", GlobalDefaultAddressSpace: "cnmplugGlobal"}, nil
}

func (a *ipamDriver) RequestPool(r *ipam.RequestPoolRequest) (*ipam.RequestPoolResponse, error) {
	logCall("RequestPool", r)
	p := r.Pool
	if p == "" {
		p = *pool
	}
	if r.V6 {
		return nil, fmt.Errorf("no IPv6 pools here")
	}
	_, n, err := net.ParseCIDR(p)
	if err != nil {
		return nil, err
	}
	id := "cnmplug/" + n.String()
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.Pools[id]; ok {
		return nil, fmt.Errorf("pool %s is in use", n)
	}
	a.Pools[id] = map[string]bool{}
	saveState(a)
	return &ipam.RequestPoolResponse{PoolID: id, Pool: n.String()}, nil
}

func (a *ipamDriver) ReleasePool(r *ipam.ReleasePoolRequest) error {
	logCall("ReleasePool", r)
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.Pools[r.PoolID]; !ok {
		return fmt.Errorf("no pool %s", r.PoolID)
	}
	delete(a.Pools, r.PoolID)
	saveState(a)
	return nil
}

func (a *ipamDriver) RequestAddress(r *ipam.RequestAddressRequest) (*ipam.RequestAddressResponse, error) {
	logCall("RequestAddress", r)
	a.mu.Lock()
	defer a.mu.Unlock()
	used, ok := a.Pools[r.PoolID]
	if !ok {
		return nil, fmt.Errorf("no pool %s", r.PoolID)
	}
	_, n, _ := net.ParseCIDR(r.PoolID[len("cnmplug/"):])
	ones, _ := n.Mask.Size()
	pick := func(ip net.IP) (*ipam.RequestAddressResponse, error) {
		if used[ip.String()] {
			return nil, fmt.Errorf("address %s is in use", ip)
		}
		used[ip.String()] = true
		saveState(a)
		return &ipam.RequestAddressResponse{Address: fmt.Sprintf("%s/%d", ip, ones)}, nil
	}
	if r.Address != "" {
		ip := net.ParseIP(r.Address)
		if ip == nil || !n.Contains(ip) {
			return nil, fmt.Errorf("address %q is not in %s", r.Address, n)
		}
		return pick(ip)
	}
	base := n.IP.To4()
	first := 2
	if r.Options["RequestAddressType"] == "com.docker.network.gateway" {
		first = 1
	}
	for i := first; i < 255; i++ {
		ip := net.IPv4(base[0], base[1], base[2], base[3]+byte(i)).To4()
		if n.Contains(ip) && !used[ip.String()] {
			return pick(ip)
		}
	}
	return nil, fmt.Errorf("pool %s is full", n)
}

func (a *ipamDriver) ReleaseAddress(r *ipam.ReleaseAddressRequest) error {
	logCall("ReleaseAddress", r)
	a.mu.Lock()
	defer a.mu.Unlock()
	used, ok := a.Pools[r.PoolID]
	if !ok || !used[r.Address] {
		return fmt.Errorf("address %s of pool %s is not in use", r.Address, r.PoolID)
	}
	delete(used, r.Address)
	saveState(a)
	return nil
}
