package resolvconf

import (
	"bytes"
	"net/netip"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics and that parse → write → parse
// gives the same Conf, and that writing is then a fixed point.
// Seed corpus: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		c := Parse(data)
		for _, ns := range c.Nameservers {
			if !isIP(ns) {
				t.Fatalf("nameserver %q is not an IP", ns)
			}
		}
		out := c.Bytes()
		c2 := Parse(out)
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip changed the config:\n%#v\n%#v\nfrom %q", c, c2, out)
		}
		if out2 := c2.Bytes(); !bytes.Equal(out, out2) {
			t.Fatalf("write not stable:\n%q\n%q", out, out2)
		}
	})
}

// FuzzFilter checks that FilterResolvDNSWithFallback never panics, never keeps a
// loopback, zoned or (with IPv6 off) IPv6 nameserver, adds only the given
// fallback, and is idempotent.
// Seed corpus: testdata/fuzz/FuzzFilter.
func FuzzFilter(f *testing.F) {
	const fallback = "10.9.0.1"
	f.Fuzz(func(t *testing.T, data []byte, ipv6 bool) {
		got, err := FilterResolvDNSWithFallback(data, ipv6, fallback)
		if err != nil {
			t.Fatal(err)
		}
		c := Parse(got.Content)
		if len(c.Nameservers) == 0 {
			t.Fatalf("no nameserver, not even the fallback: %q", got.Content)
		}
		for _, ns := range c.Nameservers {
			a := netip.MustParseAddr(ns)
			if a.Unmap().IsLoopback() || a.Zone() != "" || !ipv6 && a.Unmap().Is6() {
				t.Fatalf("kept %q from %q", ns, data)
			}
		}
		again, err := FilterResolvDNSWithFallback(got.Content, ipv6, fallback)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Content, again.Content) {
			t.Fatalf("not idempotent:\n%q\n%q", got.Content, again.Content)
		}
	})
}
