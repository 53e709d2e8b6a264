package libnetwork

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/types"
)

// TestAgentBadConfig: a bad cluster configuration is a BadRequest naming
// the value, and nothing is created.
func TestAgentBadConfig(t *testing.T) {
	cases := []struct {
		name string
		cl   config.ClusterCfg
		want string
	}{
		{"bind address", config.ClusterCfg{NodeName: "n", BindAddr: "not-an-ip"}, "not-an-ip"},
		{"advertise address", config.ClusterCfg{NodeName: "n", AdvertiseAddr: "0.0.0.0"}, "0.0.0.0"},
		{"port", config.ClusterCfg{NodeName: "n", BindPort: 70000}, "70000"},
		{"negative port", config.ClusterCfg{NodeName: "n", BindPort: -1}, "-1"},
		{"node name", config.ClusterCfg{NodeName: "a b"}, `"a b"`},
		{"empty peer", config.ClusterCfg{NodeName: "n", Peers: []string{""}}, `""`},
		{"peer port", config.ClusterCfg{NodeName: "n", Peers: []string{"10.0.0.1:99999"}}, "10.0.0.1:99999"},
		{"key", config.ClusterCfg{NodeName: "n", Keys: [][]byte{[]byte("short")}}, "key 0"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := New(config.OptionDataDir(dir), config.OptionExecRoot(t.TempDir()), config.OptionCluster(tt.cl))
			if !types.IsBadRequest(err) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want a BadRequest naming %s, got %v (%s)", tt.want, err, errClass(err))
			}
			if files, _ := os.ReadDir(dir); len(files) != 0 {
				t.Fatalf("files created: %v", files)
			}
		})
	}
}

// TestAgentNoCluster: a network of a global-scope driver needs the
// cluster; without one it is refused and nothing is left behind.
func TestAgentNoCluster(t *testing.T) {
	e := newTestEnv(t)
	before := e.snapshot(t)
	_, err := e.c.NewNetwork(gossipType, "gnet", "", NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.60.0.0/24"}}, nil, nil))
	if !types.IsNoService(err) || !strings.Contains(err.Error(), "gnet") || !strings.Contains(err.Error(), gossipType) {
		t.Fatalf("want a NoService error naming network and driver, got %v", err)
	}
	sameSnapshot(t, "refused global network", before, e.snapshot(t))
	rec := httptest.NewRecorder()
	e.c.DiagnosticsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("diagnostics without a cluster: %d", rec.Code)
	}
	if err := e.c.ReloadConfiguration(config.OptionCluster(config.ClusterCfg{NodeName: "late"})); !types.IsForbidden(err) {
		t.Fatalf("starting the agent on reload: %v", err)
	}
}

// TestAgentReload: peers and keys of a running agent may change; its name
// and addresses may not. The diagnostics handler serves the node's state.
func TestAgentReload(t *testing.T) {
	tc := newTestCluster(t)
	tc.add("a")
	a := tc.start("a")
	cur := a.c.Config().Cluster
	next := cur
	next.NodeName = "other"
	if err := a.c.ReloadConfiguration(config.OptionCluster(next)); !types.IsForbidden(err) {
		t.Fatalf("renaming the node: %v", err)
	}
	next = cur
	next.Keys = [][]byte{bytes.Repeat([]byte{1}, 16)}
	if err := a.c.ReloadConfiguration(config.OptionCluster(next)); !types.IsForbidden(err) {
		t.Fatalf("turning encryption on: %v", err)
	}
	next = cur
	next.Peers = []string{"127.0.0.9"}
	check(t, a.c.ReloadConfiguration(config.OptionCluster(next)))
	if got := a.c.agent.getPeers(); len(got) != 1 || got[0] != "127.0.0.9" {
		t.Fatalf("peers after reload: %v", got)
	}
	if got := a.c.Config().Cluster.Peers; len(got) != 1 {
		t.Fatalf("configured peers after reload: %v", got)
	}

	rec := httptest.NewRecorder()
	a.c.DiagnosticsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	var diag struct{ Node string }
	if err := json.Unmarshal(rec.Body.Bytes(), &diag); rec.Code != http.StatusOK || err != nil || diag.Node != "a" {
		t.Fatalf("diagnostics: %d %v %s", rec.Code, err, rec.Body)
	}
}

