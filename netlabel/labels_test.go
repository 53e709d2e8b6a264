package netlabel

import "testing"

func TestKVLabels(t *testing.T) {
	// The names libnetwork built: a driver or daemon written for it looks
	// its stores up under exactly these keys.
	cases := []struct{ got, want string }{
		{GlobalKVProvider, "com.docker.network.driver.privateglobalkv_provider"},
		{GlobalKVProviderURL, "com.docker.network.driver.privateglobalkv_provider_url"},
		{GlobalKVProviderConfig, "com.docker.network.driver.privateglobalkv_provider_config"},
		{GlobalKVClient, "com.docker.network.driver.privateglobalkv_client"},
		{LocalKVProvider, "com.docker.network.driver.privatelocalkv_provider"},
		{LocalKVProviderURL, "com.docker.network.driver.privatelocalkv_provider_url"},
		{LocalKVProviderConfig, "com.docker.network.driver.privatelocalkv_provider_config"},
		{LocalKVClient, "com.docker.network.driver.privatelocalkv_client"},
		{MakeKVClient("swarm"), "com.docker.network.driver.privateswarmkv_client"},
		{MakeKVProvider("swarm"), "com.docker.network.driver.privateswarmkv_provider"},
		{MakeKVProviderURL("swarm"), "com.docker.network.driver.privateswarmkv_provider_url"},
		{MakeKVProviderConfig("swarm"), "com.docker.network.driver.privateswarmkv_provider_config"},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("label %q, want %q", c.got, c.want)
		}
		if seen[c.got] {
			t.Errorf("label %q used twice", c.got)
		}
		seen[c.got] = true
	}
}

func TestKeyValue(t *testing.T) {
	cases := []struct{ label, key, value string }{
		{"com.docker.network.driver.mtu=1450", DriverMTU, "1450"},
		{"a=b=c", "a", "b=c"},
		{"novalue", "novalue", ""},
		{"=v", "", "v"},
	}
	for _, c := range cases {
		k, v := KeyValue(c.label)
		if k != c.key || v != c.value || Key(c.label) != c.key || Value(c.label) != c.value {
			t.Errorf("%q split as %q %q (Key %q, Value %q)", c.label, k, v, Key(c.label), Value(c.label))
		}
	}
}
