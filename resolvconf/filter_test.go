package resolvconf

import (
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func TestFilterResolvDNS(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		ipv6     bool
		fallback []string
		want     string
	}{
		{name: "systemd stub, no fallback", in: "# stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n",
			want: "# stub\noptions edns0 trust-ad\nsearch lan\n"},
		{name: "systemd stub, fallback", in: "nameserver 127.0.0.53\nsearch lan\n", fallback: []string{"10.9.0.1", "10.9.0.2"},
			want: "search lan\nnameserver 10.9.0.1\nnameserver 10.9.0.2\n"},
		{name: "loopbacks dropped", in: "nameserver 127.0.0.1\nnameserver 127.1.2.3\nnameserver ::1\nnameserver ::ffff:127.0.0.1\nnameserver 10.0.0.1\n",
			ipv6: true, fallback: []string{"10.9.0.1"}, want: "nameserver 10.0.0.1\n"},
		{name: "ipv6 off", in: "nameserver fd00::1\nnameserver 10.0.0.1\nnameserver 2001:db8::1\n",
			want: "nameserver 10.0.0.1\n"},
		{name: "ipv6 on", in: "nameserver fd00::1\nnameserver 10.0.0.1\nnameserver 2001:db8::1\n", ipv6: true,
			want: "nameserver fd00::1\nnameserver 10.0.0.1\nnameserver 2001:db8::1\n"},
		{name: "zone dropped", in: "nameserver fe80::1%eth0\nnameserver fd00::1\n", ipv6: true, want: "nameserver fd00::1\n"},
		{name: "mapped ipv4 kept with ipv6 off", in: "nameserver ::ffff:10.0.0.1\n", want: "nameserver ::ffff:10.0.0.1\n"},
		{name: "ipv6 fallback skipped when off", in: "nameserver fd00::1\n", fallback: []string{"fd00::53", "10.9.0.1"},
			want: "nameserver 10.9.0.1\n"},
		{name: "ipv6 fallback used when on", in: "nameserver ::1\n", ipv6: true, fallback: []string{"fd00::53"},
			want: "nameserver fd00::53\n"},
		{name: "nothing left, nothing invented", in: "nameserver 127.0.0.1\n", want: ""},
		{name: "empty file", in: "", want: ""},
		{name: "malformed dropped, rest in order", in: "domain corp\nnameserver bogus\n  nameserver 127.0.0.1\nnameserver 10.0.0.1 # main\noptions ndots:2\n",
			want: "domain corp\n  nameserver 127.0.0.1\nnameserver 10.0.0.1 # main\noptions ndots:2\n"},
		{name: "no final newline", in: "nameserver 10.0.0.1", want: "nameserver 10.0.0.1\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := FilterResolvDNSWithFallback([]byte(tc.in), tc.ipv6, tc.fallback...)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(f.Content))
			assert.Equal(t, HashData([]byte(tc.want)), f.Hash)
		})
	}

	_, err := FilterResolvDNSWithFallback([]byte("nameserver 10.0.0.1\n"), false, "8.8.8")
	assert.True(t, types.IsBadRequest(err), "%v", err)
	if err != nil {
		assert.Contains(t, err.Error(), `"8.8.8"`)
	}
}

func TestForEmbeddedDNS(t *testing.T) {
	c := Parse([]byte("# host\nsearch corp.example\nnameserver 10.0.0.1\nnameserver 127.0.0.11\nnameserver fd00::1\noptions ndots:2 rotate\n"))
	emb, up, err := c.ForEmbeddedDNS("", []string{"ndots:0", "timeout:1", "timeout:3"})
	require.NoError(t, err)
	assert.Equal(t, []string{"10.0.0.1", "fd00::1"}, up)
	assert.Equal(t, "# host\nsearch corp.example\nnameserver 127.0.0.11\noptions ndots:2 rotate timeout:1\n", string(emb.Bytes()))
	// c is not changed.
	assert.Equal(t, []string{"10.0.0.1", "127.0.0.11", "fd00::1"}, c.Nameservers)

	emb, up, err = (&Conf{Nameservers: []string{"10.0.0.1"}}).ForEmbeddedDNS("127.0.0.22", []string{"ndots:0"})
	require.NoError(t, err)
	assert.Equal(t, []string{"10.0.0.1"}, up)
	assert.Equal(t, "nameserver 127.0.0.22\noptions ndots:0\n", string(emb.Bytes()))

	emb, up, err = (&Conf{}).ForEmbeddedDNS("", nil)
	require.NoError(t, err)
	assert.Equal(t, []string(nil), up)
	assert.Equal(t, "nameserver 127.0.0.11\n", string(emb.Bytes()))

	_, _, err = c.ForEmbeddedDNS("127.0.0", nil)
	assert.True(t, types.IsBadRequest(err), "%v", err)
	_, _, err = c.ForEmbeddedDNS("", []string{"ndots"})
	assert.True(t, types.IsBadRequest(err), "%v", err)
}

func TestFilterResolvDNSSeedForm(t *testing.T) {
	cases := []struct {
		in   string
		ipv6 bool
		want string
	}{
		{"nameserver 127.0.0.1\nnameserver 10.0.0.1\nnameserver fd00::1\n", false, "nameserver 10.0.0.1\n"},
		{"nameserver 127.0.0.1\nnameserver 10.0.0.1\nnameserver fd00::1\n", true, "nameserver 10.0.0.1\nnameserver fd00::1\n"},
		{"search lan\nnameserver 127.0.0.53\n", false, "search lan\n"},
	}
	for _, c := range cases {
		f, err := FilterResolvDNS([]byte(c.in), c.ipv6)
		require.NoError(t, err)
		assert.Equal(t, c.want, string(f.Content), "%q ipv6=%v", c.in, c.ipv6)
		assert.Equal(t, HashData(f.Content), f.Hash)
	}
}
