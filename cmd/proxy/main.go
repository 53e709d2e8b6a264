// Command proxy forwards one published host port to a container port, for
// the traffic that DNAT rules cannot carry (from the host's loopback). The
// portmapper starts one per mapping and waits on an inherited pipe (the
// -ready-fd) for "0\n" once the port is bound, or for an error message.
//
// Usage:
//
//	proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.18.0.2 -container-port 80 [-ready-fd 3]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// config is the proxy's command line.
type config struct {
	proto       string
	host        net.IP
	hostPort    int
	ctr         net.IP
	ctrPort     int
	readyFD     int
	udpIdle     time.Duration
	dialTimeout time.Duration
}

func parseArgs(args []string, errOut io.Writer) (config, error) {
	var c config
	var hostIP, ctrIP string
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&c.proto, "proto", "tcp", "protocol: tcp or udp")
	fs.StringVar(&hostIP, "host-ip", "", "host IP to listen on")
	fs.IntVar(&c.hostPort, "host-port", -1, "host port to listen on")
	fs.StringVar(&ctrIP, "container-ip", "", "container IP to forward to")
	fs.IntVar(&c.ctrPort, "container-port", -1, "container port to forward to")
	fs.IntVar(&c.readyFD, "ready-fd", -1, "inherited fd to report readiness on (\"0\\n\" or an error)")
	fs.DurationVar(&c.udpIdle, "udp-idle-timeout", 90*time.Second, "idle time after which a UDP client's flow is dropped")
	fs.DurationVar(&c.dialTimeout, "dial-timeout", 10*time.Second, "timeout of a TCP connection to the container")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.proto != "tcp" && c.proto != "udp" {
		return c, fmt.Errorf("unsupported protocol %q", c.proto)
	}
	if c.host = net.ParseIP(hostIP); c.host == nil {
		return c, fmt.Errorf("invalid -host-ip %q", hostIP)
	}
	if c.ctr = net.ParseIP(ctrIP); c.ctr == nil {
		return c, fmt.Errorf("invalid -container-ip %q", ctrIP)
	}
	if c.hostPort < 1 || c.hostPort > 65535 {
		return c, fmt.Errorf("invalid -host-port %d", c.hostPort)
	}
	if c.ctrPort < 1 || c.ctrPort > 65535 {
		return c, fmt.Errorf("invalid -container-port %d", c.ctrPort)
	}
	if c.udpIdle <= 0 || c.dialTimeout <= 0 {
		return c, errors.New("timeouts must be positive")
	}
	return c, nil
}

// network returns "tcp4", "udp6"... so that a v6 listener is v6-only and
// does not collide with the v4 wildcard.
func network(proto string, ip net.IP) string {
	if ip.To4() != nil {
		return proto + "4"
	}
	return proto + "6"
}

// proxy serves until its listener is closed.
type proxy interface {
	serve()
	close()
}

func listen(c config) (proxy, error) {
	if c.proto == "tcp" {
		return newTCPProxy(c)
	}
	return newUDPProxy(c)
}

func main() {
	c, err := parseArgs(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fail(c.readyFD, err)
	}
	p, err := listen(c)
	if err != nil {
		fail(c.readyFD, err)
	}
	ready(c.readyFD, "0\n")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		<-sig
		p.close()
		os.Exit(0)
	}()
	p.serve()
}

// ready writes msg to the readiness fd (if any) and closes it.
func ready(fd int, msg string) {
	if fd < 0 {
		return
	}
	f := os.NewFile(uintptr(fd), "ready")
	if f == nil {
		return
	}
	_, _ = f.WriteString(msg)
	_ = f.Close()
}

func fail(fd int, err error) {
	fmt.Fprintln(os.Stderr, "proxy:", err)
	ready(fd, err.Error()+"\n")
	os.Exit(1)
}
