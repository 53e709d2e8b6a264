package resolvconf

import (
	"fmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Conf
	}{
		{name: "empty", in: "", want: &Conf{}},
		{name: "typical", in: "# Generated\nnameserver 10.0.0.1\nnameserver fd00::1\nsearch a.example b.example\noptions ndots:2 edns0\n",
			want: &Conf{Nameservers: []string{"10.0.0.1", "fd00::1"}, Search: []string{"a.example", "b.example"},
				Options: []string{"ndots:2", "edns0"}, Other: []string{"# Generated"}}},
		{name: "tabs comments crlf", in: "nameserver\t10.0.0.1 # primary\r\nnameserver 10.0.0.2;x\noptions rotate\r\n",
			want: &Conf{Nameservers: []string{"10.0.0.1", "10.0.0.2"}, Options: []string{"rotate"}}},
		{name: "last search wins", in: "search a\ndomain b c\n", want: &Conf{Search: []string{"b"}}},
		{name: "domain then search", in: "domain b\nsearch x y\n", want: &Conf{Search: []string{"x", "y"}}},
		{name: "empty search clears", in: "search a\nsearch \n", want: &Conf{}},
		{name: "options accumulate", in: "options ndots:1\noptions rotate\n", want: &Conf{Options: []string{"ndots:1", "rotate"}}},
		{name: "bad nameserver dropped", in: "nameserver 10.0.0.300\nnameserver\nnameserver 10.0.0.1\n",
			want: &Conf{Nameservers: []string{"10.0.0.1"}, Other: []string{"nameserver"}}},
		{name: "indented keyword is not one", in: "  nameserver 10.0.0.1\nnameservers 10.0.0.2\n",
			want: &Conf{Other: []string{"  nameserver 10.0.0.1", "nameservers 10.0.0.2"}}},
		{name: "other lines kept", in: "sortlist 10.0.0.0/8\n\n; note\nlookup file bind\n",
			want: &Conf{Other: []string{"sortlist 10.0.0.0/8", "; note", "lookup file bind"}}},
		{name: "zone and mapped", in: "nameserver fe80::1%eth0\nnameserver ::ffff:10.0.0.1\n",
			want: &Conf{Nameservers: []string{"fe80::1%eth0", "::ffff:10.0.0.1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Parse([]byte(tc.in)))
		})
	}
}

func TestBytes(t *testing.T) {
	c := &Conf{
		Nameservers: []string{"10.0.0.1", "fd00::1"},
		Search:      []string{"a.example", "b.example"},
		Options:     []string{"ndots:2", "rotate"},
		Other:       []string{"# header", "sortlist 10.0.0.0/8"},
	}
	assert.Equal(t, "# header\nsortlist 10.0.0.0/8\nsearch a.example b.example\nnameserver 10.0.0.1\nnameserver fd00::1\n"+
		"options ndots:2 rotate\n", string(c.Bytes()))
	assert.Equal(t, "", string((&Conf{}).Bytes()))
}

func TestGetters(t *testing.T) {
	in := []byte("nameserver 10.0.0.1\nnameserver fd00::1\nnameserver ::ffff:10.0.0.2\nnameserver fe80::1%eth0\n" +
		"search s.example\noptions ndots:3\n")
	assert.Equal(t, []string{"10.0.0.1", "fd00::1", "::ffff:10.0.0.2", "fe80::1%eth0"}, GetNameservers(in, IP))
	assert.Equal(t, []string{"10.0.0.1", "::ffff:10.0.0.2"}, GetNameservers(in, IPv4))
	assert.Equal(t, []string{"fd00::1", "fe80::1%eth0"}, GetNameservers(in, IPv6))
	assert.Equal(t, []string{"10.0.0.1/32", "fd00::1/128", "::ffff:10.0.0.2/128", "fe80::1/128"}, GetNameserversAsCIDR(in))
	assert.Equal(t, []string{"s.example"}, GetSearchDomains(in))
	assert.Equal(t, []string{"ndots:3"}, GetOptions(in))
	assert.Equal(t, []string(nil), GetNameservers([]byte("# nothing\n"), IP))
}

