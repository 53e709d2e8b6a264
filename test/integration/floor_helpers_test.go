package integration

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/nlraw"
	"github.com/cnmkit/libnetwork/ns"
	gnft "github.com/google/nftables"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// cpuSnap is the CPU used so far by this process (rusage, user + system)
// and by the kernel's threads (children of kthreadd, from
// /proc/<pid>/schedstat): namespace and link teardown finish in the
// latter (the netns cleanup worker, kworkers, RCU).
type cpuSnap struct {
	proc, kthreads time.Duration
}

func procCPU() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// kthreadCPU sums the run time of the kernel threads (pid 2 and its
// children). Threads that exited between two reads are lost; the kernel
// keeps its worker pools for minutes.
func kthreadCPU() time.Duration {
	d, err := os.Open("/proc")
	if err != nil {
		return 0
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	var sum time.Duration
	buf := make([]byte, 512)
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		if n != "2" {
			st := readSmall("/proc/"+n+"/stat", buf)
			// The fields after the command: state, ppid.
			i := bytes.LastIndexByte(st, ')')
			if i < 0 {
				continue
			}
			f := bytes.Fields(st[i+1:])
			if len(f) < 2 || string(f[1]) != "2" {
				continue
			}
		}
		ss := readSmall("/proc/"+n+"/schedstat", buf)
		if f := bytes.Fields(ss); len(f) > 0 {
			v, _ := strconv.ParseInt(string(f[0]), 10, 64)
			sum += time.Duration(v)
		}
	}
	return sum
}

func readSmall(path string, buf []byte) []byte {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	n, _ := unix.Read(fd, buf)
	if n < 0 {
		return nil
	}
	return buf[:n]
}

// cpuMeter adds up CPU over windows: the process's from start to
// stopProc, the kernel threads' from start to stopKernel (their part of a
// window ends when the kernel objects are gone; the process's may go on
// with deferred work of its own).
type cpuMeter struct {
	sum   cpuSnap
	start cpuSnap
}

func (m *cpuMeter) begin() {
	m.start.kthreads = kthreadCPU()
	m.start.proc = procCPU()
}

func (m *cpuMeter) stopProc()   { m.sum.proc += procCPU() - m.start.proc }
func (m *cpuMeter) stopKernel() { m.sum.kthreads += kthreadCPU() - m.start.kthreads }

// perLifecycle returns the CPU per lifecycle in milliseconds.
func (m *cpuMeter) perLifecycle(n int) (proc, kernel, total float64) {
	f := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(n) }
	return f(m.sum.proc), f(m.sum.kthreads), f(m.sum.proc + m.sum.kthreads)
}

// linkWatch follows the links of a namespace through the kernel's link
// notifications: how many links with a prefix exist, and the peak number
// of links of the namespace.
type linkWatch struct {
	fd    int
	stop  atomic.Bool
	ready chan struct{} // closed once the first dump is in

	mu      sync.Mutex
	cond    *sync.Cond
	present map[string]bool
	peak    int
	err     error
	dumped  bool
}

// watchLinks starts a linkWatch on the namespace h; it stops at cleanup.
func watchLinks(t testing.TB, h netns.NsHandle) *linkWatch {
	t.Helper()
	w := &linkWatch{present: map[string]bool{}, ready: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
	err := ns.WithNetNS(h, func() error {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
		if err != nil {
			return err
		}
		w.fd = fd
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 16<<20)
		// A shutdown does not wake a netlink read: the loop looks at
		// stop between reads.
		_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 100000})
		return unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK})
	})
	if err != nil {
		t.Fatalf("link notifications: %v", err)
	}
	if err := w.dump(); err != nil {
		t.Fatalf("link dump: %v", err)
	}
	done := make(chan struct{})
	go w.loop(done)
	select {
	case <-w.ready:
	case <-time.After(10 * time.Second):
		t.Fatal("link dump: no answer")
	}
	t.Cleanup(func() {
		w.stop.Store(true)
		<-done
		unix.Close(w.fd)
	})
	return w
}

