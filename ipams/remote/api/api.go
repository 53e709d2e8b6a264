// Package api holds the wire format of the remote IPAM driver: the request
// and response bodies of Docker's IpamDriver plugin protocol.
package api

import "github.com/cnmkit/libnetwork/ipamapi"

// Response is the part every answer has: Error set means the call failed.
type Response struct {
	Error string
}

// IsSuccess reports whether the answer carries no error.
func (r *Response) IsSuccess() bool { return r.Error == "" }

// GetError returns the error the plugin answered with ("" for none).
func (r *Response) GetError() string { return r.Error }

// GetCapabilityResponse answers IpamDriver.GetCapabilities.
type GetCapabilityResponse struct {
	Response
	RequiresMACAddress bool
}

// ToCapability converts the answer into the IPAM capability.
func (capRes GetCapabilityResponse) ToCapability() *ipamapi.Capability {
	return &ipamapi.Capability{RequiresMACAddress: capRes.RequiresMACAddress}
}

// GetAddressSpacesResponse answers GetDefaultAddressSpaces.
type GetAddressSpacesResponse struct {
	Response
	LocalDefaultAddressSpace  string
	GlobalDefaultAddressSpace string
}

// RequestPoolRequest asks for an address pool (a given one, or any).
type RequestPoolRequest struct {
	AddressSpace string
	Pool         string
	SubPool      string
	Options      map[string]string
	V6           bool
}

// RequestPoolResponse answers RequestPool: the pool's ID and CIDR.
type RequestPoolResponse struct {
	Response
	PoolID string
	Pool   string // CIDR format
	Data   map[string]string
}

// ReleasePoolRequest releases a pool.
type ReleasePoolRequest struct {
	PoolID string
}

// ReleasePoolResponse answers ReleasePool.
type ReleasePoolResponse struct {
	Response
}

// RequestAddressRequest asks for an address of a pool (a given one, or any).
type RequestAddressRequest struct {
	PoolID  string
	Address string
	Options map[string]string
}

// RequestAddressResponse answers RequestAddress: the address in CIDR form.
type RequestAddressResponse struct {
	Response
	Address string // in CIDR format
	Data    map[string]string
}

// ReleaseAddressRequest releases an address.
type ReleaseAddressRequest struct {
	PoolID  string
	Address string
}

// ReleaseAddressResponse answers ReleaseAddress.
type ReleaseAddressResponse struct {
	Response
}
