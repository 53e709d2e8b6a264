package ipam

import (
	"fmt"
	"net/netip"
)

// Address spaces of the default allocator.
const (
	// LocalDefaultAddressSpace is the address space of local-scope networks.
	LocalDefaultAddressSpace = "LocalDefault"
	// GlobalDefaultAddressSpace is the address space of global-scope networks.
	GlobalDefaultAddressSpace = "GlobalDefault"
)

// defaultLocal: 172.17.0.0/16 … 172.31.0.0/16, then the /20s of 192.168.0.0/16.
func defaultLocal() []predefined {
	var pre []predefined
	for i := 17; i <= 31; i++ {
		pre = append(pre, predefined{base: netip.MustParsePrefix(fmt.Sprintf("172.%d.0.0/16", i)), bits: 16})
	}
	return append(pre, predefined{base: netip.MustParsePrefix("192.168.0.0/16"), bits: 20})
}

// defaultGlobal: the /24s of 10.0.0.0/8.
func defaultGlobal() []predefined {
	return []predefined{{base: netip.MustParsePrefix("10.0.0.0/8"), bits: 24}}
}
