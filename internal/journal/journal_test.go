package journal

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

func TestJournal(t *testing.T) {
	j, err := Open(filepath.Join(t.TempDir(), "intents"))
	if err != nil {
		t.Fatal(err)
	}
	type rec struct{ Op, ID string }
	doneA, err := j.Begin("net-a", rec{"create", "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Begin("ep-b", rec{"create", "b"}); err != nil {
		t.Fatal(err)
	}
	// A write killed before its rename leaves a temporary file only.
	if err := os.WriteFile(filepath.Join(j.Dir(), ".net-c.tmp"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := j.List("net-")
	if err != nil {
		t.Fatal(err)
	}
	var got rec
	if len(l) != 1 || l[0].Key != "net-a" || l[0].Decode(&got) != nil || got != (rec{"create", "a"}) {
		t.Fatalf("List(net-) = %v (%+v)", l, got)
	}
	if _, err := os.Stat(filepath.Join(j.Dir(), ".net-c.tmp")); !os.IsNotExist(err) {
		t.Errorf("half-written record kept: %v", err)
	}
	doneA()
	if l, _ := j.List("net-"); len(l) != 0 {
		t.Errorf("record left after done: %v", l)
	}
	if l, _ := j.List(""); len(l) != 1 || l[0].Key != "ep-b" {
		t.Errorf("List() = %v", l)
	}
	for _, bad := range []string{"", "a/b", ".x"} {
		if _, err := j.Begin(bad, rec{}); err == nil {
			t.Errorf("Begin(%q) accepted", bad)
		}
	}
}

// BenchmarkBeginDone is the cost an operation pays for its intent: the
// record written and removed.
func BenchmarkBeginDone(b *testing.B) {
	j, err := Open(filepath.Join(b.TempDir(), "intents"))
	if err != nil {
		b.Fatal(err)
	}
	type rec struct{ Op, Network, Endpoint, Sandbox string }
	r := rec{"join", "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210", "00112233445566778899aabbccddeeff"}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		done, err := j.Begin("join-x", r)
		if err != nil {
			b.Fatal(err)
		}
		done()
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	testutils.ReportPercentilesMicro(b, "begin+done", lat)
}