// TestAgentMalformedValues: values from the gossip layer that do not parse
// are dropped with a log line; a driver that panics on a value loses that
// event only; what follows is delivered.
func TestAgentMalformedValues(t *testing.T) {
	tc := newTestCluster(t)
	tc.add("a")
	tc.add("b", "a")
	a, b := tc.start("a"), tc.start("b")
	tc.waitPeers(2)
	na := tc.gossipNetwork(a, "gnet", gnetID)
	tc.gossipNetwork(b, "gnet", gnetID)
	_, sa := joined(t, a.c, na, "ep", "ca")
	a.driver().mu.Lock()
	a.driver().panicKey = "boom"
	a.driver().mu.Unlock()

	good := endpointRecord{NetworkID: gnetID, Host: "b", Name: "good", IP: net.IPv4(10, 60, 9, 9)}
	other := good
	other.NetworkID, other.Name = "another-network", "misrouted"
	writes := []struct{ table, key, value string }{
		{endpointTable, "garbage", "\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"},
		{endpointTable, "empty", ""},
		{endpointTable, "future", "\x07future format"},
		{endpointTable, "misrouted", string(other.encode())},
		{gossipTable, "boom", "x"},
		{endpointTable, "goodeid", string(good.encode())},
		{gossipTable, "after", "y"},
	}
	for _, w := range writes {
		check(t, b.c.agent.db.CreateEntry(w.table, gnetID, w.key, []byte(w.value)))
	}
	eventually(t, "a gets what follows the bad values", func() bool {
		ips, _ := sa.ResolveName("good", net.IPv4len)
		return a.driver().state(t, gnetID)["after"] == "y" && len(ips) == 1
	})
	n := must(a.c.NetworkByID(gnetID))(t).(*network)
	for _, r := range n.svcRecords() {
		if r.EID != "goodeid" && r.Source != "" {
			t.Errorf("record of a bad value: %+v", r)
		}
	}
	if ev := a.driver().eventsOf("boom"); len(ev) != 0 {
		t.Fatalf("panicking event recorded: %v", ev)
	}
}

func TestEndpointRecordCodec(t *testing.T) {
	r := endpointRecord{NetworkID: "nid", Host: "host-1", Name: "web", Aliases: []string{"www", "WEB", "api"},
		IP: net.IPv4(10, 0, 0, 2), IP6: net.ParseIP("fd00::2")}
	b := r.encode()
	got, err := decodeEndpointRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.NetworkID != r.NetworkID || got.Host != r.Host || got.Name != r.Name || !got.IP.Equal(r.IP) || !got.IP6.Equal(r.IP6) ||
		strings.Join(got.Aliases, ",") != "www,WEB,api" {
		t.Fatalf("round trip: %+v", got)
	}
	if n := strings.Join(got.names(), ","); n != "web,www,api" {
		t.Fatalf("names: %s", n)
	}
	// Fields appended within version 1 are ignored.
	if _, err := decodeEndpointRecord(append(append([]byte{}, b...), 9, 9, 9)); err != nil {
		t.Fatalf("trailing bytes: %v", err)
	}
	// Every truncation is malformed, never a panic.
	for i := 0; i < len(b); i++ {
		if _, err := decodeEndpointRecord(b[:i]); !types.IsBadRequest(err) {
			t.Fatalf("truncated at %d: %v", i, err)
		}
	}
	bad := map[string]endpointRecord{
		"no address":  {NetworkID: "n", Host: "h", Name: "x"},
		"no name":     {NetworkID: "n", Host: "h", IP: net.IPv4(1, 2, 3, 4)},
		"no host":     {NetworkID: "n", Name: "x", IP: net.IPv4(1, 2, 3, 4)},
		"no network":  {Host: "h", Name: "x", IP: net.IPv4(1, 2, 3, 4)},
		"blank name":  {NetworkID: "n", Host: "h", Name: "a b", IP: net.IPv4(1, 2, 3, 4)},
		"empty alias": {NetworkID: "n", Host: "h", Name: "x", Aliases: []string{""}, IP: net.IPv4(1, 2, 3, 4)},
		"long name":   {NetworkID: "n", Host: "h", Name: strings.Repeat("x", 256), IP: net.IPv4(1, 2, 3, 4)},
	}
	for what, r := range bad {
		if _, err := decodeEndpointRecord(r.encode()); !types.IsBadRequest(err) {
			t.Errorf("%s: %v", what, err)
		}
	}
	many := endpointRecord{NetworkID: "n", Host: "h", Name: "x", IP: net.IPv4(1, 2, 3, 4)}
	for i := 0; i <= maxRecordAliases; i++ {
		many.Aliases = append(many.Aliases, "a")
	}
	if _, err := decodeEndpointRecord(many.encode()); !types.IsBadRequest(err) {
		t.Errorf("too many aliases: %v", err)
	}
	for what, v := range map[string][]byte{
		"version":  {2, 1, 'n'},
		"ipv4 len": append(bytes.Clone(b[:len(b)-1-16-1-4]), 5, 1, 2, 3, 4, 5, 0),
		"huge":     append([]byte{1}, make([]byte, maxRecordValue)...),
	} {
		if _, err := decodeEndpointRecord(v); !types.IsBadRequest(err) {
			t.Errorf("%s: %v", what, err)
		}
	}
}

