package networkdb

import (
	"reflect"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary bytes to the decoder and to a node's message
// handler: they must never panic, a decoded message must survive a
// re-encode unchanged, and the node's state must stay consistent.
// Seeds live in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	for _, b := range sampleMessages() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMessage(b)
		if err == nil {
			again, err := decodeMessage(reencode(t, m))
			if err != nil {
				t.Fatalf("re-encoded message does not decode: %v", err)
			}
			if !reflect.DeepEqual(m, again) {
				t.Fatalf("round trip changed the message:\n%#v\n%#v", m, again)
			}
		}
		n := newBare("node-1")
		n.networks["net1"] = newNetTables()
		n.handleMessage(b)
		n.reap(time.Now().Add(time.Hour))
		for nid, tb := range n.networks {
			count, visible := 0, map[string]int{}
			for tname, es := range tb.tables {
				for _, e := range es {
					count++
					if e.visible() {
						visible[tname]++
					}
				}
			}
			if count != tb.count || !reflect.DeepEqual(visible, tb.visible) {
				t.Fatalf("network %s: counters %d/%v, real %d/%v", nid, tb.count, tb.visible, count, visible)
			}
		}
	})
}
