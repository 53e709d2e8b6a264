package libnetwork

import (
	"os"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

// A child's join updates the line of its name in its parent's hosts file.
func TestOptionParentUpdate(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("links", "10.41.0.0/24")
	parent := must(e.c.NewSandbox("parent", OptionExtraHost("db", "10.9.9.9")))(t)
	pep := must(n.CreateEndpoint("p"))(t)
	check(t, pep.Join(parent))
	ps := parent.(*sandbox)
	hosts := e.c.hostsPath(ps.id, &ps.config)
	if b, _ := os.ReadFile(hosts); !strings.Contains(string(b), "10.9.9.9\tdb") {
		t.Fatalf("parent hosts file before:\n%s", b)
	}
	child := must(e.c.NewSandbox("child", OptionParentUpdate("parent", "db", "10.41.0.77")))(t)
	cep := must(n.CreateEndpoint("c"))(t)
	check(t, cep.Join(child))
	b, _ := os.ReadFile(hosts)
	if !strings.Contains(string(b), "10.41.0.77\tdb") || strings.Contains(string(b), "10.9.9.9") {
		t.Fatalf("parent hosts file after the child's join:\n%s", b)
	}

	for _, bad := range []SandboxOption{
		OptionParentUpdate("", "db", "10.0.0.1"),
		OptionParentUpdate("parent", "", "10.0.0.1"),
		OptionParentUpdate("parent", "db", "not-an-ip"),
	} {
		if _, err := e.c.NewSandbox("bad", bad); !types.IsBadRequest(err) {
			t.Fatalf("bad parent update accepted: %v", err)
		}
	}
	for _, s := range e.c.Sandboxes() {
		if s.ContainerID() == "bad" {
			t.Fatal("a refused sandbox was kept")
		}
	}
}