func FuzzDecodeEndpointRecord(f *testing.F) {
	r := endpointRecord{NetworkID: "nid", Host: "h", Name: "web", Aliases: []string{"www"}, IP: net.IPv4(10, 0, 0, 2)}
	f.Add(r.encode())
	f.Add([]byte{1, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeEndpointRecord(b)
		if err != nil {
			if !types.IsBadRequest(err) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		again, err := decodeEndpointRecord(got.encode())
		if err != nil || again.Name != got.Name || again.Host != got.Host || len(again.Aliases) != len(got.Aliases) {
			t.Fatalf("re-encode: %+v %v", again, err)
		}
	})
}

// TestAgentKeys: hosts with the same keys form an encrypted cluster, a host
// with another key cannot join it, and the keys rotate on reload.
func TestAgentKeys(t *testing.T) {
	k1, k2, k3 := bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 16)
	tc := newTestCluster(t)
	tc.add("a").keys = [][]byte{k1}
	tc.add("b", "a").keys = [][]byte{k1}
	tc.add("c", "a").keys = [][]byte{k3}
	a, b := tc.start("a"), tc.start("b")
	tc.waitPeers(2)
	na, nb := tc.gossipNetwork(a, "gnet", gnetID), tc.gossipNetwork(b, "gnet", gnetID)
	c := tc.start("c")
	if err := c.c.agent.db.Join([]string{a.addr}); err == nil {
		t.Fatal("a host with another key joined")
	}
	tc.stop("c")

	if got := strings.Join(a.driver().takeKeyEvents(), "; "); got != "config [1]" {
		t.Errorf("driver key events at start: %s", got)
	}
	// A driver that refuses the removal: the reload fails, the driver
	// gets its keys back and the gossip keyring is untouched.
	a.driver().mu.Lock()
	a.driver().refusePrune = true
	a.driver().mu.Unlock()
	cl := a.c.Config().Cluster
	cl.Keys = [][]byte{k2}
	if err := a.c.ReloadConfiguration(config.OptionCluster(cl)); !types.IsForbidden(err) {
		t.Fatalf("reload refused by the driver: %v, want its ForbiddenError", err)
	}
	if got := strings.Join(a.driver().takeKeyEvents(), "; "); got != "update key [2] primary [] prune []; update key [] primary [2] prune []; config [1]" {
		t.Errorf("driver key events of the refused reload: %s", got)
	}
	if got := a.c.Config().Cluster.Keys; len(got) != 1 || !bytes.Equal(got[0], k1) {
		t.Errorf("configured keys after the refused reload: %v", got)
	}
	a.driver().mu.Lock()
	a.driver().refusePrune = false
	a.driver().mu.Unlock()

	// Rotate: add k2 everywhere, make it primary, drop k1.
	for _, keys := range [][][]byte{{k1, k2}, {k2, k1}, {k2}} {
		for _, n := range []*clusterNode{a, b} {
			cl := n.c.Config().Cluster
			cl.Keys = keys
			check(t, n.c.ReloadConfiguration(config.OptionCluster(cl)))
		}
	}
	if got := strings.Join(a.driver().takeKeyEvents(), "; "); got != "update key [2] primary [] prune []; update key [] primary [2] prune []; update key [] primary [] prune [1]" {
		t.Errorf("driver key events of the rotation: %s", got)
	}
	ep, _ := joined(t, a.c, na, "ep", "ca")
	_, sb := joined(t, b.c, nb, "bep", "cb")
	eventually(t, "b hears of ep after the rotation", func() bool {
		ips, _ := sb.ResolveName("ep", net.IPv4len)
		return b.driver().state(t, gnetID)[ep.ID()] == gossipValue(ep, gnetID) && len(ips) == 1
	})
}

// TestAgentBind: a gossip port in use is a Conflict, a bind address that is
// not the host's a BadRequest naming it.
func TestAgentBind(t *testing.T) {
	tc := newTestCluster(t)
	tc.add("a")
	tc.start("a")
	for _, tt := range []struct {
		addr  string
		class func(error) bool
	}{
		{"127.0.0.1", types.IsConflict},
		{"192.0.2.77", types.IsBadRequest},
	} {
		_, err := New(config.OptionDataDir(t.TempDir()), config.OptionExecRoot(t.TempDir()),
			config.OptionCluster(config.ClusterCfg{NodeName: "x", BindAddr: tt.addr}))
		if !tt.class(err) || !strings.Contains(err.Error(), tt.addr) {
			t.Errorf("bind %s: %v (%s)", tt.addr, err, errClass(err))
		}
	}
}
