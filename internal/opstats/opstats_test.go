package opstats

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/types"
)

func TestRecorderCounts(t *testing.T) {
	var r Recorder
	now := time.Now()
	r.Done(Join, now.Add(-50*time.Microsecond), nil)
	r.Done(Join, now.Add(-2*time.Millisecond), nil)
	r.Done(Join, now.Add(-20*time.Second), types.BadRequestErrorf("bad"))
	r.Done(Leave, now, fmt.Errorf("wrapped: %w", types.NotFoundErrorf("gone")))
	r.Done(Leave, now, errors.New("plain"))

	j := r.Snapshot(Join)
	if j.Count != 3 || j.Errors[ClassBadRequest] != 1 {
		t.Fatalf("join: count %d, bad requests %d; want 3, 1", j.Count, j.Errors[ClassBadRequest])
	}
	if j.Cumulative[0] != 1 || j.Cumulative[len(Buckets)-1] != 2 {
		t.Fatalf("join buckets %v: want 1 under %gs and 2 under %gs", j.Cumulative, Buckets[0], Buckets[len(Buckets)-1])
	}
	if j.Sum < 20*time.Second {
		t.Fatalf("join sum %v: want at least 20s", j.Sum)
	}
	l := r.Snapshot(Leave)
	if l.Count != 2 || l.Errors[ClassNotFound] != 1 || l.Errors[ClassOther] != 1 {
		t.Fatalf("leave: %+v", l)
	}
	if s := r.Snapshot(NetworkCreate); s.Count != 0 || s.Sum != 0 {
		t.Fatalf("network create untouched: %+v", s)
	}
}

func TestNames(t *testing.T) {
	seen := map[string]bool{}
	for _, op := range Ops() {
		if n := op.String(); n == "unknown" || seen[n] {
			t.Fatalf("op %d: name %q", op, n)
		}
		seen[op.String()] = true
	}
	if Op(-1).String() != "unknown" || ClassName(99) != "other" {
		t.Fatal("out of range names")
	}
	for c := 0; c < Classes(); c++ {
		if ClassName(c) == "" {
			t.Fatalf("class %d has no name", c)
		}
	}
}

func TestNilRecorder(t *testing.T) {
	var r *Recorder
	r.Done(Join, time.Now(), nil) // must not panic
}

func BenchmarkDone(b *testing.B) {
	var r Recorder
	for i := 0; i < b.N; i++ {
		r.Done(Join, time.Now(), nil)
	}
}
