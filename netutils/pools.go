package netutils

import "net"

// broadNetworks are ElectInterfaceAddresses's candidates when the link has
// no IPv4 address: 172.17.0.0/16 … 172.31.0.0/16, then the /20s of
// 192.168.0.0/16, as libnetwork's predefined broad networks.
var broadNetworks = func() []*net.IPNet {
	var list []*net.IPNet
	for i := 17; i <= 31; i++ {
		list = append(list, &net.IPNet{IP: net.IPv4(172, byte(i), 0, 0).To4(), Mask: net.CIDRMask(16, 32)})
	}
	for i := 0; i < 256; i += 16 {
		list = append(list, &net.IPNet{IP: net.IPv4(192, 168, byte(i), 0).To4(), Mask: net.CIDRMask(20, 32)})
	}
	return list
}()
