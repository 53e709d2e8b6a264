package testutils

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/vishvananda/netns"
)

// EtcdBinary is the etcd server the tests start (Debian's etcd-server).
const EtcdBinary = "etcd"

// EtcdTLS are the server's TLS files; with ClientCA set, clients must
// present a certificate signed by it.
type EtcdTLS struct {
	CertFile, KeyFile, ClientCA string
	// Probe is the client config the readiness check uses.
	Probe *tls.Config
}

// Etcd is one single-member etcd server started by a test on loopback,
// with its data in a directory of the test.
type Etcd struct {
	t       testing.TB
	DataDir string
	// ClientAddr is host:port of the client URL.
	ClientAddr string
	peerURL    string
	tls        *EtcdTLS
	cmd        *exec.Cmd
	exited     chan struct{}
	logFile    string
	// name and cluster are the member's name and --initial-cluster;
	// with inNS the member runs in ns.
	name, cluster string
	inNS          bool
	ns            netns.NsHandle
}

// StartEtcd starts an etcd member on 127.0.0.1 with free ports and waits
// until it serves. It skips t when the etcd binary is absent
// (hack/install-deps.sh installs it). The server is killed at cleanup.
func StartEtcd(t testing.TB, tlsFiles *EtcdTLS) *Etcd {
	t.Helper()
	if _, err := exec.LookPath(EtcdBinary); err != nil {
		t.Skipf("skipped: %s not installed (hack/install-deps.sh installs Debian's etcd-server): %v", EtcdBinary, err)
	}
	dir := t.TempDir()
	addrs := FreeAddrs(t, 2)
	e := &Etcd{t: t, DataDir: etcdDataDir(t), ClientAddr: addrs[0],
		peerURL: "http://" + addrs[1], tls: tlsFiles, logFile: filepath.Join(dir, "etcd.log"), name: "test"}
	e.cluster = e.name + "=" + e.peerURL
	t.Cleanup(e.Stop)
	e.Start()
	return e
}

// etcdDataDir returns a fresh data dir in memory (/dev/shm) where there is
// one: etcd 3.4 fsyncs every write, which a loaded disk makes take seconds.
func etcdDataDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "cnmkit-etcd-")
	if err != nil {
		return filepath.Join(t.TempDir(), "data")
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return filepath.Join(dir, "data")
}

// EtcdMember places one member of an etcd cluster: in namespace NS, on
// IP (client port 2379, peer port 2380).
type EtcdMember struct {
	NS netns.NsHandle
	IP string
}

// StartEtcdCluster starts an etcd cluster of one member per entry of
// members, each inside its namespace, and waits until every member
// serves. It skips t when the etcd binary is absent. The members are
// killed at cleanup.
func StartEtcdCluster(t testing.TB, members []EtcdMember) []*Etcd {
	t.Helper()
	if _, err := exec.LookPath(EtcdBinary); err != nil {
		t.Skipf("skipped: %s not installed (hack/install-deps.sh installs Debian's etcd-server): %v", EtcdBinary, err)
	}
	out := make([]*Etcd, 0, len(members))
	var cluster []string
	for i, m := range members {
		dir := t.TempDir()
		e := &Etcd{t: t, DataDir: etcdDataDir(t), ClientAddr: net.JoinHostPort(m.IP, "2379"),
			peerURL: "http://" + net.JoinHostPort(m.IP, "2380"), logFile: filepath.Join(dir, "etcd.log"),
			name: fmt.Sprintf("m%d", i+1), inNS: true, ns: m.NS}
		cluster = append(cluster, e.name+"="+e.peerURL)
		out = append(out, e)
	}
	for _, e := range out {
		e.cluster = strings.Join(cluster, ",")
		t.Cleanup(e.Stop)
		e.launch()
	}
	for _, e := range out {
		e.waitHealthy(30 * time.Second)
	}
	return out
}

// URL is the client URL.
func (e *Etcd) URL() string {
	if e.tls != nil {
		return "https://" + e.ClientAddr
	}
	return "http://" + e.ClientAddr
}

// Start (re)starts the server on the same data dir and ports and waits
// until it answers /health.
func (e *Etcd) Start() {
	e.t.Helper()
	e.launch()
	e.waitHealthy(20 * time.Second)
}

// launch starts the server process (in its namespace, if any).
func (e *Etcd) launch() {
	e.t.Helper()
	if e.cmd != nil {
		e.t.Fatal("etcd already running")
	}
	args := []string{"--name", e.name, "--data-dir", e.DataDir,
		"--listen-client-urls", e.URL(), "--advertise-client-urls", e.URL(),
		"--listen-peer-urls", e.peerURL, "--initial-advertise-peer-urls", e.peerURL,
		"--initial-cluster", e.cluster, "--logger", "zap", "--log-outputs", e.logFile}
	if e.tls != nil {
		args = append(args, "--cert-file", e.tls.CertFile, "--key-file", e.tls.KeyFile)
		if e.tls.ClientCA != "" {
			args = append(args, "--trusted-ca-file", e.tls.ClientCA, "--client-cert-auth")
		}
	}
	cmd := exec.Command(EtcdBinary, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := cmd.Start
	if e.inNS {
		// Forked from a thread inside the namespace: etcd is born there.
		start = func() error { return ns.WithNetNS(e.ns, cmd.Start) }
	}
	if err := start(); err != nil {
		e.t.Fatalf("start etcd: %v", err)
	}
	e.cmd, e.exited = cmd, make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(cmd, e.exited)
}

// waitHealthy polls /health until it reports true, etcd exits or within
// passes.
func (e *Etcd) waitHealthy(within time.Duration) {
	e.t.Helper()
	tr := &http.Transport{TLSClientConfig: nil}
	if e.inNS {
		tr.DialContext = func(ctx context.Context, network, addr string) (c net.Conn, err error) {
			var d net.Dialer
			err = ns.WithNetNS(e.ns, func() error {
				c, err = d.DialContext(ctx, network, addr)
				return err
			})
			return c, err
		}
	}
	if e.tls != nil {
		tr.TLSClientConfig = e.tls.Probe
	}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: time.Second}
	deadline := time.Now().Add(within)
	wait := 5 * time.Millisecond
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-e.exited:
			e.t.Fatalf("etcd exited before serving: %s", e.Log())
		default:
		}
		resp, err := c.Get(e.URL() + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("health: %s", resp.Status)
		}
		last = err
		time.Sleep(wait)
		if wait < 100*time.Millisecond {
			wait *= 2
		}
	}
	e.t.Fatalf("etcd on %s not healthy after %v: %v\n%s", e.ClientAddr, within, last, e.Log())
}

// Kill kills the server by its PID with SIGKILL and waits for it to exit.
func (e *Etcd) Kill() {
	if e.cmd == nil {
		return
	}
	_ = syscall.Kill(e.cmd.Process.Pid, syscall.SIGKILL)
	<-e.exited
	e.cmd = nil
}

// Stop kills the server if it runs.
func (e *Etcd) Stop() { e.Kill() }

// Log returns the tail of the server's log, for failure messages.
func (e *Etcd) Log() string {
	b, _ := os.ReadFile(e.logFile)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// FreeAddrs returns n distinct 127.0.0.1:port addresses whose ports were
// free just now in the caller's namespace (all held open together, so
// none repeats).
func FreeAddrs(t testing.TB, n int) []string {
	t.Helper()
	out := make([]string, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		defer l.Close()
		out = append(out, l.Addr().String())
	}
	return out
}
