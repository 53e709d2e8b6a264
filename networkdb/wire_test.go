package networkdb

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleMessages() map[string][]byte {
	groups := []wireGroup{
		{Table: "endpoints", Entries: []wireEntry{
			{Key: "a", LTime: 1, Value: []byte("v")},
			{Key: "b", Owner: "node-2", LTime: 1 << 40, Deleted: true, TTL: 90 * time.Second},
		}},
		{Table: "services", Entries: []wireEntry{{Key: "c", LTime: 7, Value: bytes.Repeat([]byte{0xff}, 300)}}},
	}
	return map[string][]byte{
		"tableEvents":      encodeTableEvents(&tableEventsMsg{Sender: "node-1", Network: "net1", Groups: groups}),
		"tableEventsEmpty": encodeTableEvents(&tableEventsMsg{Sender: "node-1", Network: "net1"}),
		"netEvents": encodeNetEvents(&netEventsMsg{Sender: "node-1", Clock: 12, Records: []netRecord{
			{Node: "node-1", Network: "net1", LTime: 3}, {Node: "node-2", Network: "net2", LTime: 9, Leaving: true}}}),
		"syncReq":       encodeSyncReq(&syncReqMsg{Sender: "node-1", Network: "net1", Clock: 5, NBuckets: 4, Digests: []uint64{0, 1, 1 << 63, 42}}),
		"syncReqFull":   encodeSyncReq(&syncReqMsg{Sender: "node-1", Network: "net1", Clock: 5, Full: true}),
		"syncReqForced": encodeSyncReq(&syncReqMsg{Sender: "node-1", Network: "net1", Clock: 5, Forced: true, NBuckets: 1, Digests: []uint64{7}}),
		"syncData":      encodeSyncData(&syncDataMsg{Sender: "node-1", Network: "net1", Clock: 5, NBuckets: 4, Want: []uint32{0, 3}, Groups: groups}),
		"nodeLeave":     encodeNodeLeave(&nodeLeaveMsg{Sender: "node-1", LTime: 77}),
	}
}

func TestWireRoundTrip(t *testing.T) {
	for name, b := range sampleMessages() {
		t.Run(name, func(t *testing.T) {
			m, err := decodeMessage(b)
			if err != nil {
				t.Fatal(err)
			}
			again, err := decodeMessage(reencode(t, m))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, again) {
				t.Fatalf("round trip:\n%#v\n%#v", m, again)
			}
		})
	}
	m, _ := decodeMessage(sampleMessages()["tableEvents"])
	te := m.(*tableEventsMsg)
	if e := te.Groups[0].Entries[1]; e.Owner != "node-2" || !e.Deleted || e.TTL != 90*time.Second || e.LTime != 1<<40 {
		t.Fatalf("entry fields: %+v", e)
	}
}

func reencode(t testing.TB, m any) []byte {
	switch m := m.(type) {
	case *tableEventsMsg:
		return encodeTableEvents(m)
	case *netEventsMsg:
		return encodeNetEvents(m)
	case *syncReqMsg:
		return encodeSyncReq(m)
	case *syncDataMsg:
		return encodeSyncData(m)
	case *nodeLeaveMsg:
		return encodeNodeLeave(m)
	}
	t.Fatalf("unknown message %T", m)
	return nil
}

func TestWireRejects(t *testing.T) {
	good := sampleMessages()["tableEvents"]
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "not a networkdb"},
		{"foreign", []byte("hello"), "not a networkdb"},
		{"newer version", append([]byte{wireMagic, 2}, good[2:]...), "version"},
		{"unknown type", []byte{wireMagic, wireVersion, 9, 0x90}, "unknown"},
		{"truncated", good[:len(good)-3], "malformed"},
		{"short array", []byte{wireMagic, wireVersion, byte(msgTableEvents), 0x92, 0xa1, 'a', 0xa1, 'b'}, "malformed"},
		{"lying length", []byte{wireMagic, wireVersion, byte(msgTableEvents), 0x93, 0xa1, 'a', 0xa1, 'b', 0xdd, 0x7f, 0xff, 0xff, 0xff}, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeMessage(tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// A newer minor format may append fields: they are skipped.
func TestWireSkipsAppendedFields(t *testing.T) {
	e := newEncoder()
	e.header(msgNodeLeave)
	e.arr(3)
	e.str("node-1")
	e.uint(5)
	e.str("something new")
	m, err := decodeMessage(e.bytes())
	if err != nil {
		t.Fatal(err)
	}
	if nl := m.(*nodeLeaveMsg); nl.Sender != "node-1" || nl.LTime != 5 {
		t.Fatalf("%+v", nl)
	}
}

func TestVersionOrder(t *testing.T) {
	for _, tc := range []struct {
		a, b version
		want int
	}{
		{version{1, "a", false}, version{2, "a", false}, -1},
		{version{3, "a", false}, version{2, "z", true}, 1},
		{version{2, "a", false}, version{2, "b", false}, -1},
		{version{2, "b", false}, version{2, "b", true}, -1},
		{version{2, "b", true}, version{2, "b", true}, 0},
	} {
		if got := tc.a.compare(tc.b); got != tc.want {
			t.Errorf("%v vs %v = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := tc.b.compare(tc.a); got != -tc.want {
			t.Errorf("%v vs %v = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

func TestLamportClock(t *testing.T) {
	var c lamportClock
	if c.Next() != 1 {
		t.Fatal("first tick")
	}
	c.Witness(10)
	if got := c.Next(); got != 11 {
		t.Fatalf("after witness 10: %d", got)
	}
	c.Witness(5)
	c.Witness(maxLTime)
	if got := c.Next(); got != 12 {
		t.Fatalf("stale and hostile witness moved the clock: %d", got)
	}
}

func TestBucketsAndSplit(t *testing.T) {
	for _, tc := range []struct{ count, want int }{{0, 1}, {16, 1}, {17, 2}, {1000, 64}, {1 << 20, maxBuckets}} {
		if got := bucketsFor(tc.count); int(got) != tc.want || !validBuckets(got) {
			t.Errorf("bucketsFor(%d) = %d, want %d", tc.count, got, tc.want)
		}
	}
	for _, nb := range []uint32{0, 3, maxBuckets * 2} {
		if validBuckets(nb) {
			t.Errorf("validBuckets(%d)", nb)
		}
	}
	// Packets never exceed the limit, and carry every item once.
	n := newBare("node-1")
	var items []outItem
	for i := 0; i < 500; i++ {
		w := wireEntry{Key: strings.Repeat("k", i%40+1) + itoa(i), LTime: uint64(i + 1), Value: bytes.Repeat([]byte{1}, i%90)}
		items = append(items, outItem{kind: itemEntry, nid: []string{"n1", "n2"}[i%2], table: []string{"t1", "t2", "t3"}[i%3], data: encodeEntry(&w)})
	}
	items = append(items, outItem{kind: itemRecord, data: encodeRecord(&netRecord{Node: "x", Network: "n1", LTime: 1})})
	const limit = 1336
	pkts := n.packets(items, limit)
	seen := 0
	for _, p := range pkts {
		if len(p) > limit {
			t.Fatalf("packet of %d bytes > %d", len(p), limit)
		}
		m, err := decodeMessage(p)
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case *tableEventsMsg:
			for _, g := range m.Groups {
				seen += len(g.Entries)
			}
		case *netEventsMsg:
			seen += len(m.Records)
		}
	}
	if seen != len(items) {
		t.Fatalf("packets carry %d items, want %d", seen, len(items))
	}
	if len(pkts) > 40 {
		t.Fatalf("%d packets for %d small items: poor batching", len(pkts), len(items))
	}
}
