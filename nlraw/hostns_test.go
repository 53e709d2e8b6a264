package nlraw

import (
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func TestHostNamespaceBadInput(t *testing.T) {
	closed := netns.None()
	tests := []struct {
		name string
		v    interface{}
		want string
	}{
		{"wrong type", "not a handle", "want a netns.NsHandle, got string"},
		{"closed handle", closed, "namespace handle -1 is not open"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := HostNamespace(map[string]interface{}{"k": tc.v}, "k", "drv")
			if err == nil {
				h.Close()
				t.Fatal("no error")
			}
			if !types.IsBadRequest(err) {
				t.Fatalf("error %v is not a bad request", err)
			}
			if !strings.HasPrefix(err.Error(), "drv driver option k: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q: want the owner, the key and %q", err, tc.want)
			}
			if h.IsOpen() {
				t.Fatal("a handle is returned with the error")
			}
		})
	}
}

func TestHostNamespaceDefaultIsCurrent(t *testing.T) {
	for _, cfg := range []map[string]interface{}{nil, {"k": nil}} {
		h, err := HostNamespace(cfg, "k", "drv")
		if err != nil {
			t.Fatal(err)
		}
		cur, err := netns.Get()
		if err != nil {
			h.Close()
			t.Fatal(err)
		}
		same := h.Equal(cur)
		cur.Close()
		h.Close()
		if !same {
			t.Fatal("the default is not the current namespace")
		}
	}
}

func TestHostNamespaceDuplicates(t *testing.T) {
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	h, err := HostNamespace(map[string]interface{}{"k": orig}, "k", "drv")
	if err != nil {
		t.Fatal(err)
	}
	if int(h) == int(orig) || !h.Equal(orig) {
		h.Close()
		t.Fatalf("handle %d: want a new descriptor of the same namespace as %d", int(h), int(orig))
	}
	flags, err := unix.FcntlInt(uintptr(h), unix.F_GETFD, 0)
	h.Close()
	if err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Fatalf("duplicate is not close-on-exec (flags %#x, err %v)", flags, err)
	}
	if !orig.IsOpen() {
		t.Fatal("the caller's handle was closed")
	}
}