// dump asks the kernel for all links (after an overflow, or at start).
// The answers come on the same socket and are read by loop (or here at
// start, before loop runs).
func (w *linkWatch) dump() error {
	req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_DUMP)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	return unix.Sendto(w.fd, req.Serialize(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
}

func (w *linkWatch) loop(done chan struct{}) {
	defer close(done)
	buf := make([]byte, 1<<20)
	for {
		n, _, err := unix.Recvfrom(w.fd, buf, 0)
		if errors.Is(err, unix.ENOBUFS) {
			w.mu.Lock()
			w.present = map[string]bool{}
			w.mu.Unlock()
			_ = w.dump()
			continue
		}
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
			if w.stop.Load() {
				return
			}
			continue
		}
		if err != nil || n == 0 {
			w.mu.Lock()
			if w.err == nil {
				w.err = fmt.Errorf("link notifications closed: %v", err)
			}
			w.cond.Broadcast()
			w.mu.Unlock()
			return
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			continue
		}
		w.mu.Lock()
		for _, m := range msgs {
			if m.Header.Type == unix.NLMSG_DONE && !w.dumped {
				w.dumped = true
				close(w.ready)
			}
			// The bridge's port notifications (family AF_BRIDGE) are
			// not the link's: its port removal is a DELLINK.
			if m.Header.Type != unix.RTM_NEWLINK && m.Header.Type != unix.RTM_DELLINK || len(m.Data) == 0 || m.Data[0] != unix.AF_UNSPEC {
				continue
			}
			name := nlraw.LinkName(m.Data)
			if name == "" {
				continue
			}
			if m.Header.Type == unix.RTM_NEWLINK {
				w.present[name] = true
			} else {
				delete(w.present, name)
			}
		}
		if len(w.present) > w.peak {
			w.peak = len(w.present)
		}
		w.cond.Broadcast()
		w.mu.Unlock()
	}
}

// count returns the number of links whose name starts with prefix.
func (w *linkWatch) count(prefix string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.countLocked(prefix)
}

func (w *linkWatch) countLocked(prefix string) int {
	n := 0
	for name := range w.present {
		if strings.HasPrefix(name, prefix) {
			n++
		}
	}
	return n
}

// waitCount waits (at most within) until at most n links start with prefix.
func (w *linkWatch) waitCount(prefix string, n int, within time.Duration) error {
	deadline := time.Now().Add(within)
	stop := time.AfterFunc(within, func() {
		w.mu.Lock()
		w.cond.Broadcast()
		w.mu.Unlock()
	})
	defer stop.Stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		c := w.countLocked(prefix)
		if c <= n {
			return nil
		}
		if w.err != nil {
			return w.err
		}
		if time.Now().After(deadline) {
			var names []string
			for name := range w.present {
				if strings.HasPrefix(name, prefix) {
					names = append(names, name)
				}
			}
			if len(names) > 5 {
				names = names[:5]
			}
			return fmt.Errorf("%d links %s* after %v (%s...), want at most %d", c, prefix, within, strings.Join(names, " "), n)
		}
		w.cond.Wait()
	}
}

// resetPeak starts a new peak count from the links present now.
func (w *linkWatch) resetPeak() {
	w.mu.Lock()
	w.peak = len(w.present)
	w.mu.Unlock()
}

func (w *linkWatch) peakLinks() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}

// floor does container lifecycles with the least kernel work and no
// bookkeeping: raw netlink in batches, one nf_tables transaction per
// published port, on the bridge of index bridgeIdx in the namespace host.
type floor struct {
	host      netns.NsHandle
	hs        *nlraw.Socket // route socket in host
	nc        *gnft.Conn    // lasting nf_tables socket in host
	ports     *gnft.Set
	bridgeIdx int
	gw        net.IP
	dir       string
}

// floorCtr is one floor container.
type floorCtr struct {
	path string
	fd   int // the namespace, until detach
	host string
	elem []gnft.SetElement
}

// floorPeerIndex is the index the floor gives eth0 at its birth (lo is 1
// in a new namespace), so that no lookup is needed to address it.
const floorPeerIndex = 2

// floorPrefix starts the floor's host end names.
const floorPrefix = "flv"

func newFloor(t testing.TB, host netns.NsHandle, bridgeIdx int, gw net.IP) *floor {
	t.Helper()
	f := &floor{host: host, bridgeIdx: bridgeIdx, gw: gw, dir: tmpfsDir(t)}
	var err error
	if f.hs, err = nlraw.Open(host); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.hs.Close)
	if f.nc, err = gnft.New(gnft.AsLasting(), gnft.WithNetNSFd(int(host))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.nc.CloseLasting() })
	tbl := f.nc.AddTable(&gnft.Table{Family: gnft.TableFamilyINet, Name: "floorbench"})
	f.ports = &gnft.Set{Table: tbl, Name: "ports", IsMap: true, Concatenation: true,
		KeyType:  gnft.MustConcatSetType(gnft.TypeInetProto, gnft.TypeInetService),
		DataType: gnft.MustConcatSetType(gnft.TypeIPAddr, gnft.TypeInetService)}
	if err := f.nc.AddSet(f.ports, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.nc.Flush(); err != nil {
		t.Fatalf("floor nf_tables map: %v", err)
	}
	t.Cleanup(func() {
		f.nc.DelTable(tbl)
		_ = f.nc.Flush()
	})
	return f
}

