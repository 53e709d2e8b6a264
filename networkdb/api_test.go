package networkdb

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/types"
)

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"empty node id", func(c *Config) { c.NodeID = "" }},
		{"bad port", func(c *Config) { c.BindPort = 70000 }},
		{"tiny packets", func(c *Config) { c.PacketBufferSize = 100 }},
		{"zero gossip", func(c *Config) { c.GossipInterval = 0 }},
		{"zero bulk sync", func(c *Config) { c.BulkSyncInterval = 0 }},
		{"zero reap", func(c *Config) { c.ReapInterval = 0 }},
		{"negative grace", func(c *Config) { c.NodeFailureGrace = -1 }},
		{"zero reconnect", func(c *Config) { c.ReconnectInterval = 0 }},
		{"zero probe", func(c *Config) { c.ProbeInterval = 0 }},
		{"negative batch", func(c *Config) { c.BatchDelay = -1 }},
		{"small chunks", func(c *Config) { c.SyncChunkSize = 10 }},
		{"bad key", func(c *Config) { c.Keys = [][]byte{[]byte("short")} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(c)
			if _, err := New(c); !types.IsBadRequest(err) {
				t.Fatalf("New: %v, want BadRequest", err)
			}
		})
	}
	if _, err := New(nil); !types.IsBadRequest(err) {
		t.Fatalf("New(nil): %v, want BadRequest", err)
	}
}

