package bitseq

import (
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
)

// TestBoltStore keeps a bitmap in the real local (boltdb) datastore: it
// survives closing and reopening the store, and two handles on one key stay
// coherent through compare-and-swap.
func TestBoltStore(t *testing.T) {
	cfg := datastore.DefaultScopes(t.TempDir())[datastore.LocalScope]
	ds, err := datastore.NewDataStore(datastore.LocalScope, cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewHandle("idm", ds, "vxlan", 1000)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewHandle("idm", ds, "vxlan", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for want := range uint64(6) {
		h := a
		if want%2 == 1 {
			h = b // b is stale each time: its write conflicts and is retried
		}
		if got, err := h.SetAnySerial(false); err != nil || got != want {
			t.Fatalf("SetAny = %d, %v; want %d", got, err, want)
		}
	}
	ds.Close()

	ds, err = datastore.NewDataStore(datastore.LocalScope, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	c, err := NewHandle("idm", ds, "vxlan", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if c.Unselected() != 994 || !c.IsSet(5) || c.IsSet(6) {
		t.Fatalf("reopened bitmap: %s", c)
	}
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
}