// attach creates container i: a pinned namespace, the veth (container end
// born inside as eth0, host end up on the bridge: one request), eth0 up
// with its address and default route and lo up (one batch), and one map
// element for port 80 published on host port 20000+i%40000.
func (f *floor) attach(i int, ip net.IP) (*floorCtr, error) {
	c := &floorCtr{path: filepath.Join(f.dir, fmt.Sprintf("ns%d", i)), host: fmt.Sprintf("%s%d", floorPrefix, i), fd: -1}
	var cs *nlraw.Socket
	err := func() error {
		file, err := os.OpenFile(c.path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
		if err != nil {
			return err
		}
		file.Close()
		errc := make(chan error, 1)
		go func() {
			runtime.LockOSThread()
			if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
				runtime.UnlockOSThread()
				errc <- err
				return
			}
			err := unix.Mount("/proc/thread-self/ns/net", c.path, "none", unix.MS_BIND, "")
			if err == nil {
				c.fd, err = unix.Open(c.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			}
			if err == nil {
				cs, err = nlraw.Open(netns.None())
			}
			if serr := unix.Setns(int(f.host), unix.CLONE_NEWNET); serr != nil {
				errc <- serr // the thread stays locked and dies with the goroutine
				return
			}
			runtime.UnlockOSThread()
			errc <- err
		}()
		return <-errc
	}()
	if err != nil {
		return c, fmt.Errorf("floor namespace: %w", err)
	}
	defer cs.Close()
	if _, err := f.hs.AddVeth(nlraw.Veth{Name: c.host, MasterIndex: f.bridgeIdx, PeerName: "eth0", PeerNSFd: c.fd, PeerIndex: floorPeerIndex}); err != nil {
		return c, fmt.Errorf("floor veth: %w", err)
	}
	if err := containerBatch(cs, ip, f.gw); err != nil {
		return c, fmt.Errorf("floor container config: %w", err)
	}
	port := uint16(20000 + i%40000)
	c.elem = []gnft.SetElement{{Key: protoPort(unix.IPPROTO_TCP, port), Val: append(append([]byte{}, ip.To4()...), 0, 80, 0, 0)}}
	if err := f.nc.SetAddElements(f.ports, c.elem); err != nil {
		return c, err
	}
	if err := f.nc.Flush(); err != nil {
		return c, fmt.Errorf("floor map element: %w", err)
	}
	return c, nil
}

// protoPort is the key proto . port (each field padded to 4 bytes).
func protoPort(proto uint8, port uint16) []byte {
	k := []byte{proto, 0, 0, 0}
	return append(binary.BigEndian.AppendUint16(k, port), 0, 0)
}

// detach removes the map element and drops the namespace: the kernel
// deletes the veth pair with it.
func (f *floor) detach(c *floorCtr) error {
	if c.elem != nil {
		if err := f.nc.SetDeleteElements(f.ports, c.elem); err != nil {
			return err
		}
		if err := f.nc.Flush(); err != nil {
			return fmt.Errorf("floor map element: %w", err)
		}
	}
	if c.fd >= 0 {
		unix.Close(c.fd)
	}
	if err := unix.Unmount(c.path, unix.MNT_DETACH); err != nil {
		return err
	}
	return os.Remove(c.path)
}

// containerBatch sends eth0 up, its address ip/16, the default route via
// gw and lo up as one batch (one sendmsg) and reads the four acks.
func containerBatch(s *nlraw.Socket, ip, gw net.IP) error {
	up := func(name string) *nl.NetlinkRequest {
		req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
		msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
		msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
		req.AddData(msg)
		req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
		return req
	}
	eth0 := up("eth0")
	addr := nl.NewNetlinkRequest(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	am := nl.NewIfAddrmsg(unix.AF_INET)
	am.Prefixlen = 16
	am.Index = floorPeerIndex
	addr.AddData(am)
	addr.AddData(nl.NewRtAttr(unix.IFA_LOCAL, ip.To4()))
	addr.AddData(nl.NewRtAttr(unix.IFA_ADDRESS, ip.To4()))
	route := nl.NewNetlinkRequest(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	rm := &nl.RtMsg{RtMsg: unix.RtMsg{Family: unix.AF_INET, Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_BOOT, Scope: unix.RT_SCOPE_UNIVERSE, Type: unix.RTN_UNICAST}}
	route.AddData(rm)
	route.AddData(nl.NewRtAttr(unix.RTA_GATEWAY, gw.To4()))
	lo := up("lo")
	return s.Batch(eth0, addr, route, lo)
}