// TestBadInput proves that bad names, unknown networks and use after Close
// get typed errors and change nothing.
func TestBadInput(t *testing.T) {
	c := newCluster(t, 1, nil)
	n := c.nodes[0]
	const nid, tname = "net1", "endpoints"
	if err := n.JoinNetwork(nid); err != nil {
		t.Fatal(err)
	}
	if err := n.CreateEntry(tname, nid, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	type op struct {
		name  string
		call  func() error
		check func(error) bool
	}
	bad := types.IsBadRequest
	ops := []op{
		{"create empty table", func() error { return n.CreateEntry("", nid, "k2", nil) }, bad},
		{"create empty network", func() error { return n.CreateEntry(tname, "", "k2", nil) }, bad},
		{"create empty key", func() error { return n.CreateEntry(tname, nid, "", nil) }, bad},
		{"update empty key", func() error { return n.UpdateEntry(tname, nid, "", nil) }, bad},
		{"delete empty table", func() error { return n.DeleteEntry("", nid, "k") }, bad},
		{"get empty network", func() error { _, err := n.GetEntry(tname, "", "k"); return err }, bad},
		{"join empty network", func() error { return n.JoinNetwork("") }, bad},
		{"leave empty network", func() error { return n.LeaveNetwork("") }, bad},
		{"walk empty table", func() error { return n.WalkEntries("", func(string, string, []byte, bool) bool { return false }) }, bad},
		{"walk nil func", func() error { return n.WalkEntries(tname, nil) }, bad},
		{"join nobody", func() error { return n.Join(nil) }, bad},
		{"join empty address", func() error { return n.Join([]string{""}) }, bad},
		{"create on unknown network", func() error { return n.CreateEntry(tname, "nope", "k", nil) }, types.IsNotFound},
		{"leave unknown network", func() error { return n.LeaveNetwork("nope") }, types.IsNotFound},
		{"create existing", func() error { return n.CreateEntry(tname, nid, "k", []byte("x")) }, types.IsConflict},
		{"update missing", func() error { return n.UpdateEntry(tname, nid, "missing", nil) }, types.IsNotFound},
		{"delete missing", func() error { return n.DeleteEntry(tname, nid, "missing") }, types.IsNotFound},
		{"get missing", func() error { _, err := n.GetEntry(tname, nid, "missing"); return err }, types.IsNotFound},
	}
	for _, o := range ops {
		if err := o.call(); !o.check(err) {
			t.Errorf("%s: error %v has the wrong class", o.name, err)
		}
	}
	if got := tableOf(n, tname, nid); !equalMaps(got, map[string]string{"k": "v"}) {
		t.Fatalf("bad input changed the table: %v", got)
	}
	var walked []string
	if err := n.WalkEntries(tname, func(nid, key string, v []byte, deleted bool) bool {
		walked = append(walked, nid+"/"+key+"="+string(v))
		return false
	}); err != nil || len(walked) != 1 || walked[0] != "net1/k=v" {
		t.Fatalf("walk: %v %v", walked, err)
	}

	n.Close()
	n.Close() // idempotent
	closed := []op{
		{"create", func() error { return n.CreateEntry(tname, nid, "k3", nil) }, nil},
		{"update", func() error { return n.UpdateEntry(tname, nid, "k", nil) }, nil},
		{"delete", func() error { return n.DeleteEntry(tname, nid, "k") }, nil},
		{"get", func() error { _, err := n.GetEntry(tname, nid, "k"); return err }, nil},
		{"join network", func() error { return n.JoinNetwork("x") }, nil},
		{"leave network", func() error { return n.LeaveNetwork(nid) }, nil},
		{"join", func() error { return n.Join([]string{"127.0.0.1"}) }, nil},
		{"walk", func() error { return n.WalkEntries(tname, func(string, string, []byte, bool) bool { return false }) }, nil},
	}
	for _, o := range closed {
		if err := o.call(); !types.IsNoService(err) {
			t.Errorf("%s after Close: %v, want NoService", o.name, err)
		}
	}
	ch, cancel := n.WatchEvents(tname, nid)
	if _, ok := <-ch; ok {
		t.Fatal("watch after Close delivered an event")
	}
	cancel()
}

// TestMalformedPackets sends garbage and hostile messages to a node's
// gossip port and to its message handler: nothing panics and nothing
// changes.
func TestMalformedPackets(t *testing.T) {
	c := newCluster(t, 2, nil)
	const nid, tname = "net1", "endpoints"
	c.joinAll(nid)
	n := c.nodes[0]
	createAll(t, n, tname, nid, map[string]string{"k": "v"})
	c.waitTable(c.running(), tname, nid, map[string]string{"k": "v"}, 5*time.Second)

	hostile := [][]byte{
		nil,
		{0},
		{wireMagic},
		{wireMagic, 99, 1},           // future version
		{wireMagic, wireVersion, 77}, // unknown type
		{wireMagic, wireVersion, 1, 0xdc, 0xff, 0xff}, // huge array
		{wireMagic, wireVersion, 1, 0x93, 0xa1, 'x'},  // truncated
		[]byte("GET / HTTP/1.1\r\n\r\n"),
		encodeTableEvents(&tableEventsMsg{Sender: "evil", Network: "unjoined", Groups: []wireGroup{{Table: tname, Entries: []wireEntry{{Key: "x", LTime: 5}}}}}),
		encodeTableEvents(&tableEventsMsg{Sender: "evil", Network: nid, Groups: []wireGroup{{Table: "", Entries: []wireEntry{{Key: "x", LTime: 5}}}}}),
		encodeTableEvents(&tableEventsMsg{Sender: "evil", Network: nid, Groups: []wireGroup{{Table: tname, Entries: []wireEntry{{Key: "", LTime: 5}}}}}),
		encodeTableEvents(&tableEventsMsg{Sender: "evil", Network: nid, Groups: []wireGroup{{Table: tname, Entries: []wireEntry{{Key: "k", LTime: 1 << 63, Deleted: true}}}}}),
		encodeTableEvents(&tableEventsMsg{Sender: "", Network: nid, Groups: []wireGroup{{Table: tname, Entries: []wireEntry{{Key: "k", LTime: 999, Deleted: true}}}}}),
		encodeNetEvents(&netEventsMsg{Sender: "evil", Clock: 1 << 63, Records: []netRecord{{Node: "", Network: nid, LTime: 3}}}),
		encodeSyncReq(&syncReqMsg{Sender: "evil", Network: nid, NBuckets: 3, Digests: []uint64{1, 2}}),
		encodeSyncReq(&syncReqMsg{Sender: "evil", Network: nid, NBuckets: 1 << 20}),
		encodeSyncData(&syncDataMsg{Sender: "evil", Network: nid, NBuckets: 4, Want: []uint32{9}}),
		encodeNodeLeave(&nodeLeaveMsg{Sender: ""}),
	}
	for _, b := range hostile {
		n.handleMessage(b)
	}
	if n.clock.Time() >= maxLTime {
		t.Fatalf("clock jumped to %d", n.clock.Time())
	}
	if got := tableOf(n, tname, nid); !equalMaps(got, map[string]string{"k": "v"}) {
		t.Fatalf("hostile messages changed the table: %v", got)
	}

	// The same over the wire: raw UDP and TCP, and memberlist user
	// messages (type 8) carrying them.
	addr := net.JoinHostPort(nodeIP(c.subnet, 0), "7947")
	u, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for _, b := range hostile {
		_, _ = u.Write(b)
		_, _ = u.Write(append([]byte{8}, b...))
	}
	for _, b := range hostile {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = conn.Write(append([]byte{8}, b...))
		conn.Close()
	}

	// The node still works and its table is intact.
	if err := c.nodes[1].CreateEntry(tname, nid, "after", []byte("v")); err != nil {
		t.Fatal(err)
	}
	c.waitTable(c.running(), tname, nid, map[string]string{"k": "v", "after": "v"}, 5*time.Second)
	if len(n.ClusterPeers()) != 2 {
		t.Fatalf("peers: %v", n.ClusterPeers())
	}
}

func TestDiagnosticsHandler(t *testing.T) {
	c := newCluster(t, 2, nil)
	const nid, tname = "net1", "endpoints"
	c.joinAll(nid)
	createAll(t, c.nodes[1], tname, nid, map[string]string{"a": "1", "b": "2"})
	c.waitTable(c.running(), tname, nid, map[string]string{"a": "1", "b": "2"}, 5*time.Second)
	if err := c.nodes[1].DeleteEntry(tname, nid, "b"); err != nil {
		t.Fatal(err)
	}
	c.waitTable(c.running(), tname, nid, map[string]string{"a": "1"}, 5*time.Second)
	h := c.nodes[0].DiagnosticsHandler()

	get := func(q string) *Diagnostics {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/"+q, nil))
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		var d Diagnostics
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		return &d
	}
	d := get("")
	if d.Node != "node-00" || len(d.Peers) != 2 || len(d.Networks) != 1 {
		t.Fatalf("dump: %+v", d)
	}
	netw := d.Networks[0]
	if netw.ID != nid || len(netw.Members) != 2 || len(netw.Entries) != 1 || netw.Entries[0].Key != "a" ||
		string(netw.Entries[0].Value) != "1" || netw.Entries[0].Owner != "node-01" {
		t.Fatalf("network dump: %+v", netw)
	}
	all := get("?all=1&table=" + tname)
	if es := all.Networks[0].Entries; len(es) != 2 || !es[1].Deleted || es[1].ReapIn == "" {
		t.Fatalf("dump with tombstones: %+v", es)
	}
	if none := get("?nid=other"); len(none.Networks) != 0 {
		t.Fatalf("filtered dump: %+v", none)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", rec.Code)
	}
}
