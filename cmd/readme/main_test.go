package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

// TestReadmeExample builds the example and runs it in network and mount
// namespaces of its own, with tmpfs over /run and /var/lib (its default
// exec root and data dir), and checks its last line.
func TestReadmeExample(t *testing.T) {
	testutils.RequireRoot(t)
	bin := filepath.Join(t.TempDir(), "readme")
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command("/bin/sh", "-c", `mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib && exec "$0"`, bin)
	// A new mount namespace is made private (MS_REC|MS_PRIVATE) before exec.
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	want := regexp.MustCompile(`^Joined endpoint Endpoint1 \(02:42(:[0-9a-f]{2}){4}\) to sandbox container1 \(/run/cnmkit/netns/[0-9a-f]+\)$`)
	if !want.MatchString(last) {
		t.Fatalf("last line %q does not match %s", last, want)
	}
}
