package integration

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/options"
	"golang.org/x/sys/unix"
)

// buildPlugin builds internal/testplugins/cnmplug (a plugin written with
// go-plugins-helpers) into a directory of t's.
func buildPlugin(t testing.TB) string {
	t.Helper()
	testutils.RequireRoot(t)
	bin := filepath.Join(t.TempDir(), "cnmplug")
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-o", bin, "../../internal/testplugins/cnmplug").CombinedOutput(); err != nil {
		t.Fatalf("build the test plugin: %v\n%s", err, out)
	}
	return bin
}

// plugEnv is a controller on a namespace of the test's own that looks for
// plugins in directories of the test's, and the plugin processes it runs.
type plugEnv struct {
	*bridgeEnv
	bin      string
	sockDir  string
	specDir  string
	blockDir string
	work     string
	opts     []config.Option
}

func newPlugEnv(t *testing.T, opts ...config.Option) *plugEnv {
	t.Helper()
	bin := buildPlugin(t)
	e := &plugEnv{bin: bin, sockDir: t.TempDir(), specDir: t.TempDir(), blockDir: t.TempDir(), work: t.TempDir()}
	e.bridgeEnv = newBridgeEnv(t, options.Generic{})
	e.opts = append([]config.Option{config.OptionPluginDirs([]string{e.sockDir}, []string{e.specDir}),
		config.OptionPluginActivateTimeout(time.Second)}, opts...)
	e.restart(e.opts...)
	return e
}

// plugProc is a running plugin process.
type plugProc struct {
	name, kind string
	args       []string
	cmd        *exec.Cmd
	done       chan struct{}
}

// logPath and statePath are the plugin's call log and state file.
func (e *plugEnv) logPath(name string) string   { return filepath.Join(e.work, name+".log") }
func (e *plugEnv) statePath(name string) string { return filepath.Join(e.work, name+".state") }

// plugin starts plugin name of kind (network or ipam) serving
// sockDir/name.sock, or, with tcp, 127.0.0.1 with a spec file.
func (e *plugEnv) plugin(name, kind string, tcp bool) *plugProc {
	e.t.Helper()
	args := []string{"-kind", kind, "-log", e.logPath(name), "-state", e.statePath(name), "-block-dir", filepath.Join(e.blockDir, name)}
	if tcp {
		args = append(args, "-tcp", "127.0.0.1:0", "-spec", filepath.Join(e.specDir, name+".spec"))
	} else {
		args = append(args, "-sock", filepath.Join(e.sockDir, name+".sock"))
	}
	if err := os.MkdirAll(filepath.Join(e.blockDir, name), 0o755); err != nil {
		e.t.Fatal(err)
	}
	p := &plugProc{name: name, kind: kind, args: args}
	e.startProc(p)
	return p
}

// startProc runs p from the test's thread, so in the test's namespace,
// and waits until it listens.
func (e *plugEnv) startProc(p *plugProc) {
	e.t.Helper()
	p.cmd = exec.Command(e.bin, p.args...)
	p.cmd.Stderr = os.Stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.done = make(chan struct{})
	if err := p.cmd.Start(); err != nil {
		e.t.Fatalf("start plugin %s: %v", p.name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	done := p.done
	cmd := p.cmd
	e.t.Cleanup(func() {
		select {
		case <-done:
		default:
			_ = cmd.Process.Kill()
			<-done
		}
	})
	eventually(e.t, "plugin "+p.name+" listens", func() error {
		select {
		case <-done:
			e.t.Fatalf("plugin %s exited", p.name)
		default:
		}
		return p.dial()
	})
}

// dial connects to the plugin once: it listens.
func (p *plugProc) dial() error {
	for i := 0; i+1 < len(p.args); i++ {
		switch p.args[i] {
		case "-sock":
			c, err := net.Dial("unix", p.args[i+1])
			if err != nil {
				return err
			}
			return c.Close()
		case "-spec":
			b, err := os.ReadFile(p.args[i+1])
			if err != nil {
				return err
			}
			c, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSpace(string(b)), "tcp://"))
			if err != nil {
				return err
			}
			return c.Close()
		}
	}
	return errors.New("plugin has neither -sock nor -spec")
}

// kill kills the plugin by its PID and waits for its end.
func (e *plugEnv) kill(p *plugProc) {
	e.t.Helper()
	if err := syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		e.t.Fatal(err)
	}
	<-p.done
}

// restartProc starts the plugin again on the same socket, log and state
// (the stale socket or spec file of the killed one removed first).
func (e *plugEnv) restartProc(p *plugProc) {
	e.t.Helper()
	for i := 0; i+1 < len(p.args); i++ {
		if p.args[i] == "-sock" || p.args[i] == "-spec" {
			_ = os.Remove(p.args[i+1])
		}
	}
	e.startProc(p)
}

// block makes plugin name block in call until the returned gate is
// opened: gate.enter waits until the plugin is inside the call.
func (e *plugEnv) block(name, call string) *gate {
	e.t.Helper()
	path := filepath.Join(e.blockDir, name, call)
	if err := unix.Mkfifo(path, 0o600); err != nil {
		e.t.Fatal(err)
	}
	g := &gate{t: e.t, path: path, fd: -1}
	e.t.Cleanup(g.release)
	return g
}

type gate struct {
	t    testing.TB
	path string
	fd   int
}

// enter waits until the plugin opened the FIFO: it is inside the call.
func (g *gate) enter() {
	g.t.Helper()
	eventually(g.t, "plugin blocked in "+filepath.Base(g.path), func() error {
		fd, err := unix.Open(g.path, unix.O_WRONLY|unix.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		g.fd = fd
		return nil
	})
}

// release lets a blocked plugin go on and removes the FIFO.
func (g *gate) release() {
	_ = os.Remove(g.path)
	if g.fd >= 0 {
		_ = unix.Close(g.fd)
		g.fd = -1
	}
}

// call is one line of a plugin's call log.
type call struct {
	Call string
	Req  map[string]interface{}
}

// calls reads plugin name's call log.
func (e *plugEnv) calls(name string) []call {
	e.t.Helper()
	f, err := os.Open(e.logPath(name))
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		e.t.Fatal(err)
	}
	defer f.Close()
	var out []call
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c call
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			e.t.Fatalf("log of %s: %v", name, err)
		}
		out = append(out, c)
	}
	return out
}

// callNames lists the calls of plugin name, those in skip left out.
func (e *plugEnv) callNames(name string, skip ...string) string {
	var out []string
next:
	for _, c := range e.calls(name) {
		for _, s := range skip {
			if c.Call == s {
				continue next
			}
		}
		out = append(out, c.Call)
	}
	return strings.Join(out, " ")
}

// inUse returns the addresses the IPAM plugin name has handed out, by pool.
func (e *plugEnv) inUse(name string) map[string][]string {
	e.t.Helper()
	var st struct{ Pools map[string]map[string]bool }
	b, err := os.ReadFile(e.statePath(name))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		e.t.Fatal(err)
	}
	out := map[string][]string{}
	for p, as := range st.Pools {
		out[p] = []string{}
		for a := range as {
			out[p] = append(out[p], a)
		}
	}
	return out
}
