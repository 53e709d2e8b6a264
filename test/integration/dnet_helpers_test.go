package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/osl"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// dnetBinaries are the dnet binaries under test: the daemon is built with
// the race detector when the tests run with it; the short-lived CLI and
// demo processes are not.
type dnetBinaries struct {
	daemon, cli string
}

// dnetBuild builds cmd/dnet into dir.
func dnetBuild(t *testing.T, dir string) dnetBinaries {
	t.Helper()
	testutils.RequireRoot(t) // the daemons need root anyway
	build := func(name string, race bool) string {
		bin := filepath.Join(dir, name)
		args := []string{"build", "-buildvcs=false", "-o", bin}
		if race {
			args = append(args, "-race")
		}
		if out, err := exec.Command("go", append(args, "../../cmd/dnet")...).CombinedOutput(); err != nil {
			t.Fatalf("build dnet: %v\n%s", err, out)
		}
		return bin
	}
	b := dnetBinaries{cli: build("dnet", false)}
	b.daemon = b.cli
	if dnetRace {
		b.daemon = build("dnet-race", true)
	}
	return b
}

// dnetEnv is a dnet daemon running as a child process in a network
// namespace of the test's own, with its data dir and exec root in
// temporary directories.
type dnetEnv struct {
	t        testing.TB
	bin      string // the CLI
	daemon   string // the daemon
	ns       netns.NsHandle
	nl       *netlink.Handle
	dataDir  string
	execRoot string
	sock     string
	cl       *api.Client
	hc       *http.Client
	d        *dnetProc
}

// dnetProc is one daemon process.
type dnetProc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newDnetEnv moves the test goroutine into a new namespace (the daemon's
// host namespace) and prepares the directories; the daemon is not started.
func newDnetEnv(t testing.TB, bins dnetBinaries) *dnetEnv {
	t.Helper()
	h := testutils.SetupTestOSContext(t)
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nl.Close)
	e := &dnetEnv{t: t, bin: bins.cli, daemon: bins.daemon, ns: h, nl: nl, dataDir: t.TempDir(), execRoot: t.TempDir()}
	e.sock = filepath.Join(e.execRoot, "dnet.sock")
	e.cl = dnetClient(t, "unix://"+e.sock)
	e.hc = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", e.sock)
	}}}
	t.Cleanup(e.hc.CloseIdleConnections)
	// Sandboxes outlive a stopped daemon: unpin what is left before the
	// temporary directories go (this runs after the daemons stop).
	t.Cleanup(func() {
		if err := osl.GCAt(e.execRoot, nil); err != nil {
			t.Errorf("remove the namespaces left under %s: %v", e.execRoot, err)
		}
	})
	return e
}

