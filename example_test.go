package libnetwork_test

import (
	"bufio"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
	"github.com/miekg/dns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// dirs returns a data dir and an exec root of the example's own (a
// daemon uses the defaults, /var/lib/cnmkit and /run/cnmkit).
func dirs() []config.Option {
	dir, err := os.MkdirTemp("", "cnmkit-example")
	if err != nil {
		log.Fatal(err)
	}
	return []config.Option{config.OptionDataDir(filepath.Join(dir, "data")), config.OptionExecRoot(filepath.Join(dir, "run"))}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// onPool is the IPAM option of a network on one IPv4 subnet.
func onPool(subnet string) libnetwork.NetworkOption {
	return libnetwork.NetworkOptionIpam("default", "", []*libnetwork.IpamConf{{PreferredPool: subnet}}, nil, nil)
}

// The main flow: a controller, a bridge network, an endpoint, a sandbox
// for a container and the join that gives the container its interface.
// Run as root; everything happens in the caller's network namespace.
func Example() {
	c, err := libnetwork.New(dirs()...)
	check(err)
	defer c.Stop()

	n, err := c.NewNetwork("bridge", "net1", "", onPool("10.10.0.0/24"))
	check(err)
	ep, err := n.CreateEndpoint("ep1")
	check(err)
	sb, err := c.NewSandbox("container1", libnetwork.OptionHostname("c1"))
	check(err)
	check(ep.Join(sb))

	// sb.Key() is the path of the container's network namespace: a
	// runtime hands it to the container (or uses OptionUseExternalKey).
	fmt.Println("address:", ep.Info().Iface().Address())
	fmt.Println("gateway:", ep.Info().Gateway())

	// Undo in reverse order.
	check(ep.Leave(sb))
	check(ep.Delete(false))
	check(sb.Delete())
	check(n.Delete())
	// Prints:
	// address: 10.10.0.2/24
	// gateway: 10.10.0.1
}

// Publishing a container's port on the host: the binding is given at
// endpoint creation and programmed at Join. The bridge driver programs
// the firewall (and so publishes ports) only when told to, as
// libnetwork's did: EnableIPTables, here with EnableIPForwarding.
func Example_publishPort() {
	bridgeCfg := config.OptionDriverConfig("bridge", map[string]interface{}{
		netlabel.GenericData: options.Generic{"EnableIPTables": true, "EnableIPForwarding": true}})
	c, err := libnetwork.New(append(dirs(), bridgeCfg)...)
	check(err)
	defer c.Stop()
	n, err := c.NewNetwork("bridge", "web", "", onPool("10.11.0.0/24"))
	check(err)
	ep, err := n.CreateEndpoint("web1",
		libnetwork.CreateOptionExposedPorts([]types.TransportPort{{Proto: types.TCP, Port: 80}}),
		libnetwork.CreateOptionPortMapping([]types.PortBinding{{Proto: types.TCP, Port: 80, HostPort: 8080}}))
	check(err)
	sb, err := c.NewSandbox("web1")
	check(err)
	check(ep.Join(sb))

	info, err := ep.DriverInfo()
	check(err)
	for _, pb := range info[netlabel.PortMap].([]types.PortBinding) {
		fmt.Printf("%s/%d published on host port %d\n", pb.Proto, pb.Port, pb.HostPort)
	}
	// A server in the container answers on the host's port.
	l := listenIn(sb.Key(), ":80")
	go serveOnce(l, "hello from web1")
	fmt.Print(dialLine("127.0.0.1:8080"))

	check(ep.Leave(sb))
	check(ep.Delete(false))
	check(sb.Delete())
	check(n.Delete())
	// Prints:
	// tcp/80 published on host port 8080
	// hello from web1
}

// A runtime's order (Docker's): the sandbox is created with an external
// key and joined before the container exists; the runtime then starts the
// container in a network namespace of its own and hands that namespace
// over with SetKey (the cnm-setkey OCI prestart hook does it through the
// controller's socket). The joined interfaces move in.
func Example_externalKey() {
	c, err := libnetwork.New(dirs()...)
	check(err)
	defer c.Stop()
	n, err := c.NewNetwork("bridge", "net1", "", onPool("10.12.0.0/24"))
	check(err)
	ep, err := n.CreateEndpoint("ep1")
	check(err)
	sb, err := c.NewSandbox("container1", libnetwork.OptionUseExternalKey())
	check(err)
	check(ep.Join(sb))

	// The "container": a process in a new network namespace.
	ctr := exec.Command("sleep", "60")
	ctr.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	check(ctr.Start())
	defer func() { _ = ctr.Process.Kill(); _ = ctr.Wait() }()
	check(sb.SetKey(fmt.Sprintf("/proc/%d/ns/net", ctr.Process.Pid)))

	h, err := netns.GetFromPid(ctr.Process.Pid)
	check(err)
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	check(err)
	defer nl.Close()
	link, err := nl.LinkByName("eth0")
	check(err)
	addrs, err := nl.AddrList(link, netlink.FAMILY_V4)
	check(err)
	fmt.Println("the container has", link.Attrs().Name, addrs[0].IPNet)

	check(ep.Leave(sb))
	check(ep.Delete(false))
	check(sb.Delete())
	check(n.Delete())
	// Prints:
	// the container has eth0 10.12.0.2/24
}

// A restart: Stop keeps networks, endpoints and sandboxes in the kernel
// and the stores; the next controller keeps the sandboxes named in
// OptionActiveSandboxes (by container or sandbox ID) and removes the
// others with their endpoints.
func Example_restart() {
	opts := dirs()
	c, err := libnetwork.New(opts...)
	check(err)
	n, err := c.NewNetwork("bridge", "net1", "", onPool("10.13.0.0/24"))
	check(err)
	for _, name := range []string{"alive", "gone"} {
		ep, err := n.CreateEndpoint(name)
		check(err)
		sb, err := c.NewSandbox(name)
		check(err)
		check(ep.Join(sb))
	}
	c.Stop()

	c, err = libnetwork.New(append(opts, config.OptionActiveSandboxes(map[string]interface{}{"alive": nil}))...)
	check(err)
	defer c.Stop()
	for _, sb := range c.Sandboxes() {
		for _, ep := range sb.Endpoints() {
			fmt.Println("kept", sb.ContainerID(), "with", ep.Name(), ep.Info().Iface().Address())
		}
	}
	n, err = c.NetworkByName("net1")
	check(err)
	fmt.Println("endpoints on net1:", len(n.Endpoints()))

	for _, sb := range c.Sandboxes() {
		check(sb.Delete())
	}
	check(n.Delete())
	// Prints:
	// kept alive with alive 10.13.0.2/24
	// endpoints on net1: 1
}

// An overlay network needs the controller to be in a cluster
// (OptionCluster): here a cluster of one host on the loopback; on real
// hosts BindAddr is the host's address and Peers names other hosts.
// Containers on the network reach each other by name through the
// embedded DNS server.
func Example_overlay() {
	cl := config.OptionCluster(config.ClusterCfg{NodeName: "host1", BindAddr: "127.0.0.1"})
	c, err := libnetwork.New(append(dirs(), cl)...)
	check(err)
	defer c.Stop()
	n, err := c.NewNetwork("overlay", "ov1", "", onPool("10.20.0.0/24"),
		libnetwork.NetworkOptionDriverOpts(map[string]string{"com.docker.network.driver.overlay.vxlanid_list": "4242"}))
	check(err)
	var sbs []libnetwork.Sandbox
	for _, name := range []string{"a", "b"} {
		ep, err := n.CreateEndpoint(name)
		check(err)
		sb, err := c.NewSandbox(name)
		check(err)
		check(ep.Join(sb))
		sbs = append(sbs, sb)
	}
	l := listenIn(sbs[1].Key(), ":7000")
	go serveOnce(l, "hello from b")
	// In a's namespace: ask the embedded DNS server for b, then dial it.
	var line string
	check(ns.WithNetNSPath(sbs[0].Key(), func() error {
		q := new(dns.Msg).SetQuestion("b.", dns.TypeA)
		answer, _, err := new(dns.Client).Exchange(q, "127.0.0.11:53")
		if err != nil || len(answer.Answer) == 0 {
			return fmt.Errorf("resolve b: %v %v", err, answer)
		}
		b := answer.Answer[0].(*dns.A).A
		fmt.Println("b is", b)
		line = dialLine(net.JoinHostPort(b.String(), "7000"))
		return nil
	}))
	fmt.Print(line)

	for _, sb := range sbs {
		check(sb.Delete())
	}
	check(n.Delete())
	// Prints:
	// b is 10.20.0.3
	// hello from b
}

// listenIn listens on addr inside the network namespace at key.
func listenIn(key, addr string) net.Listener {
	var l net.Listener
	check(ns.WithNetNSPath(key, func() (err error) {
		l, err = net.Listen("tcp", addr)
		return err
	}))
	return l
}

// serveOnce answers one connection with msg.
func serveOnce(l net.Listener, msg string) {
	defer l.Close()
	conn, err := l.Accept()
	if err != nil {
		return
	}
	fmt.Fprintln(conn, msg)
	conn.Close()
}

// dialLine reads one line from addr.
func dialLine(addr string) string {
	conn, err := net.Dial("tcp", addr)
	check(err)
	defer conn.Close()
	line, err := bufio.NewReader(conn).ReadString('\n')
	check(err)
	return line
}
