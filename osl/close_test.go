package osl

import (
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
)

// Close releases a sandbox's handles and leaves its namespace pinned for
// the next controller, which reopens it.
func TestCloseKeepsTheNamespace(t *testing.T) {
	testutils.RequireRoot(t)
	root := t.TempDir()
	key := GenerateKeyAt(root, "closed")
	sb, err := NewSandbox(key, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.(interface{ Close() error }).Close(); err != nil {
		t.Fatal(err)
	}
	if err := sb.AddInterface("lo", "eth"); !types.IsForbidden(err) {
		t.Errorf("AddInterface on a closed sandbox: %v", err)
	}
	if err := sb.Destroy(); err != nil {
		t.Fatal(err)
	}
	if !ns.IsNetNS(key) {
		t.Fatal("Close or a later Destroy unpinned the namespace")
	}
	again, err := NewSandboxRestore(key, true, true)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if err := again.Destroy(); err != nil {
		t.Fatal(err)
	}
	if ns.IsNetNS(key) {
		t.Error("the reopened sandbox's Destroy left the namespace pinned")
	}
}
