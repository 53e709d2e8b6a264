// Package ipamutils holds the predefined pools the default IPAM driver
// chooses automatic pools from.
package ipamutils

import (
	"fmt"
	"net"
	"sync"
)

var (
	// PredefinedBroadNetworks are the candidate pools of local-scope
	// networks, in order: 172.17.0.0/16 … 172.31.0.0/16, then the /20s of
	// 192.168.0.0/16. Filled by InitNetworks.
	PredefinedBroadNetworks []*net.IPNet
	// PredefinedGranularNetworks are the candidate pools of global-scope
	// networks, in order: the 65,536 /24s of 10.0.0.0/8. Filled by
	// InitNetworks.
	PredefinedGranularNetworks []*net.IPNet

	initOnce sync.Once
)

// InitNetworks fills PredefinedBroadNetworks and PredefinedGranularNetworks
// once; later calls do nothing.
func InitNetworks() {
	initOnce.Do(func() {
		PredefinedBroadNetworks = broadNetworks()
		PredefinedGranularNetworks = granularNetworks()
	})
}

func broadNetworks() []*net.IPNet {
	out := make([]*net.IPNet, 0, 15+16)
	for i := 17; i <= 31; i++ {
		out = append(out, v4Net(172, byte(i), 0, 16))
	}
	for i := 0; i < 256; i += 16 {
		out = append(out, v4Net(192, 168, byte(i), 20))
	}
	return out
}

func granularNetworks() []*net.IPNet {
	out := make([]*net.IPNet, 0, 1<<16)
	for i := 0; i < 256; i++ {
		for j := 0; j < 256; j++ {
			out = append(out, v4Net(10, byte(i), byte(j), 24))
		}
	}
	return out
}

func v4Net(a, b, c byte, ones int) *net.IPNet {
	n := &net.IPNet{IP: net.IPv4(a, b, c, 0).To4(), Mask: net.CIDRMask(ones, 32)}
	if !n.IP.Mask(n.Mask).Equal(n.IP) {
		panic(fmt.Sprintf("ipamutils: %v is not a network address", n))
	}
	return n
}
