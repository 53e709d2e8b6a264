package portmapper

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// proxyStopGrace is how long a proxy gets to exit on SIGTERM before SIGKILL.
const proxyStopGrace = 2 * time.Second

// proxyProc is a running proxy process, reaped by its own goroutine.
type proxyProc struct {
	cmd       *exec.Cmd
	argv      []string
	startTime uint64 // from /proc/<pid>/stat, to recognise the process later
	done      chan struct{}
}

func (pm *PortMapper) proxyArgs(m *mapping) []string {
	return []string{pm.opts.ProxyPath,
		"-proto", m.proto,
		"-host-ip", m.hostIP.String(),
		"-host-port", strconv.Itoa(m.hostPort),
		"-container-ip", m.ctrIP.String(),
		"-container-port", strconv.Itoa(m.ctrPort),
		"-ready-fd", "3",
	}
}

// startProxy starts the proxy of m in the portmapper's namespace and waits
// until it reports that its port is bound. The proxy dies with this process
// (Pdeathsig).
func (pm *PortMapper) startProxy(m *mapping) (*proxyProc, error) {
	argv := pm.proxyArgs(m)
	r, w, err := os.Pipe()
	if err != nil {
		return nil, types.InternalErrorf("portmapper: readiness pipe: %w", err)
	}
	defer r.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	// Start from a goroutine of our own: Pdeathsig follows the forking
	// thread, and the caller's goroutine may be locked to a thread that
	// exits with it. ns.WithNetNS uses a fresh goroutine as well.
	start := func() error { return cmd.Start() }
	if pm.inNS {
		err = ns.WithNetNS(pm.nsh, start)
	} else {
		errc := make(chan error, 1)
		go func() { errc <- start() }()
		err = <-errc
	}
	w.Close()
	if err != nil {
		return nil, types.NoServiceErrorf("portmapper: start proxy %s: %w", argv[0], err)
	}
	p := &proxyProc{cmd: cmd, argv: argv, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	p.startTime, _ = procStartTime(cmd.Process.Pid)

	type result struct {
		line string
		err  error
	}
	rc := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		rc <- result{strings.TrimSpace(line), err}
	}()
	timer := time.NewTimer(pm.opts.ProxyReadyTimeout)
	defer timer.Stop()
	select {
	case res := <-rc:
		if res.line == "0" {
			return p, nil
		}
		p.stop()
		return nil, proxyError(m, res.line)
	case <-timer.C:
		p.stop()
		return nil, types.TimeoutErrorf("portmapper: proxy for %s did not report readiness within %s", m.key(), pm.opts.ProxyReadyTimeout)
	}
}

func proxyError(m *mapping, msg string) error {
	switch {
	case msg == "":
		return types.InternalErrorf("portmapper: proxy for %s exited without reporting readiness", m.key())
	case strings.Contains(msg, "address already in use"):
		return types.ConflictErrorf("portmapper: host port %s is in use by another process: %s", m.key(), msg)
	case strings.Contains(msg, "cannot assign requested address"):
		return types.BadRequestErrorf("portmapper: host IP %v is not an address of this host: %s", m.hostIP, msg)
	}
	return types.InternalErrorf("portmapper: proxy for %s: %s", m.key(), msg)
}

// stop ends the proxy (SIGTERM, then SIGKILL after a grace period) and
// waits until it is reaped.
func (p *proxyProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(proxyStopGrace)
	defer t.Stop()
	select {
	case <-p.done:
		return
	case <-t.C:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	logrus.WithField("pid", p.cmd.Process.Pid).Debug("portmapper: proxy killed after the grace period")
}
