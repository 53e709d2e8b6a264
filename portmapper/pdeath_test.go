package portmapper

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

const helperEnv = "PORTMAPPER_TEST_PDEATH_PROXY"

// TestHelperMapAndHang is not a test: run by TestProxyDiesWithParent in a
// child process, it maps a port with a proxy, prints the proxy's PID and
// waits to be killed.
func TestHelperMapAndHang(t *testing.T) {
	bin := os.Getenv(helperEnv)
	if bin == "" {
		t.Skip("helper process only")
	}
	pm, err := newPM(Options{UserlandProxy: true, ProxyPath: bin, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pm.MapRange(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil, 0, 0, true); err != nil {
		t.Fatal(err)
	}
	pm.mu.Lock()
	for _, m := range pm.mappings {
		fmt.Printf("PID %d\n", m.proxy.cmd.Process.Pid)
	}
	pm.mu.Unlock()
	select {}
}

// TestProxyDiesWithParent kills a process that started a proxy: the proxy
// goes with it.
func TestProxyDiesWithParent(t *testing.T) {
	testutils.RequireRoot(t)
	bin := buildProxy(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperMapAndHang$")
	cmd.Env = append(os.Environ(), helperEnv+"="+bin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	pidc := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "PID "); ok {
				pid, _ := strconv.Atoi(rest)
				pidc <- pid
			}
		}
		_ = cmd.Wait()
		close(done)
	}()
	var pid int
	select {
	case pid = <-pidc:
	case <-done:
		t.Fatal("helper exited before mapping")
	case <-time.After(30 * time.Second):
		t.Fatal("helper did not map")
	}
	if !isRunning(pid) {
		t.Fatalf("proxy %d is not running", pid)
	}
	_ = cmd.Process.Kill()
	<-done
	deadline := time.Now().Add(10 * time.Second)
	for isRunning(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("proxy %d outlived its parent", pid)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}