func TestOverride(t *testing.T) {
	base := Parse([]byte("# host\nsearch host.example\nnameserver 10.0.0.1\noptions ndots:1\n"))
	tests := []struct {
		name                 string
		dns, search, options []string
		want                 string
	}{
		{name: "nothing", want: "# host\nsearch host.example\nnameserver 10.0.0.1\noptions ndots:1\n"},
		{name: "dns", dns: []string{"10.1.0.1", "fd00::53"},
			want: "# host\nsearch host.example\nnameserver 10.1.0.1\nnameserver fd00::53\noptions ndots:1\n"},
		{name: "search", search: []string{"x.example", "y.example."},
			want: "# host\nsearch x.example y.example.\nnameserver 10.0.0.1\noptions ndots:1\n"},
		{name: "no search", search: []string{"."}, want: "# host\nnameserver 10.0.0.1\noptions ndots:1\n"},
		{name: "options", options: []string{"timeout:2", "attempts:3", "rotate"},
			want: "# host\nsearch host.example\nnameserver 10.0.0.1\noptions timeout:2 attempts:3 rotate\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := base.Override(tc.dns, tc.search, tc.options)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got.Bytes()))
		})
	}
	// The original is never changed.
	assert.Equal(t, "# host\nsearch host.example\nnameserver 10.0.0.1\noptions ndots:1\n", string(base.Bytes()))

	bad := []struct {
		dns, search, options []string
		value                string
	}{
		{dns: []string{"10.0.0.1", "dns.example"}, value: "dns.example"},
		{search: []string{"ok.example", "bad_domain!"}, value: "bad_domain!"},
		{options: []string{"ndots:x"}, value: "ndots:x"},
	}
	for _, b := range bad {
		_, err := base.Override(b.dns, b.search, b.options)
		require.Error(t, err)
		assert.True(t, types.IsBadRequest(err), "%v", err)
		assert.Contains(t, err.Error(), fmt.Sprintf("%q", b.value))
	}
}

func TestValidateNameservers(t *testing.T) {
	for _, s := range []string{"10.0.0.1", "fd00::1", "fe80::1%eth0", "::ffff:10.0.0.1", "0.0.0.0"} {
		assert.NoError(t, ValidateNameservers([]string{s}), s)
	}
	for _, s := range []string{"", "10.0.0", "10.0.0.1:53", "[fd00::1]", "dns.example", " 10.0.0.1", "10.0.0.1/32", "010.0.0.1"} {
		err := ValidateNameservers([]string{"10.0.0.9", s})
		assert.True(t, types.IsBadRequest(err), "%q: %v", s, err)
		if err != nil {
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", s))
		}
	}
}

func TestValidateSearchDomains(t *testing.T) {
	good := [][]string{
		nil, {"."}, {"example.com"}, {"example.com."}, {"a-b.c_d.example"}, {"x1"},
		repeat("d.example", MaxSearchDomains),
	}
	for _, s := range good {
		assert.NoError(t, ValidateSearchDomains(s), "%q", s)
	}
	bad := []struct {
		in    []string
		value string
	}{
		{[]string{"ok.example", "."}, `"."`},
		{[]string{"-bad.example"}, `"-bad.example"`},
		{[]string{"a..b"}, `"a..b"`},
		{[]string{"sp ace"}, `"sp ace"`},
		{[]string{""}, `""`},
		{[]string{"10.0.0.1"}, `"10.0.0.1"`},
		{[]string{strings.Repeat("a", 64) + ".example"}, strings.Repeat("a", 64)},
		{repeat("d.example", MaxSearchDomains+1), "too many"},
		{repeat(strings.Repeat("a", 63)+"."+strings.Repeat("b", 63), 20), "too long"},
	}
	for _, b := range bad {
		err := ValidateSearchDomains(b.in)
		assert.True(t, types.IsBadRequest(err), "%q: %v", b.in, err)
		if err != nil {
			assert.Contains(t, err.Error(), b.value)
		}
	}
}

func TestValidateOptions(t *testing.T) {
	for _, o := range []string{"ndots:0", "ndots:15", "ndots:20", "timeout:1", "attempts:5", "rotate", "edns0",
		"single-request-reopen", "use-vc", "trust-ad", "no-aaaa", "debug", "inet6", "no-tld-query"} {
		assert.NoError(t, ValidateOptions([]string{o}), o)
	}
	for _, o := range []string{"", "ndots", "ndots:", "ndots:-1", "ndots:+1", "ndots:1.5", "ndots:99999999999",
		"timeout:x", "rotate:1", "rotat", "ndot:2", "NDOTS:2", "options", "ndots:2 rotate"} {
		err := ValidateOptions([]string{"rotate", o})
		assert.True(t, types.IsBadRequest(err), "%q: %v", o, err)
		if err != nil {
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", o))
		}
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
