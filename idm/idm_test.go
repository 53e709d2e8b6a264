package idm

import (
	"errors"
	"testing"

	"github.com/cnmkit/libnetwork/bitseq"
	"github.com/cnmkit/libnetwork/types"
)

func TestNewInvalid(t *testing.T) {
	for _, c := range []struct {
		id         string
		start, end uint64
	}{
		{"", 0, 10},
		{"x", 10, 9},
		{"x", 0, bitseq.MaxBits},
	} {
		if _, err := New(nil, c.id, c.start, c.end); !types.IsBadRequest(err) {
			t.Errorf("New(%q, %d, %d) = %v, want BadRequest", c.id, c.start, c.end, err)
		}
	}
}

func TestGetIDs(t *testing.T) {
	i, err := New(nil, "vni", 100, 104)
	if err != nil {
		t.Fatal(err)
	}
	for want := uint64(100); want <= 104; want++ {
		if got, err := i.GetID(); err != nil || got != want {
			t.Fatalf("GetID = %d, %v; want %d", got, err, want)
		}
	}
	if _, err := i.GetID(); !errors.Is(err, bitseq.ErrNoBitAvailable) {
		t.Fatalf("GetID on full set = %v", err)
	}
	i.Release(102)
	i.Release(102)  // double release: no effect
	i.Release(1000) // out of range: no effect
	if err := i.GetSpecificID(102); err != nil {
		t.Fatal(err)
	}
	if err := i.GetSpecificID(102); !errors.Is(err, bitseq.ErrBitAllocated) {
		t.Fatalf("GetSpecificID taken = %v", err)
	}
	for _, id := range []uint64{99, 105} {
		if err := i.GetSpecificID(id); !types.IsBadRequest(err) {
			t.Fatalf("GetSpecificID(%d) = %v, want BadRequest", id, err)
		}
	}
}

func TestSerialAndRange(t *testing.T) {
	i, err := New(nil, "ids", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := i.GetIDSerial(true)
	b, _ := i.GetIDSerial(true)
	i.Release(a)
	if c, _ := i.GetIDSerial(true); c != b+1 {
		t.Fatalf("serial GetID = %d, want %d", c, b+1)
	}
	if c, _ := i.GetID(); c != a {
		t.Fatalf("lowest GetID = %d, want %d", c, a)
	}
	if got, err := i.GetIDInRange(5, 6, false); err != nil || got != 5 {
		t.Fatalf("GetIDInRange = %d, %v", got, err)
	}
	for _, r := range [][2]uint64{{0, 5}, {5, 11}, {6, 5}} {
		if _, err := i.GetIDInRange(r[0], r[1], false); !types.IsBadRequest(err) {
			t.Fatalf("GetIDInRange(%d, %d) = %v, want BadRequest", r[0], r[1], err)
		}
	}
}
