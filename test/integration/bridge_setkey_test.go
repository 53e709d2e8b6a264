package integration

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

// Docker's path for a runtime-made namespace: the OCI prestart hook
// (cnm-setkey, reading the runtime's state on stdin) calls SetExternalKey,
// which reaches the controller over its socket; the container is then on
// the network with real traffic.
func TestBridgeSetExternalKeyHook(t *testing.T) {
	e := newBridgeEnv(t, fullBridge())
	n := e.network("hooknet", "10.126.0.0/24", nil)
	b := e.run(n, "b")
	hook := filepath.Join(t.TempDir(), "cnm-setkey")
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-o", hook, "../../cmd/cnm-setkey").CombinedOutput(); err != nil {
		t.Fatalf("build cnm-setkey: %v\n%s", err, out)
	}

	const cid = "hook-container"
	sb, err := e.c.NewSandbox(cid, libnetwork.OptionUseExternalKey())
	must(t, err)
	ep, err := n.CreateEndpoint("hook-ep")
	must(t, err)
	must(t, ep.Join(sb))
	path, h := runtimeNS(t)
	pid := strings.Split(path, "/")[2]

	cmd := exec.Command(hook, cid, e.c.ID(), e.execRoot)
	cmd.Stdin = strings.NewReader(fmt.Sprintf(`{"ociVersion":"1.0.2","id":%q,"status":"created","pid":%s,"bundle":"/x"}`, cid, pid))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cnm-setkey: %v\n%s", err, out)
	}
	if !sameFile(t, sb.Key(), path) {
		t.Fatalf("sandbox key %q is not the namespace %q", sb.Key(), path)
	}
	withNL(t, h, func(nlh *netlink.Handle) {
		if _, err := nlh.LinkByName("eth0"); err != nil {
			t.Fatalf("no eth0 in the runtime's namespace: %v", err)
		}
	})
	reach(t, h, b.h, b.ip, 7111)
	reach(t, b.h, h, ep.Info().Iface().Address().IP, 7112)

	// A failing hook says why, with the error's class kept.
	bad := exec.Command(hook, "no-such-container", e.c.ID(), e.execRoot)
	bad.Stdin = strings.NewReader(`{"pid":` + pid + `}`)
	if out, err := bad.CombinedOutput(); err == nil || !strings.Contains(string(out), "no-such-container") {
		t.Fatalf("cnm-setkey for an unknown container: %v, %s", err, out)
	}

	must(t, ep.Leave(sb))
	must(t, ep.Delete(false))
	must(t, sb.Delete())
}

// SetExternalKey's errors are typed and name what was wrong; the socket
// goes with the controller.
func TestBridgeSetExternalKeyErrors(t *testing.T) {
	e := newBridgeEnv(t, fullBridge())
	n := e.network("hookerr", "10.127.0.0/24", nil)
	own := e.run(n, "own") // a sandbox with a namespace of its own
	path, _ := runtimeNS(t)
	sock := filepath.Join(e.execRoot, "setkey", e.c.ID()[:16]+".sock")
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("controller socket: %v", err)
	}
	_, err := e.c.NewSandbox("ext-c", libnetwork.OptionUseExternalKey())
	must(t, err)

	cases := []struct {
		name                     string
		controller, container, k string
		is                       func(error) bool
		names                    string
	}{
		{"unknown controller", "0123456789abcdef", "ext-c", path, types.IsNoService, "0123456789abcdef"},
		{"bad controller ID", "../x", "ext-c", path, types.IsBadRequest, "../x"},
		{"unknown container", e.c.ID(), "nobody", path, types.IsNotFound, "nobody"},
		{"not a namespace", e.c.ID(), "ext-c", "/etc/hostname", types.IsBadRequest, "/etc/hostname"},
		{"sandbox without external key", e.c.ID(), own.sb.ContainerID(), path, types.IsForbidden, own.sb.ID()},
		{"empty key", e.c.ID(), "ext-c", "", types.IsBadRequest, "ext-c"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := libnetwork.SetExternalKeyAt(e.execRoot, tc.controller, tc.container, tc.k)
			if err == nil || !tc.is(err) || !strings.Contains(err.Error(), tc.names) {
				t.Fatalf("SetExternalKey: %v; want the right class, naming %q", err, tc.names)
			}
		})
	}
	e.c.Stop()
	e.c = nil
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Fatalf("the controller's socket is left after Stop: %v", err)
	}
	// The socket of a controller killed before it could remove it (a dead
	// socket file) goes at the next start; a live one of another stays.
	dir := filepath.Dir(sock)
	dead := filepath.Join(dir, "dead.sock")
	l, err := net.Listen("unix", dead)
	must(t, err)
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	live := filepath.Join(dir, "live.sock")
	ll, err := net.Listen("unix", live)
	must(t, err)
	defer ll.Close()
	e.start()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Fatalf("a dead socket is left after a start: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Fatalf("a live socket was removed: %v", err)
	}
}

// sameFile reports whether paths a and b name the same inode.
func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Stat(a)
	must(t, err)
	fb, err := os.Stat(b)
	must(t, err)
	return os.SameFile(fa, fb)
}
