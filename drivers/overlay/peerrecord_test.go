package overlay

import (
	"bytes"
	"net"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func mustCIDR(t testing.TB, s string) *net.IPNet {
	t.Helper()
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	if v4 := ip.To4(); v4 != nil {
		return &net.IPNet{IP: v4, Mask: lastBytes(n.Mask, 4)}
	}
	return &net.IPNet{IP: ip, Mask: n.Mask}
}

func mustMAC(t testing.TB, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPeerRecordRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		rec  PeerRecord
		size int
	}{
		{"v4", PeerRecord{Addr: mustCIDR(t, "10.0.0.5/24"), MAC: mustMAC(t, "02:42:0a:00:00:05"), TunnelIP: net.ParseIP("192.168.1.2")}, 17},
		{"v6 only, v6 tunnel", PeerRecord{AddrV6: mustCIDR(t, "fd00::5/64"), MAC: mustMAC(t, "02:42:00:00:00:05"), TunnelIP: net.ParseIP("fd01::2")}, 8 + 16 + 17},
		{"dual stack", PeerRecord{Addr: mustCIDR(t, "10.0.0.5/16"), AddrV6: mustCIDR(t, "fd00::5/64"), MAC: mustMAC(t, "02:42:0a:00:00:05"), TunnelIP: net.ParseIP("192.168.1.2")}, 8 + 4 + 5 + 17},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.rec.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != c.size {
				t.Errorf("encoded size %d, want %d", len(b), c.size)
			}
			got, err := DecodePeerRecord(b)
			if err != nil {
				t.Fatal(err)
			}
			if !got.equal(&c.rec) {
				t.Errorf("round trip: got %+v, want %+v", got, c.rec)
			}
		})
	}
}

func TestPeerRecordEncodeErrors(t *testing.T) {
	good := func() PeerRecord {
		return PeerRecord{Addr: mustCIDR(t, "10.0.0.5/24"), MAC: mustMAC(t, "02:42:0a:00:00:05"), TunnelIP: net.ParseIP("192.168.1.2")}
	}
	cases := map[string]func(*PeerRecord){
		"short MAC":      func(r *PeerRecord) { r.MAC = r.MAC[:4] },
		"no address":     func(r *PeerRecord) { r.Addr = nil },
		"no tunnel":      func(r *PeerRecord) { r.TunnelIP = nil },
		"v6 in v4 field": func(r *PeerRecord) { r.Addr = mustCIDR(t, "fd00::1/64") },
		"v4 in v6 field": func(r *PeerRecord) { r.AddrV6 = mustCIDR(t, "10.0.0.1/24") },
	}
	for name, mod := range cases {
		r := good()
		mod(&r)
		if _, err := r.Encode(); !types.IsBadRequest(err) {
			t.Errorf("%s: got %v, want a BadRequestError", name, err)
		}
	}
}

func TestDecodePeerRecordMalformed(t *testing.T) {
	valid, err := (&PeerRecord{Addr: mustCIDR(t, "10.0.0.5/24"), MAC: mustMAC(t, "02:42:0a:00:00:05"), TunnelIP: net.ParseIP("192.168.1.2")}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), valid...)) }
	cases := map[string][]byte{
		"nil":              nil,
		"short":            valid[:5],
		"truncated":        valid[:len(valid)-1],
		"trailing":         append(append([]byte(nil), valid...), 0),
		"version 0":        mod(func(b []byte) []byte { b[0] = 0; return b }),
		"version 2":        mod(func(b []byte) []byte { b[0] = 2; return b }),
		"unknown flag":     mod(func(b []byte) []byte { b[1] |= 0x80; return b }),
		"no address flags": mod(func(b []byte) []byte { b[1] = 0; return b[:12] }),
		"multicast MAC":    mod(func(b []byte) []byte { b[2] |= 1; return b }),
		"prefix 33":        mod(func(b []byte) []byte { b[len(b)-1] = 33; return b }),
		"tunnel 0.0.0.0":   mod(func(b []byte) []byte { copy(b[8:12], []byte{0, 0, 0, 0}); return b }),
		"tunnel multicast": mod(func(b []byte) []byte { copy(b[8:12], []byte{224, 0, 0, 1}); return b }),
		"v6 flag, v4 size": mod(func(b []byte) []byte { b[1] = flagIPv6; return b }),
		"text":             []byte("10.0.0.5/24,02:42:0a:00:00:05,192.168.1.2"),
	}
	for name, b := range cases {
		if _, err := DecodePeerRecord(b); !types.IsBadRequest(err) {
			t.Errorf("%s (%x): got %v, want a BadRequestError", name, b, err)
		}
	}
}

// FuzzDecodePeerRecord checks that no input panics and that whatever
// decodes encodes back to the same bytes.
func FuzzDecodePeerRecord(f *testing.F) {
	seed, _ := (&PeerRecord{Addr: &net.IPNet{IP: net.IPv4(10, 0, 0, 5).To4(), Mask: net.CIDRMask(24, 32)},
		MAC: net.HardwareAddr{2, 0x42, 10, 0, 0, 5}, TunnelIP: net.IPv4(192, 168, 1, 2).To4()}).Encode()
	f.Add(seed)
	f.Add([]byte{})
	f.Add([]byte{1, 7, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodePeerRecord(b)
		if err != nil {
			return
		}
		out, err := r.Encode()
		if err != nil {
			t.Fatalf("decoded %x but cannot encode it: %v", b, err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoding %x gave %x", b, out)
		}
	})
}
