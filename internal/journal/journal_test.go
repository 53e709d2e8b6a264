package journal

import (
	"os"
	"path/filepath"
	"testing"
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
