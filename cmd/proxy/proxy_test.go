package main

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

func TestParseArgs(t *testing.T) {
	ok := []string{"-proto", "udp", "-host-ip", "0.0.0.0", "-host-port", "53", "-container-ip", "10.0.0.2", "-container-port", "5353"}
	c, err := parseArgs(ok, io.Discard)
	if err != nil || c.proto != "udp" || c.hostPort != 53 || c.ctrPort != 5353 || !c.ctr.Equal(net.ParseIP("10.0.0.2")) {
		t.Fatalf("parseArgs = %+v, %v", c, err)
	}
	with := func(flag, val string) []string {
		out := append([]string(nil), ok...)
		for i := range out {
			if out[i] == flag {
				out[i+1] = val
			}
		}
		return out
	}
	bad := map[string][]string{
		"proto":       with("-proto", "sctp"),
		"host ip":     with("-host-ip", "nope"),
		"host port":   with("-host-port", "70000"),
		"ctr ip":      with("-container-ip", ""),
		"ctr port":    with("-container-port", "0"),
		"extra":       append(append([]string(nil), ok...), "junk"),
		"unknown flg": append(append([]string(nil), ok...), "-bogus"),
	}
	for name, args := range bad {
		if _, err := parseArgs(args, io.Discard); err == nil {
			t.Errorf("%s: %q accepted", name, args)
		}
	}
	if network("tcp", net.ParseIP("::1")) != "tcp6" || network("udp", net.ParseIP("127.0.0.1")) != "udp4" {
		t.Error("network() picks the wrong family")
	}
}

// buildProxy builds this command into a temp dir.
func buildProxy(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "proxy")
	out, err := exec.Command("go", "build", "-buildvcs=false", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type proc struct {
	cmd   *exec.Cmd
	ready string
}

// startProxy runs the binary with a readiness pipe on fd 3 and returns its
// first line. The process is killed and reaped at cleanup.
func startProxy(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(args, "-ready-fd", "3")...)
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	done := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-done
	})
	go func() { _ = cmd.Wait(); close(done) }()
	line, _ := bufio.NewReader(r).ReadString('\n')
	r.Close()
	return &proc{cmd: cmd, ready: strings.TrimSpace(line)}
}

func freePort(t *testing.T, proto string) int {
	t.Helper()
	if proto == "udp" {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func args(proto string, hostPort, ctrPort int, extra ...string) []string {
	return append([]string{"-proto", proto, "-host-ip", "127.0.0.1", "-host-port", strconv.Itoa(hostPort),
		"-container-ip", "127.0.0.1", "-container-port", strconv.Itoa(ctrPort)}, extra...)
}

func TestTCPForwarding(t *testing.T) {
	bin := buildProxy(t)
	srv, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go func() {
		for {
			c, err := srv.Accept()
			if err != nil {
				return
			}
			go func() { // echo in upper case, then close when the client half-closes
				defer c.Close()
				b, _ := io.ReadAll(c)
				_, _ = c.Write([]byte(strings.ToUpper(string(b))))
			}()
		}
	}()
	hp := freePort(t, "tcp")
	p := startProxy(t, bin, args("tcp", hp, srv.Addr().(*net.TCPAddr).Port)...)
	if p.ready != "0" {
		t.Fatalf("readiness = %q", p.ready)
	}
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp4", "127.0.0.1:"+strconv.Itoa(hp))
		if err != nil {
			t.Fatal(err)
		}
		msg := "hello " + strconv.Itoa(i)
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).CloseWrite()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(c)
		c.Close()
		if err != nil || string(got) != strings.ToUpper(msg) {
			t.Fatalf("got %q, %v", got, err)
		}
	}
}

// sockets counts the socket fds of pid.
func sockets(t *testing.T, pid int) int {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

func TestUDPForwardingAndIdleTimeout(t *testing.T) {
	bin := buildProxy(t)
	srv, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go func() { // reply with the payload and the source the server saw
		buf := make([]byte, 2048)
		for {
			n, from, err := srv.ReadFromUDP(buf)
			if err != nil {
				return
			}
			_, _ = srv.WriteToUDP([]byte(string(buf[:n])+" from "+from.String()), from)
		}
	}()
	hp := freePort(t, "udp")
	p := startProxy(t, bin, args("udp", hp, srv.LocalAddr().(*net.UDPAddr).Port, "-udp-idle-timeout", "1s")...)
	if p.ready != "0" {
		t.Fatalf("readiness = %q", p.ready)
	}
	base := sockets(t, p.cmd.Process.Pid)
	clients := make([]*net.UDPConn, 2)
	seen := map[string]bool{}
	for i := range clients {
		c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: hp})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
		for j := 0; j < 2; j++ {
			reply := udpRoundTrip(t, c, "ping")
			from := reply[strings.LastIndex(reply, " ")+1:]
			if j == 0 {
				seen[from] = true
			} else if !seen[from] {
				t.Fatalf("client %d: second datagram came from a new flow %s", i, from)
			}
		}
	}
	if len(seen) != 2 {
		t.Fatalf("two clients share a flow: %v", seen)
	}
	if got := sockets(t, p.cmd.Process.Pid); got != base+2 {
		t.Fatalf("proxy has %d sockets, want %d (listener + one per client)", got, base+2)
	}
	deadline := time.Now().Add(10 * time.Second)
	for sockets(t, p.cmd.Process.Pid) != base {
		if time.Now().After(deadline) {
			t.Fatalf("idle flows not dropped: %d sockets", sockets(t, p.cmd.Process.Pid))
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
	if reply := udpRoundTrip(t, clients[0], "again"); !strings.HasPrefix(reply, "again") {
		t.Fatalf("after idle: %q", reply)
	}
}

func udpRoundTrip(t *testing.T, c *net.UDPConn, msg string) string {
	t.Helper()
	buf := make([]byte, 2048)
	for try := 0; try < 20; try++ {
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, err := c.Read(buf)
		if err == nil {
			return string(buf[:n])
		}
	}
	t.Fatalf("no UDP reply to %q", msg)
	return ""
}

func TestBusyPortReportsError(t *testing.T) {
	bin := buildProxy(t)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	p := startProxy(t, bin, args("tcp", port, 80)...)
	if !strings.Contains(p.ready, "address already in use") {
		t.Fatalf("readiness = %q, want the bind error", p.ready)
	}
	bad := startProxy(t, bin, "-proto", "sctp", "-host-ip", "127.0.0.1", "-host-port", "1", "-container-ip", "127.0.0.1", "-container-port", "1")
	if !strings.Contains(bad.ready, `unsupported protocol "sctp"`) {
		t.Fatalf("readiness = %q", bad.ready)
	}
}
