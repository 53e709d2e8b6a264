package types

import (
	"fmt"
	"net"
)

// Route types of a StaticRoute.
const (
	// NEXTHOP routes through a gateway address.
	NEXTHOP = iota
	// CONNECTED routes straight out of the interface.
	CONNECTED
)

// StaticRoute is a route a driver asks to install in a sandbox.
type StaticRoute struct {
	Destination *net.IPNet
	RouteType   int
	NextHop     net.IP
}

// GetCopy returns a deep copy of r.
func (r *StaticRoute) GetCopy() *StaticRoute {
	return &StaticRoute{Destination: GetIPNetCopy(r.Destination), RouteType: r.RouteType, NextHop: GetIPCopy(r.NextHop)}
}

// InterfaceStatistics are an interface's packet and byte counters.
type InterfaceStatistics struct {
	RxBytes   uint64
	RxPackets uint64
	RxErrors  uint64
	RxDropped uint64
	TxBytes   uint64
	TxPackets uint64
	TxErrors  uint64
	TxDropped uint64
}

// String returns the counters in one line.
func (s *InterfaceStatistics) String() string {
	return fmt.Sprintf("\nRxBytes: %d, RxPackets: %d, RxErrors: %d, RxDropped: %d, TxBytes: %d, TxPackets: %d, TxErrors: %d, TxDropped: %d",
		s.RxBytes, s.RxPackets, s.RxErrors, s.RxDropped, s.TxBytes, s.TxPackets, s.TxErrors, s.TxDropped)
}
