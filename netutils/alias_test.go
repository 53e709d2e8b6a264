package netutils

import (
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func TestParseAlias(t *testing.T) {
	cases := []struct {
		in, name, alias string
		bad             bool
	}{
		{in: "db:database", name: "db", alias: "database"},
		{in: "web", name: "web", alias: "web"},
		{in: "", bad: true},
		{in: "a:b:c", bad: true},
		{in: ":b", bad: true},
		{in: "a:", bad: true},
	}
	for _, c := range cases {
		name, alias, err := ParseAlias(c.in)
		v, verr := ValidateAlias(c.in)
		if v != c.in {
			t.Errorf("ValidateAlias(%q) returned %q", c.in, v)
		}
		if c.bad {
			if !types.IsBadRequest(err) || !types.IsBadRequest(verr) || (c.in != "" && !strings.Contains(err.Error(), c.in)) {
				t.Errorf("ParseAlias(%q) = %v, ValidateAlias = %v; want BadRequest naming it", c.in, err, verr)
			}
			continue
		}
		if err != nil || verr != nil || name != c.name || alias != c.alias {
			t.Errorf("ParseAlias(%q) = %q %q %v (validate %v)", c.in, name, alias, err, verr)
		}
	}
}

func TestReverseIP(t *testing.T) {
	cases := map[string]string{
		"172.17.0.1":     "1.0.17.172",
		"10.0.0.255":     "255.0.0.10",
		"2001:db8::1":    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2",
		"::ffff:1.2.3.4": "4.0.3.0.2.0.1.0.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",
		"not-an-ip":      "",
		"":               "",
	}
	for in, want := range cases {
		if got := ReverseIP(in); got != want {
			t.Errorf("ReverseIP(%q) = %q, want %q", in, got, want)
		}
	}
}
