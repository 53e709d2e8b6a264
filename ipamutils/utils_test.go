package ipamutils

import (
	"net"
	"testing"
)

func TestInitNetworks(t *testing.T) {
	InitNetworks()
	broad, granular := PredefinedBroadNetworks, PredefinedGranularNetworks
	InitNetworks() // a second call changes nothing
	if &PredefinedBroadNetworks[0] != &broad[0] || &PredefinedGranularNetworks[0] != &granular[0] {
		t.Fatal("a second InitNetworks rebuilt the lists")
	}

	tests := []struct {
		name  string
		list  []*net.IPNet
		count int
		want  map[int]string // index -> CIDR
	}{
		{"broad", broad, 31, map[int]string{0: "172.17.0.0/16", 14: "172.31.0.0/16", 15: "192.168.0.0/20", 16: "192.168.16.0/20", 30: "192.168.240.0/20"}},
		{"granular", granular, 65536, map[int]string{0: "10.0.0.0/24", 1: "10.0.1.0/24", 256: "10.1.0.0/24", 65535: "10.255.255.0/24"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.list) != tc.count {
				t.Fatalf("%d networks, want %d", len(tc.list), tc.count)
			}
			for i, w := range tc.want {
				if got := tc.list[i].String(); got != w {
					t.Errorf("[%d] = %s, want %s", i, got, w)
				}
			}
			seen := map[string]bool{}
			for i, n := range tc.list {
				if len(n.IP) != net.IPv4len {
					t.Fatalf("[%d] %v: IP of %d bytes, want 4", i, n, len(n.IP))
				}
				if seen[n.String()] {
					t.Fatalf("[%d] %v listed twice", i, n)
				}
				seen[n.String()] = true
				if i > 0 {
					prev := tc.list[i-1]
					if prev.Contains(n.IP) || n.Contains(prev.IP) {
						t.Fatalf("[%d] %v overlaps %v", i, n, prev)
					}
				}
			}
		})
	}
}