func dnetClient(t testing.TB, host string) *api.Client {
	t.Helper()
	c, err := api.NewClient(host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// spawn starts `dnet daemon` with args (from the test goroutine: the child
// is born in the test's namespace). It does not wait for readiness.
func (e *dnetEnv) spawn(args ...string) *dnetProc {
	e.t.Helper()
	return e.spawnEnv(nil, args...)
}

// spawnEnv is spawn with env added to the daemon's environment.
func (e *dnetEnv) spawnEnv(env []string, args ...string) *dnetProc {
	e.t.Helper()
	p := &dnetProc{stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(e.daemon, append([]string{"daemon"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.stderr, p.stderr
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	// Tied to the test's thread: the daemon dies with it.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		e.t.Fatalf("start dnet daemon: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	e.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(20 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}
		if strings.Contains(p.stderr.String(), "DATA RACE") {
			e.t.Errorf("the dnet daemon found a data race:\n%s", p.stderr.String())
		}
	})
	return p
}

// start starts the daemon on the env's directories and waits until it
// answers.
func (e *dnetEnv) start(extra ...string) {
	e.t.Helper()
	args := append([]string{"--data-dir", e.dataDir, "--exec-root", e.execRoot, "--log-level", "warn"}, extra...)
	e.d = e.spawn(args...)
	e.waitReady(e.d)
	e.checkDaemonNS(e.d)
}

// waitReady polls the API until it answers or the daemon exits.
func (e *dnetEnv) waitReady(p *dnetProc) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.done:
			e.t.Fatalf("dnet daemon exited: %v\n%s", p.err, p.stderr.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := e.cl.Info(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("dnet daemon not ready: %v\n%s", err, p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkDaemonNS asserts that the daemon runs in the test's namespace, not
// in the namespace the test process started in.
func (e *dnetEnv) checkDaemonNS(p *dnetProc) {
	e.t.Helper()
	var want, got unix.Stat_t
	if err := unix.Fstat(int(e.ns), &want); err != nil {
		e.t.Fatal(err)
	}
	if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/net", p.cmd.Process.Pid), &got); err != nil {
		e.t.Fatal(err)
	}
	if want.Ino != got.Ino || want.Dev != got.Dev {
		e.t.Fatalf("the daemon runs in another network namespace than the test's")
	}
}

// wait waits for the daemon to exit and returns its exit code.
func (p *dnetProc) wait(t testing.TB, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		t.Fatalf("dnet daemon still running after %s\n%s", within, p.stderr.String())
	}
	if p.err == nil {
		return 0
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatalf("dnet daemon: %v", p.err)
	return -1
}

// signal sends sig to the daemon and returns its exit code.
func (e *dnetEnv) signal(p *dnetProc, sig syscall.Signal) int {
	e.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		e.t.Fatal(err)
	}
	return p.wait(e.t, 30*time.Second)
}

// cli runs `dnet -H unix://<socket> args...` and returns its output and
// exit code.
func (e *dnetEnv) cli(args ...string) (string, string, int) {
	e.t.Helper()
	return dnetRun(e.t, e.bin, append([]string{"-H", "unix://" + e.sock}, args...)...)
}

// cliOK runs the CLI and fails the test unless it exits 0.
func (e *dnetEnv) cliOK(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.cli(args...)
	if code != 0 {
		e.t.Fatalf("dnet %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// cliJSON runs the CLI and decodes its JSON output into v.
func (e *dnetEnv) cliJSON(v interface{}, args ...string) {
	e.t.Helper()
	out := e.cliOK(args...)
	zero(v)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		e.t.Fatalf("dnet %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func dnetRun(t testing.TB, bin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "DNET_HOST=")
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run dnet: %v", err)
	}
	return out.String(), errOut.String(), code
}

// raw sends a request to the API and returns the status and body.
func (e *dnetEnv) raw(method, path, body string) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://dnet"+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// rawJSON sends a request, checks the status and decodes the answer into v.
func (e *dnetEnv) rawJSON(method, path, body string, want int, v interface{}) {
	e.t.Helper()
	status, b := e.raw(method, path, body)
	if status != want {
		e.t.Fatalf("%s %s %s: status %d, want %d: %s", method, path, body, status, want, b)
	}
	if v != nil {
		zero(v)
		if err := json.Unmarshal(b, v); err != nil {
			e.t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, path, err, b)
		}
	}
}

// expectError sends a request that must fail with status, naming field
// (when not empty) and with a message containing each of msg.
func (e *dnetEnv) expectError(method, path, body string, status int, field string, msg ...string) {
	e.t.Helper()
	got, b := e.raw(method, path, body)
	var er api.ErrorResponse
	if err := json.Unmarshal(b, &er); err != nil {
		e.t.Errorf("%s %s %s: error answer is not JSON: %s", method, path, body, b)
		return
	}
	if got != status || er.Field != field || er.Message == "" {
		e.t.Errorf("%s %s %s: got %d field %q (%q), want %d field %q", method, path, body, got, er.Field, er.Message, status, field)
		return
	}
	for _, m := range msg {
		if !strings.Contains(er.Message, m) {
			e.t.Errorf("%s %s %s: message %q lacks %q", method, path, body, er.Message, m)
		}
	}
}

// dnetState is what the daemon and the kernel hold: the API's lists and
// the links of the daemon's namespace and the namespaces pinned under the
// exec root.
type dnetState struct {
	api   string
	links []string
	pins  []string
}

func (e *dnetEnv) state() dnetState {
	e.t.Helper()
	var s dnetState
	for _, p := range []string{"/v1/networks", "/v1/endpoints", "/v1/sandboxes"} {
		status, b := e.raw(http.MethodGet, p, "")
		if status != http.StatusOK {
			e.t.Fatalf("GET %s: %d %s", p, status, b)
		}
		s.api += string(b)
	}
	links, err := e.nl.LinkList()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, l := range links {
		s.links = append(s.links, l.Attrs().Name)
	}
	sort.Strings(s.links)
	s.pins = e.pinned()
	return s
}

// pinned lists the namespaces pinned under the exec root.
func (e *dnetEnv) pinned() []string {
	e.t.Helper()
	entries, err := os.ReadDir(filepath.Join(e.execRoot, "netns"))
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	var out []string
	for _, en := range entries {
		out = append(out, en.Name())
	}
	return out
}

func (s dnetState) equal(o dnetState) bool {
	return s.api == o.api && strings.Join(s.links, ",") == strings.Join(o.links, ",") &&
		strings.Join(s.pins, ",") == strings.Join(o.pins, ",")
}

// sandboxAddrs lists the addresses of the interfaces in the namespace
// pinned at key, by interface name, as the kernel has them.
func sandboxAddrs(t *testing.T, key string) map[string][]string {
	t.Helper()
	h, err := netns.GetFromPath(key)
	if err != nil {
		t.Fatalf("open sandbox namespace %s: %v", key, err)
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	links, err := nl.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, l := range links {
		addrs, err := nl.AddrList(l, netlink.FAMILY_V4)
		if err != nil {
			t.Fatal(err)
		}
		out[l.Attrs().Name] = []string{}
		for _, a := range addrs {
			out[l.Attrs().Name] = append(out[l.Attrs().Name], a.IPNet.String())
		}
	}
	return out
}

// dnetPoll polls cond until it returns nil or a deadline passes.
func dnetPoll(t *testing.T, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// zero resets *v: JSON decoding leaves alone the fields an answer omits.
func zero(v interface{}) {
	p := reflect.ValueOf(v).Elem()
	p.Set(reflect.Zero(p.Type()))
}
