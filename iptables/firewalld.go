package iptables

import (
	"errors"
	"sync"

	"github.com/cnmkit/libnetwork/types"
	"github.com/godbus/dbus/v5"
	"github.com/sirupsen/logrus"
)

// firewalld's D-Bus names.
const (
	fwdName      = "org.fedoraproject.FirewallD1"
	fwdPath      = dbus.ObjectPath("/org/fedoraproject/FirewallD1")
	fwdInterface = "org.fedoraproject.FirewallD1"
	fwdDirect    = fwdInterface + ".direct"
	dbusName     = "org.freedesktop.DBus"
)

// errFirewalldGone is a passthrough that found no firewalld on the bus.
var errFirewalldGone = errors.New("firewalld is not running")

// Conn is the connection to firewalld on the D-Bus system bus that
// FirewalldInit opens while firewalld runs.
type Conn struct {
	sysconn *dbus.Conn
	sysobj  dbus.BusObject
	signal  chan *dbus.Signal
}

var fwd struct {
	mu        sync.Mutex
	conn      *Conn
	running   bool
	callbacks []func()
}

// FirewalldInit connects to the D-Bus system bus (DBUS_SYSTEM_BUS_ADDRESS,
// or the standard socket) and checks whether firewalld runs there. While it
// does, Raw passes commands through it and OnReloaded callbacks run after
// each firewalld reload. With no system bus it returns a NoService error;
// with a bus but no firewalld, nil, and FirewalldRunning reports false.
func FirewalldInit() error {
	c, err := dbus.ConnectSystemBus()
	if err != nil {
		return types.NoServiceErrorf("iptables: connect to the D-Bus system bus: %w", err)
	}
	conn := &Conn{sysconn: c, sysobj: c.Object(fwdName, fwdPath), signal: make(chan *dbus.Signal, 16)}
	running := conn.checkRunning()
	if err := conn.watch(); err != nil {
		c.Close()
		return types.InternalErrorf("iptables: watch firewalld on D-Bus: %w", err)
	}
	swapConn(conn, running)
	go conn.handleSignals()
	logrus.WithField("running", running).Debug("iptables: firewalld checked")
	return nil
}

// FirewalldRunning reports whether FirewalldInit found firewalld running
// (and it has not left the bus since).
func FirewalldRunning() bool { return firewalldRunning() }

func firewalldRunning() bool {
	fwd.mu.Lock()
	defer fwd.mu.Unlock()
	return fwd.running
}

// checkRunning asks firewalld for its default zone: an answer means it runs.
func (c *Conn) checkRunning() bool {
	var zone string
	return c.sysobj.Call(fwdInterface+".getDefaultZone", 0).Store(&zone) == nil
}

// watch subscribes to firewalld's Reloaded signal and to owner changes of
// its bus name.
func (c *Conn) watch() error {
	if err := c.sysconn.AddMatchSignal(dbus.WithMatchInterface(fwdInterface), dbus.WithMatchMember("Reloaded")); err != nil {
		return err
	}
	if err := c.sysconn.AddMatchSignal(dbus.WithMatchInterface(dbusName), dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, fwdName)); err != nil {
		return err
	}
	c.sysconn.Signal(c.signal)
	return nil
}

// handleSignals runs the reload callbacks when firewalld reloads or
// (re)starts, and marks it gone when it leaves the bus. It ends with the
// connection.
func (c *Conn) handleSignals() {
	for s := range c.signal {
		switch s.Name {
		case fwdInterface + ".Reloaded":
			runReloaded()
		case dbusName + ".NameOwnerChanged":
			if len(s.Body) < 3 {
				continue
			}
			owner, _ := s.Body[2].(string)
			fwd.mu.Lock()
			current := fwd.conn == c
			if current {
				fwd.running = owner != ""
			}
			fwd.mu.Unlock()
			if current && owner != "" {
				runReloaded()
			}
		}
	}
}

func runReloaded() {
	fwd.mu.Lock()
	cbs := append([]func(){}, fwd.callbacks...)
	fwd.mu.Unlock()
	for _, cb := range cbs {
		cb()
	}
}

// OnReloaded registers callback to run after each firewalld reload (the
// reload drops the rules programmed through it).
func OnReloaded(callback func()) {
	if callback == nil {
		return
	}
	fwd.mu.Lock()
	fwd.callbacks = append(fwd.callbacks, callback)
	fwd.mu.Unlock()
}

// Passthrough runs args on firewalld's ipv firewall through its direct
// passthrough and returns the command's output. Without a running
// firewalld it is a NoService error.
func Passthrough(ipv IPV, args ...string) ([]byte, error) {
	switch ipv {
	case Iptables, IP6Tables, Ebtables:
	default:
		return nil, types.BadRequestErrorf("iptables: unknown firewall %q for passthrough", string(ipv))
	}
	fwd.mu.Lock()
	c, running := fwd.conn, fwd.running
	fwd.mu.Unlock()
	if c == nil || !running {
		return nil, types.NoServiceErrorf("iptables: passthrough %v: %w", args, errFirewalldGone)
	}
	var out string
	if err := c.sysobj.Call(fwdDirect+".passthrough", 0, string(ipv), args).Store(&out); err != nil {
		var de dbus.Error
		if errors.As(err, &de) && (de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || de.Name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
			return nil, types.NoServiceErrorf("iptables: passthrough %v: %w: %w", args, errFirewalldGone, err)
		}
		return nil, types.InternalErrorf("iptables: firewalld passthrough %s %v: %w", ipv, args, err)
	}
	return []byte(out), nil
}

// firewalldClose closes the connection FirewalldInit opened.
func firewalldClose() {
	swapConn(nil, false)
}

// swapConn makes conn the firewalld connection and closes the one before.
func swapConn(conn *Conn, running bool) {
	fwd.mu.Lock()
	old := fwd.conn
	fwd.conn, fwd.running = conn, running
	fwd.mu.Unlock()
	if old != nil {
		old.sysconn.Close()
	}
}
