package ipam

// Address spaces of the default allocator.
const (
	// LocalDefaultAddressSpace is the address space of local-scope networks.
	LocalDefaultAddressSpace = "LocalDefault"
	// GlobalDefaultAddressSpace is the address space of global-scope networks.
	GlobalDefaultAddressSpace = "GlobalDefault"
)
