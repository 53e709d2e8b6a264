package iptables

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/godbus/dbus/v5"
)

func TestFirewalldAbsentNoBus(t *testing.T) {
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	t.Cleanup(firewalldClose)
	if err := FirewalldInit(); !types.IsNoService(err) {
		t.Fatalf("FirewalldInit without a bus: %v", err)
	}
	if FirewalldRunning() {
		t.Fatal("firewalld reported running")
	}
	if _, err := Passthrough(Iptables, "-L"); !types.IsNoService(err) {
		t.Fatalf("Passthrough: %v", err)
	}
	if _, err := Passthrough(IPV("ipx"), "-L"); !types.IsBadRequest(err) {
		t.Fatalf("Passthrough of an unknown firewall: %v", err)
	}
}

// startBus starts a private dbus-daemon for the test and points
// DBUS_SYSTEM_BUS_ADDRESS at it.
func startBus(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("no dbus-daemon")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	addr := "unix:path=" + filepath.Join(dir, "bus")
	err = os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>`+addr+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n') // printed once it listens
	if err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", strings.TrimSpace(line))
	return strings.TrimSpace(line)
}

// fakeFirewalld serves firewalld's getDefaultZone and direct.passthrough;
// the passthrough runs the real iptables in the test's namespace.
type fakeFirewalld struct {
	mu    sync.Mutex
	calls [][]string
}

type fakeMain struct{}

func (fakeMain) GetDefaultZone() (string, *dbus.Error) { return "public", nil }

type fakeDirect struct{ f *fakeFirewalld }

func (d fakeDirect) Passthrough(ipv string, args []string) (string, *dbus.Error) {
	d.f.mu.Lock()
	d.f.calls = append(d.f.calls, append([]string{ipv}, args...))
	d.f.mu.Unlock()
	if ipv != "ipv4" {
		return "", dbus.NewError("org.fedoraproject.FirewallD1.Exception", []any{"INVALID_IPV: " + ipv})
	}
	out, err := rawNative(args...)
	if err != nil {
		return "", dbus.NewError("org.fedoraproject.FirewallD1.Exception", []any{err.Error()})
	}
	return string(out), nil
}

func startFakeFirewalld(t *testing.T, addr string) (*fakeFirewalld, *dbus.Conn) {
	t.Helper()
	c, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	f := &fakeFirewalld{}
	// godbus exports Go method names; firewalld's are lower camel case.
	if err := c.ExportWithMap(fakeMain{}, map[string]string{"GetDefaultZone": "getDefaultZone"}, fwdPath, fwdInterface); err != nil {
		t.Fatal(err)
	}
	if err := c.ExportWithMap(fakeDirect{f}, map[string]string{"Passthrough": "passthrough"}, fwdPath, fwdDirect); err != nil {
		t.Fatal(err)
	}
	if r, err := c.RequestName(fwdName, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v %v", fwdName, r, err)
	}
	return f, c
}

func TestFirewalldBusWithoutFirewalld(t *testing.T) {
	startBus(t)
	t.Cleanup(firewalldClose)
	if err := FirewalldInit(); err != nil {
		t.Fatal(err)
	}
	if FirewalldRunning() {
		t.Fatal("running without firewalld on the bus")
	}
	if _, err := Passthrough(Iptables, "-L"); !types.IsNoService(err) {
		t.Fatalf("Passthrough: %v", err)
	}
}

func TestFirewalldPassthroughAndReload(t *testing.T) {
	testutils.RequireRoot(t)
	addr := startBus(t)
	f, conn := startFakeFirewalld(t, addr)
	t.Cleanup(firewalldClose)
	reloaded := make(chan struct{}, 4)
	OnReloaded(func() { reloaded <- struct{}{} })
	if err := FirewalldInit(); err != nil {
		t.Fatal(err)
	}
	if !FirewalldRunning() {
		t.Fatal("firewalld not seen")
	}

	// Raw goes through firewalld, which runs the rule in this namespace.
	if _, err := Raw("-t", "nat", "-N", "FWDTEST"); err != nil {
		t.Fatal(err)
	}
	if err := RawCombinedOutput("-t", "nat", "-A", "FWDTEST", "-p", "tcp", "--dport", "85", "-j", "RETURN"); err != nil {
		t.Fatal(err)
	}
	has(t, saveOut(t, "iptables"), "-A FWDTEST -p tcp -m tcp --dport 85 -j RETURN", true)
	f.mu.Lock()
	n := len(f.calls)
	first := strings.Join(f.calls[0], " ")
	f.mu.Unlock()
	if n != 2 || first != "ipv4 -t nat -N FWDTEST" {
		t.Fatalf("firewalld saw %d calls, first %q", n, first)
	}
	// Native bypasses it.
	if err := RawCombinedOutputNative("-t", "nat", "-F", "FWDTEST"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	n = len(f.calls)
	f.mu.Unlock()
	if n != 2 {
		t.Fatalf("native command went through firewalld (%d calls)", n)
	}
	// A failure inside firewalld is an error of Raw, not a silent fallback.
	if _, err := Passthrough(IP6Tables, "-L"); err == nil || !types.IsInternal(err) {
		t.Fatalf("passthrough error: %v", err)
	}

	// A reload runs the callbacks.
	if err := conn.Emit(fwdPath, fwdInterface+".Reloaded"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reloaded:
	case <-time.After(10 * time.Second):
		t.Fatal("no reload callback")
	}

	// firewalld leaving the bus: Raw falls back to the binary.
	if _, err := conn.ReleaseName(fwdName); err != nil {
		t.Fatal(err)
	}
	testutils.Eventually(t, "firewalld gone", 10*time.Second, func() error {
		if FirewalldRunning() {
			return fmt.Errorf("still running")
		}
		return nil
	})
	if err := RawCombinedOutput("-t", "nat", "-X", "FWDTEST"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	n = len(f.calls)
	f.mu.Unlock()
	if n != 3 || ExistChain("FWDTEST", Nat) {
		t.Fatalf("fallback: %d calls, chain still there: %v", n, ExistChain("FWDTEST", Nat))
	}
}
