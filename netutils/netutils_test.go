package netutils

import (
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func cidr(t *testing.T, s string) *net.IPNet {
	t.Helper()
	n, err := types.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	return types.GetIPNetCanonical(n)
}

func TestOverlap(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"10.0.0.0/8", "10.1.0.0/16", true},
		{"10.1.0.0/16", "10.0.0.0/8", true},
		{"10.0.0.0/24", "10.0.1.0/24", false},
		{"fd00::/64", "fd00::/48", true},
		{"fd00::/64", "fd01::/64", false},
	}
	for _, c := range cases {
		if got := NetworkOverlaps(cidr(t, c.a), cidr(t, c.b)); got != c.want {
			t.Errorf("NetworkOverlaps(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	err := CheckOverlap(cidr(t, "172.17.0.0/16"), []*net.IPNet{cidr(t, "10.0.0.0/8"), cidr(t, "172.17.5.0/24")})
	if !types.IsForbidden(err) || !strings.Contains(err.Error(), "172.17.5.0/24") {
		t.Fatalf("CheckOverlap = %v, want a Forbidden error naming the other network", err)
	}
	if err := CheckOverlap(cidr(t, "172.18.0.0/16"), []*net.IPNet{cidr(t, "172.17.0.0/16")}); err != nil {
		t.Fatal(err)
	}
}

func TestNetworkRange(t *testing.T) {
	first, last := NetworkRange(cidr(t, "192.168.4.0/22"))
	if first.String() != "192.168.4.0" || last.String() != "192.168.7.255" {
		t.Fatalf("range = %s-%s", first, last)
	}
}

func TestMAC(t *testing.T) {
	hw := GenerateMACFromIP(net.ParseIP("172.17.0.2"))
	if hw.String() != "02:42:ac:11:00:02" {
		t.Fatalf("MAC from IP = %s", hw)
	}
	r := GenerateRandomMAC()
	if r[0]&1 != 0 || r[0]&2 == 0 {
		t.Fatalf("random MAC %s is not locally administered unicast", r)
	}
}

func TestNames(t *testing.T) {
	n, err := GenerateRandomName("veth", 7)
	if err != nil || len(n) != 11 || !strings.HasPrefix(n, "veth") {
		t.Fatalf("GenerateRandomName = %q, %v", n, err)
	}
	if _, err := GenerateRandomName("veth", 0); !types.IsBadRequest(err) {
		t.Fatalf("size 0: %v", err)
	}
	n, err = GenerateRandomNameLen("veth", 15)
	if err != nil || len(n) != 15 || !strings.HasPrefix(n, "veth") {
		t.Fatalf("GenerateRandomNameLen = %q, %v", n, err)
	}
	if _, err := GenerateRandomNameLen("verylongprefix00", 15); !types.IsBadRequest(err) {
		t.Fatalf("long prefix: %v", err)
	}
	for _, bad := range []string{"", "a/b", "has space", "sixteen-chars-xx", "..", "a:b"} {
		if err := ValidateIfaceName(bad); !types.IsBadRequest(err) {
			t.Errorf("ValidateIfaceName(%q) = %v, want BadRequest", bad, err)
		}
	}
	if err := ValidateIfaceName("cnm0"); err != nil {
		t.Fatal(err)
	}
}
