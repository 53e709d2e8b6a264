// Command cnmplug is a network or IPAM plugin written with Docker's
// go-plugins-helpers, for the integration tests: it serves a unix socket
// (or TCP with a spec file), appends every call it gets to a JSON-lines
// log, keeps its state in a file (so a restarted plugin knows its
// networks), and blocks in a call while a FIFO named after the call exists
// in its block dir (the test opens it to know the plugin is inside the
// call, then kills it or lets it go on).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/docker/go-plugins-helpers/ipam"
	"github.com/docker/go-plugins-helpers/network"
)

var (
	kind     = flag.String("kind", "network", "network or ipam")
	sock     = flag.String("sock", "", "unix socket path to serve")
	tcpAddr  = flag.String("tcp", "", "TCP address to serve (with -spec)")
	specPath = flag.String("spec", "", "spec file to write with the TCP URL")
	logPath  = flag.String("log", "", "JSON-lines call log")
	state    = flag.String("state", "", "state file")
	blockDir = flag.String("block-dir", "", "dir of FIFOs named after calls to block in")
	pool     = flag.String("pool", "10.123.0.0/24", "IPAM: the pool handed out when none is asked for")
)

// record is one line of the call log.
type record struct {
	Call string
	Req  interface{}
}

var logMu sync.Mutex

// logCall appends the call to the log, then blocks while a FIFO named
// after it is in the block dir.
func logCall(call string, req interface{}) {
	logMu.Lock()
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err == nil {
			b, _ := json.Marshal(record{Call: call, Req: req})
			_, _ = f.Write(append(b, '\n'))
			f.Close()
		}
	}
	logMu.Unlock()
	if *blockDir == "" {
		return
	}
	fifo := filepath.Join(*blockDir, call)
	if fi, err := os.Stat(fifo); err == nil && fi.Mode()&os.ModeNamedPipe != 0 {
		// Opening a FIFO blocks until the test opens it for writing; the
		// read then waits until the test closes it (or kills us).
		if f, err := os.Open(fifo); err == nil {
			var b [1]byte
			_, _ = f.Read(b[:])
			f.Close()
		}
	}
}

func main() {
	flag.Parse()
	var l net.Listener
	var err error
	if *sock != "" {
		_ = os.Remove(*sock)
		l, err = net.Listen("unix", *sock)
	} else {
		l, err = net.Listen("tcp", *tcpAddr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cnmplug:", err)
		os.Exit(1)
	}
	if *specPath != "" {
		tmp := *specPath + ".tmp"
		if err := os.WriteFile(tmp, []byte("tcp://"+l.Addr().String()+"\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "cnmplug:", err)
			os.Exit(1)
		}
		if err := os.Rename(tmp, *specPath); err != nil {
			fmt.Fprintln(os.Stderr, "cnmplug:", err)
			os.Exit(1)
		}
	}
	switch *kind {
	case "network":
		d := &netDriver{}
		d.load()
		err = network.NewHandler(d).Serve(l)
	case "ipam":
		a := &ipamDriver{}
		a.load()
		err = ipam.NewHandler(a).Serve(l)
	default:
		err = fmt.Errorf("unknown kind %q", *kind)
	}
	fmt.Fprintln(os.Stderr, "cnmplug:", err)
	os.Exit(1)
}

// saveState writes v to the state file atomically.
func saveState(v interface{}) {
	if *state == "" {
		return
	}
	b, _ := json.Marshal(v)
	tmp := *state + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err == nil {
		_ = os.Rename(tmp, *state)
	}
}

// loadState reads the state file into v, when there is one.
func loadState(v interface{}) {
	if *state == "" {
		return
	}
	if b, err := os.ReadFile(*state); err == nil {
		_ = json.Unmarshal(b, v)
	}
}
