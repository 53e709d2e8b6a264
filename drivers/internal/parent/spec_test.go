package parent

import (
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		in      string
		link    string
		vid     int
		bad     string // ParseSpec error containing this
		vlanBad string // error kept for a name that does not exist
	}{
		{in: "eth0"},
		{in: "eth0.10", link: "eth0", vid: 10},
		{in: "eth0.4094", link: "eth0", vid: 4094},
		{in: "a.b.1", link: "a.b", vid: 1},
		{in: "eth0.0", vlanBad: "VLAN ID 0 is outside 1-4094"},
		{in: "eth0.4095", vlanBad: "VLAN ID 4095 is outside 1-4094"},
		{in: "eth0.x", vlanBad: `VLAN ID "x" is not a number`},
		{in: "eth0.010", vlanBad: `VLAN ID "010" is not a number`},
		{in: "eth0.", vlanBad: `VLAN ID "" is not a number`},
		{in: ".10", vlanBad: "no link before the VLAN ID"},
		{in: "", bad: "empty link name"},
		{in: "abcdefghijklmnop", bad: `"abcdefghijklmnop": a link name has at most 15 characters`},
		{in: "a/b", bad: "not a valid link name"},
		{in: "a b", bad: "not a valid link name"},
	} {
		sp, err := ParseSpec(tc.in)
		if tc.bad != "" {
			if err == nil || !types.IsBadRequest(err) || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("ParseSpec(%q) = %v, want a BadRequest error with %q", tc.in, err, tc.bad)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", tc.in, err)
			continue
		}
		if sp.Name != tc.in || sp.Link != tc.link || sp.VID != tc.vid {
			t.Errorf("ParseSpec(%q) = %+v, want link %q vid %d", tc.in, sp, tc.link, tc.vid)
		}
		if tc.vlanBad == "" && sp.vlanErr != nil {
			t.Errorf("ParseSpec(%q): unexpected VLAN error %v", tc.in, sp.vlanErr)
		}
		if tc.vlanBad != "" && (sp.vlanErr == nil || !types.IsBadRequest(sp.vlanErr) || !strings.Contains(sp.vlanErr.Error(), tc.vlanBad) ||
			!strings.Contains(sp.vlanErr.Error(), tc.in)) {
			t.Errorf("ParseSpec(%q): VLAN error %v, want one naming it with %q", tc.in, sp.vlanErr, tc.vlanBad)
		}
	}
}

func TestDummyName(t *testing.T) {
	if got := DummyName("0123456789abcdef"); got != "cnm-dm-01234567" || len(got) > maxNameLen {
		t.Errorf("DummyName = %q", got)
	}
	if got := DummyName("ab"); got != "cnm-dm-ab" {
		t.Errorf("DummyName = %q", got)
	}
}

func subnets(t *testing.T, ss ...string) []*net.IPNet {
	var out []*net.IPNet
	for _, s := range ss {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func TestEntryCheck(t *testing.T) {
	e := &entry{claims: []Claim{{Driver: "macvlan", NetworkID: "n1", Mode: "bridge", Subnets: subnets(t, "10.1.0.0/24", "fd00:1::/64")}}}
	for _, tc := range []struct {
		name string
		c    Claim
		want []string // substrings of the error; nil: accepted
	}{
		{"other subnet", Claim{Driver: "macvlan", NetworkID: "n2", Mode: "bridge", Subnets: subnets(t, "10.2.0.0/24")}, nil},
		{"other subnet v6", Claim{Driver: "macvlan", NetworkID: "n2", Mode: "bridge", Subnets: subnets(t, "fd00:2::/64")}, nil},
		{"same subnet", Claim{Driver: "macvlan", NetworkID: "n2", Mode: "bridge", Subnets: subnets(t, "10.1.0.0/24")},
			[]string{"subnet 10.1.0.0/24 of network n2 overlaps subnet 10.1.0.0/24", "n1"}},
		{"inner subnet", Claim{Driver: "macvlan", NetworkID: "n2", Mode: "bridge", Subnets: subnets(t, "10.1.0.128/25")},
			[]string{"overlaps", "n1", "n2"}},
		{"outer v6 subnet", Claim{Driver: "macvlan", NetworkID: "n2", Mode: "bridge", Subnets: subnets(t, "fd00::/16")},
			[]string{"overlaps", "fd00:1::/64"}},
		{"other mode", Claim{Driver: "macvlan", NetworkID: "n2", Mode: "private", Subnets: subnets(t, "10.2.0.0/24")},
			[]string{"macvlan network n1 in mode bridge", "network n2 in mode private"}},
		{"other driver", Claim{Driver: "ipvlan", NetworkID: "n2", Mode: "l2", Subnets: subnets(t, "10.2.0.0/24")},
			[]string{"macvlan network n1 (mode bridge)", "ipvlan network n2 (mode l2)"}},
		{"same network", Claim{Driver: "macvlan", NetworkID: "n1", Mode: "bridge"}, []string{"n1 already claims"}},
	} {
		err := e.check("par0", tc.c)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !types.IsConflict(err) {
			t.Errorf("%s: %v, want a Conflict error", tc.name, err)
			continue
		}
		for _, w := range append(tc.want, "parent par0") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.name, err, w)
			}
		}
	}
}
