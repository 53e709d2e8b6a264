package overlay

import (
	"net"

	"github.com/cnmkit/libnetwork/types"
)

// PeerTable is the gossip table where each joined endpoint announces its
// addresses, MAC and the tunnel address of its host.
const PeerTable = "overlay_peer_table"

// Peer record wire format (version 1), all fixed-size fields:
//
//	byte 0      version (1)
//	byte 1      flags: bit 0 IPv4 address present, bit 1 IPv6 address
//	            present, bit 2 the tunnel address is IPv6; other bits zero
//	bytes 2-7   the endpoint's MAC address
//	then        the tunnel address: 4 or 16 bytes
//	then        the IPv4 address (4 bytes) and its prefix length (1 byte), if present
//	then        the IPv6 address (16 bytes) and its prefix length (1 byte), if present
//
// A record has at least one address and no trailing bytes. An incompatible
// change takes a new version number; decoders refuse versions they do not know.
const (
	peerRecordVersion = 1

	flagIPv4     = 1 << 0
	flagIPv6     = 1 << 1
	flagTunnelV6 = 1 << 2
	knownFlags   = flagIPv4 | flagIPv6 | flagTunnelV6
	recordHeader = 2 + 6
)

// PeerRecord is the value an endpoint publishes in PeerTable.
type PeerRecord struct {
	// Addr and AddrV6 are the endpoint's addresses (at least one is set).
	Addr   *net.IPNet
	AddrV6 *net.IPNet
	// MAC is the endpoint's MAC address.
	MAC net.HardwareAddr
	// TunnelIP is the VXLAN tunnel endpoint (VTEP) address of its host.
	TunnelIP net.IP
}

// Encode returns the record in the wire format, or a BadRequestError naming
// the field that cannot be encoded.
func (r *PeerRecord) Encode() ([]byte, error) {
	if len(r.MAC) != 6 {
		return nil, types.BadRequestErrorf("peer record: MAC %q is not a 6-byte Ethernet address", r.MAC)
	}
	if r.Addr == nil && r.AddrV6 == nil {
		return nil, types.BadRequestErrorf("peer record: no address")
	}
	b := make([]byte, recordHeader, recordHeader+16+5+17)
	b[0] = peerRecordVersion
	copy(b[2:8], r.MAC)
	if t4 := r.TunnelIP.To4(); t4 != nil {
		b = append(b, t4...)
	} else if len(r.TunnelIP) == net.IPv6len {
		b[1] |= flagTunnelV6
		b = append(b, r.TunnelIP...)
	} else {
		return nil, types.BadRequestErrorf("peer record: tunnel address %q is not an IP address", r.TunnelIP)
	}
	if r.Addr != nil {
		ip := r.Addr.IP.To4()
		ones, bits := r.Addr.Mask.Size()
		if ip == nil || (bits != 32 && bits != 128) || (bits == 128 && ones < 96) {
			return nil, types.BadRequestErrorf("peer record: %s is not an IPv4 address with prefix", r.Addr)
		}
		if bits == 128 {
			ones -= 96
		}
		b[1] |= flagIPv4
		b = append(b, ip...)
		b = append(b, byte(ones))
	}
	if r.AddrV6 != nil {
		ones, bits := r.AddrV6.Mask.Size()
		if r.AddrV6.IP.To4() != nil || len(r.AddrV6.IP) != net.IPv6len || bits != 128 {
			return nil, types.BadRequestErrorf("peer record: %s is not an IPv6 address with prefix", r.AddrV6)
		}
		b[1] |= flagIPv6
		b = append(b, r.AddrV6.IP...)
		b = append(b, byte(ones))
	}
	return b, nil
}

// DecodePeerRecord parses a record in the wire format. A malformed value is
// a BadRequestError saying what is wrong with it.
func DecodePeerRecord(b []byte) (*PeerRecord, error) {
	if len(b) < recordHeader {
		return nil, types.BadRequestErrorf("peer record of %d bytes is too short", len(b))
	}
	if b[0] != peerRecordVersion {
		return nil, types.BadRequestErrorf("peer record version %d is not supported (want %d)", b[0], peerRecordVersion)
	}
	flags := b[1]
	if flags&^knownFlags != 0 {
		return nil, types.BadRequestErrorf("peer record has unknown flags %#x", flags)
	}
	if flags&(flagIPv4|flagIPv6) == 0 {
		return nil, types.BadRequestErrorf("peer record has no address")
	}
	want := recordHeader + 4
	if flags&flagTunnelV6 != 0 {
		want = recordHeader + 16
	}
	if flags&flagIPv4 != 0 {
		want += 5
	}
	if flags&flagIPv6 != 0 {
		want += 17
	}
	if len(b) != want {
		return nil, types.BadRequestErrorf("peer record of %d bytes has the wrong length for flags %#x (want %d)", len(b), flags, want)
	}
	r := &PeerRecord{MAC: net.HardwareAddr(append([]byte(nil), b[2:8]...))}
	if r.MAC[0]&1 != 0 {
		return nil, types.BadRequestErrorf("peer record MAC %s is a multicast address", r.MAC)
	}
	p := recordHeader
	if flags&flagTunnelV6 != 0 {
		r.TunnelIP = net.IP(append([]byte(nil), b[p:p+16]...))
		p += 16
		if r.TunnelIP.To4() != nil {
			return nil, types.BadRequestErrorf("peer record IPv6 tunnel address %s is an IPv4-mapped address", r.TunnelIP)
		}
	} else {
		r.TunnelIP = net.IP(append([]byte(nil), b[p:p+4]...))
		p += 4
	}
	if !r.TunnelIP.IsGlobalUnicast() && !r.TunnelIP.IsLoopback() {
		return nil, types.BadRequestErrorf("peer record tunnel address %s is not a unicast address", r.TunnelIP)
	}
	if flags&flagIPv4 != 0 {
		if b[p+4] > 32 {
			return nil, types.BadRequestErrorf("peer record IPv4 prefix length %d is out of range", b[p+4])
		}
		r.Addr = &net.IPNet{IP: net.IP(append([]byte(nil), b[p:p+4]...)), Mask: net.CIDRMask(int(b[p+4]), 32)}
		p += 5
	}
	if flags&flagIPv6 != 0 {
		if b[p+16] > 128 {
			return nil, types.BadRequestErrorf("peer record IPv6 prefix length %d is out of range", b[p+16])
		}
		ip := net.IP(append([]byte(nil), b[p:p+16]...))
		if ip.To4() != nil {
			return nil, types.BadRequestErrorf("peer record IPv6 address %s is an IPv4-mapped address", ip)
		}
		r.AddrV6 = &net.IPNet{IP: ip, Mask: net.CIDRMask(int(b[p+16]), 128)}
	}
	return r, nil
}

// equal reports whether two records carry the same data.
func (r *PeerRecord) equal(o *PeerRecord) bool {
	return r.MAC.String() == o.MAC.String() && r.TunnelIP.Equal(o.TunnelIP) &&
		ipNetEqual(r.Addr, o.Addr) && ipNetEqual(r.AddrV6, o.AddrV6)
}

func ipNetEqual(a, b *net.IPNet) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.String() == b.String()
}
