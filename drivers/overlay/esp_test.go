package overlay

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

var (
	testKey1 = []byte("cnmkit-overlay-test-key-one-32by")
	testKey2 = []byte("cnmkit-overlay-test-key-two-32by")
	testKey3 = []byte("cnmkit-overlay-wrong-key-32bytes")
)

func (s netSpec) encrypted() map[string]interface{} {
	o := s.options()
	o[netlabel.GenericData].(map[string]string)[EncryptedOption] = "true"
	return o
}

// createEncNet creates s, encrypted, on the given hosts (all when none).
func (c *cluster) createEncNet(s netSpec, on ...*host) {
	c.t.Helper()
	if len(on) == 0 {
		on = c.hosts
	}
	for _, h := range on {
		if err := h.d.CreateNetwork(s.id, s.encrypted(), &fakeNetInfo{}, pools(c.t, s.v4...), pools(c.t, s.v6...)); err != nil {
			c.t.Fatalf("%s: CreateNetwork %s (encrypted): %v", h.name, s.id, err)
		}
		c.gossip.replay(h, s.id)
	}
}

func setKeys(t testing.TB, h *host, keys ...[]byte) {
	t.Helper()
	if err := h.d.DiscoverNew(discoverapi.EncryptionKeysConfig, discoverapi.DriverEncryptionConfig{Keys: keys}); err != nil {
		t.Fatalf("%s: keys: %v", h.name, err)
	}
}

func update(h *host, u discoverapi.DriverEncryptionUpdate) error {
	return h.d.DiscoverNew(discoverapi.EncryptionKeysUpdate, u)
}

// xfrmOf lists h's states and policies.
func (h *host) xfrmOf(t testing.TB) (sas []netlink.XfrmState, sps []netlink.XfrmPolicy) {
	t.Helper()
	nl, err := netlink.NewHandleAt(h.h, unix.NETLINK_XFRM)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	if sas, err = nl.XfrmStateList(netlink.FAMILY_ALL); err != nil {
		t.Fatal(err)
	}
	if sps, err = nl.XfrmPolicyList(netlink.FAMILY_ALL); err != nil {
		t.Fatal(err)
	}
	return sas, sps
}

// xfrmWith counts h's states and policies involving ip.
func (h *host) xfrmWith(t testing.TB, ip net.IP) (int, int) {
	sas, sps := h.xfrmOf(t)
	var a, p int
	for _, s := range sas {
		if s.Src.Equal(ip) || s.Dst.Equal(ip) {
			a++
		}
	}
	for _, x := range sps {
		if x.Src.IP.Equal(ip) || x.Dst.IP.Equal(ip) {
			p++
		}
	}
	return a, p
}

// underlayCapture counts, on host h's underlay port, the IPv4 packets
// that are ESP, VXLAN of encrypted networks in the clear, and VXLAN of
// unencrypted networks.
type underlayCapture struct {
	fd                   int
	esp, plainEnc, vxlan atomic.Int64
	done                 chan struct{}
}

func (c *cluster) capture(t testing.TB, h *host) *underlayCapture {
	t.Helper()
	uc := &underlayCapture{done: make(chan struct{})}
	proto := int(htons(unix.ETH_P_ALL))
	err := ns.WithNetNS(c.ul, func() error {
		l, err := netlink.LinkByName(fmt.Sprintf("ul-%d", h.idx+1))
		if err != nil {
			return err
		}
		if uc.fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto); err != nil {
			return err
		}
		return unix.Bind(uc.fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: l.Attrs().Index})
	})
	if err != nil {
		t.Fatal(err)
	}
	tv := unix.Timeval{Usec: 100000}
	_ = unix.SetsockoptTimeval(uc.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	var stop atomic.Bool
	go func() {
		defer close(uc.done)
		buf := make([]byte, 65536)
		for !stop.Load() {
			n, _, err := unix.Recvfrom(uc.fd, buf, 0)
			if err != nil || n < 14+20 || binary.BigEndian.Uint16(buf[12:14]) != unix.ETH_P_IP {
				continue
			}
			ip := buf[14:n]
			ihl := int(ip[0]&0xf) * 4
			switch ip[9] {
			case unix.IPPROTO_ESP:
				uc.esp.Add(1)
			case unix.IPPROTO_UDP:
				if len(ip) >= ihl+4 {
					switch int(binary.BigEndian.Uint16(ip[ihl+2 : ihl+4])) {
					case DefaultEncryptedVXLANPort:
						uc.plainEnc.Add(1)
					case DefaultVXLANPort:
						uc.vxlan.Add(1)
					}
				}
			}
		}
	}()
	t.Cleanup(func() { stop.Store(true); <-uc.done; unix.Close(uc.fd) })
	return uc
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// encCluster is three hosts with testKey1, an encrypted network and an
// unencrypted one, a container of each on every host, serving TCP.
func encCluster(t *testing.T, n int) (*cluster, [][]*container) {
	testutils.RequireKernel(t, testutils.FeatureESP)
	c := newCluster(t, n, clusterOpts{})
	c.baseLinks, c.baseStates = snapAll(t, c)
	for _, h := range c.hosts {
		setKeys(t, h, testKey1)
	}
	enc := netSpec{id: "enc", vnis: "4300", v4: []string{"10.30.0.0/24"}}
	plain := netSpec{id: "plain", vnis: "4301", v4: []string{"10.31.0.0/24"}}
	c.createEncNet(enc)
	c.createNet(plain)
	cts := [][]*container{nil, nil}
	for i, h := range c.hosts {
		for j, s := range []netSpec{enc, plain} {
			ct := c.newContainer(h, fmt.Sprintf("%s%d", s.id, i+1))
			c.endpoint(ct, s.id, fmt.Sprintf("%s-ep%d", s.id, i+1), fmt.Sprintf("10.%d.0.%d/24", 30+j, 11+i), "")
			c.join(ct)
			ct.serveTCP(t, testPort)
			cts[j] = append(cts[j], ct)
		}
	}
	return c, cts
}

// allPairs checks TCP and ICMP between every pair of cts.
func allPairs(t *testing.T, cts []*container) {
	t.Helper()
	for _, a := range cts {
		for _, b := range cts {
			if a != b {
				a.expectTCP(t, b.addr.IP, testPort, b.name)
				a.expectPing(t, b.addr.IP)
			}
		}
	}
}

// leaveAll makes every container leave, deletes the networks and checks
// that no host holds an XFRM state or policy, nor any other object.
func leaveAll(t *testing.T, c *cluster, cts [][]*container, baseline [][]string, before []testutils.NetState) {
	t.Helper()
	for _, l := range cts {
		for _, ct := range l {
			c.leave(ct)
		}
	}
	for i, h := range c.hosts {
		for _, nid := range []string{"enc", "plain"} {
			if err := h.d.DeleteNetwork(nid); err != nil {
				t.Fatal(err)
			}
			h.assertNothing(t, nid, baseline[i])
		}
		eventually(t, h.name+" as before", 10*time.Second, func() error {
			if d := testutils.SnapNetState(t, h.h).Diff(before[i]); d != "" {
				return fmt.Errorf("%s", d)
			}
			return nil
		})
	}
}

func snapAll(t *testing.T, c *cluster) ([][]string, []testutils.NetState) {
	var links [][]string
	var st []testutils.NetState
	for _, h := range c.hosts {
		links = append(links, h.hostLinks(t))
		st = append(st, testutils.SnapNetState(t, h.h))
	}
	return links, st
}

// TestEncryptedOverlay: three hosts, an encrypted and an unencrypted
// network side by side: TCP and ICMP between every pair on both; the
// underlay carries the encrypted network's traffic as ESP only (no VXLAN
// of its port in the clear); one state per key, pair and direction, one
// policy per peer and direction; everything goes with the networks.
func TestEncryptedOverlay(t *testing.T) {
	testutils.RequireKernel(t, testutils.FeatureESP)
	c, cts := encCluster(t, 3)
	for _, h := range c.hosts {
		sas, sps := h.xfrmOf(t)
		if len(sas) != 4 || len(sps) != 4 {
			t.Errorf("%s: %d states and %d policies, want 4 and 4 (2 peers)", h.name, len(sas), len(sps))
		}
		for _, s := range sas {
			if s.Reqid != espReqid || s.Aead == nil || s.Aead.Name != espAEAD {
				t.Errorf("%s: state %s", h.name, s.String())
			}
		}
	}
	// The encrypted network's MTU leaves room for ESP.
	if err := cts[0][0].run(func() error {
		l, err := netlink.LinkByName("eth0")
		if err == nil && l.Attrs().MTU != 1500-vxlanOverhead4-espOverhead {
			err = fmt.Errorf("MTU %d", l.Attrs().MTU)
		}
		return err
	}); err != nil {
		t.Error(err)
	}
	cap1 := c.capture(t, c.hosts[0])
	allPairs(t, cts[0])
	encESP, encPlain := cap1.esp.Load(), cap1.plainEnc.Load()
	allPairs(t, cts[1])
	if encESP == 0 || encPlain != 0 {
		t.Errorf("encrypted traffic on host1's underlay: %d ESP packets, %d VXLAN packets of the encrypted port in the clear", encESP, encPlain)
	}
	if cap1.vxlan.Load() == 0 {
		t.Errorf("no VXLAN packet of the unencrypted network seen on the underlay: the capture does not work")
	}
	// Bulk data through the ESP path (MTU): a stream of echoed chunks.
	st := startStream(t, cts[0][0], cts[0][2], 7172)
	st.waitRounds(t, 50)
	if err := st.finish(); err != nil {
		t.Fatal(err)
	}
	leaveAll(t, c, cts, c.baseLinks, c.baseStates)
}

// streamer sends numbered chunks from a container to an echo server and
// checks every echo; it records errors and counts rounds.
type streamer struct {
	rounds atomic.Int64
	err    atomic.Value
	stop   chan struct{}
	done   chan struct{}
}

func startStream(t *testing.T, from, to *container, port int) *streamer {
	t.Helper()
	var ln net.Listener
	if err := to.run(func() error {
		var err error
		ln, err = net.Listen("tcp", ":"+strconv.Itoa(port))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			cn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(cn, cn); cn.Close() }()
		}
	}()
	var conn net.Conn
	eventually(t, "stream connects", 10*time.Second, func() error {
		return from.run(func() error {
			var err error
			conn, err = net.DialTimeout("tcp", net.JoinHostPort(to.addr.IP.String(), strconv.Itoa(port)), time.Second)
			return err
		})
	})
	s := &streamer{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer conn.Close()
		buf, got := make([]byte, 4096), make([]byte, 4096)
		for i := 0; ; i++ {
			select {
			case <-s.stop:
				return
			default:
			}
			for j := range buf {
				buf[j] = byte(i + j)
			}
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := conn.Write(buf); err != nil {
				s.err.Store(err)
				return
			}
			if _, err := io.ReadFull(conn, got); err != nil {
				s.err.Store(err)
				return
			}
			if string(got) != string(buf) {
				s.err.Store(fmt.Errorf("round %d: echo differs", i))
				return
			}
			s.rounds.Add(1)
			time.Sleep(2 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { s.finish() })
	return s
}

func (s *streamer) finish() error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	if e, ok := s.err.Load().(error); ok {
		return e
	}
	return nil
}

// waitRounds waits until the stream has made n more rounds.
func (s *streamer) waitRounds(t *testing.T, n int64) {
	t.Helper()
	target := s.rounds.Load() + n
	eventually(t, "stream progresses", 30*time.Second, func() error {
		if e, ok := s.err.Load().(error); ok {
			t.Fatalf("stream broke: %v", e)
		}
		if s.rounds.Load() < target {
			return fmt.Errorf("%d rounds, want %d", s.rounds.Load(), target)
		}
		return nil
	})
}

// TestEncryptedRotation: the keys rotate on every host (new key added
// everywhere, then made primary everywhere, then the old one removed
// everywhere, as ReloadConfiguration's events do) while a TCP stream runs
// between hosts 1 and 2: the stream survives, and afterwards only the new
// key's states remain. Removing the old key on host 1 while host 2 still
// sends with it is refused with a ForbiddenError naming the key, and
// leaves host 1's states as they were.
func TestEncryptedRotation(t *testing.T) {
	testutils.RequireKernel(t, testutils.FeatureESP)
	c, cts := encCluster(t, 3)
	allPairs(t, cts[0])
	st := startStream(t, cts[0][0], cts[0][1], 7171)
	st.waitRounds(t, 20)
	oldSPI := newESPKey(testKey1).spi(c.hosts[0].ip, c.hosts[1].ip)
	newSPI := newESPKey(testKey2).spi(c.hosts[0].ip, c.hosts[1].ip)

	for _, h := range c.hosts {
		if err := update(h, discoverapi.DriverEncryptionUpdate{Key: testKey2}); err != nil {
			t.Fatalf("%s: add key: %v", h.name, err)
		}
	}
	st.waitRounds(t, 20)
	// Host 1 switches first; host 2 still sends with the old key.
	if err := update(c.hosts[0], discoverapi.DriverEncryptionUpdate{Primary: testKey2}); err != nil {
		t.Fatal(err)
	}
	st.waitRounds(t, 20)
	sas, _ := c.hosts[0].xfrmOf(t)
	err := update(c.hosts[0], discoverapi.DriverEncryptionUpdate{Prune: testKey1})
	if !types.IsForbidden(err) || !strings.Contains(err.Error(), keyName(testKey1)) || !strings.Contains(err.Error(), c.hosts[1].ip.String()) {
		t.Fatalf("remove the key host2 sends with: %v, want a ForbiddenError naming key %s and host2", err, keyName(testKey1))
	}
	if after, _ := c.hosts[0].xfrmOf(t); len(after) != len(sas) {
		t.Errorf("the refused removal changed host1's states: %d, were %d", len(after), len(sas))
	}
	for _, h := range c.hosts[1:] {
		if err := update(h, discoverapi.DriverEncryptionUpdate{Primary: testKey2}); err != nil {
			t.Fatal(err)
		}
	}
	st.waitRounds(t, 20)
	allPairs(t, cts[0])
	for _, h := range c.hosts {
		if err := update(h, discoverapi.DriverEncryptionUpdate{Prune: testKey1}); err != nil {
			t.Fatalf("%s: remove the old key: %v", h.name, err)
		}
	}
	st.waitRounds(t, 50)
	if err := st.finish(); err != nil {
		t.Fatalf("the stream did not survive the rotation: %v", err)
	}
	t.Logf("stream made %d rounds", st.rounds.Load())
	for _, h := range c.hosts {
		sas, sps := h.xfrmOf(t)
		if len(sas) != 4 || len(sps) != 4 {
			t.Errorf("%s: %d states and %d policies after the rotation, want 4 and 4", h.name, len(sas), len(sps))
		}
		for _, s := range sas {
			if uint32(s.Spi) == oldSPI {
				t.Errorf("%s: the old key's state %s is still there", h.name, s.String())
			}
		}
	}
	var found bool
	sas, sps := c.hosts[0].xfrmOf(t)
	for _, s := range sas {
		found = found || uint32(s.Spi) == newSPI
	}
	for _, p := range sps {
		if p.Dir == netlink.XFRM_DIR_OUT && p.Dst.IP.Equal(c.hosts[1].ip) && uint32(p.Tmpls[0].Spi) != newSPI {
			t.Errorf("host1's policy to host2 uses SPI %#x, want the new key's %#x", p.Tmpls[0].Spi, newSPI)
		}
	}
	if !found {
		t.Error("host1 has no state of the new key towards host2")
	}
	allPairs(t, cts[0])
	leaveAll(t, c, cts, c.baseLinks, c.baseStates)
}

// TestEncryptedPeerGone: a host dies (its driver stops without cleanup and
// the gossip withdraws its entries, as networkdb does for a failed node):
// the other hosts drop its states and policies within a bound and still
// talk to each other.
func TestEncryptedPeerGone(t *testing.T) {
	testutils.RequireKernel(t, testutils.FeatureESP)
	c, cts := encCluster(t, 3)
	allPairs(t, cts[0])
	dead := c.hosts[2]
	if a, p := c.hosts[0].xfrmWith(t, dead.ip); a != 2 || p != 2 {
		t.Fatalf("host1 has %d states and %d policies with host3, want 2 and 2", a, p)
	}
	dead.d.Close()
	start := time.Now()
	for _, l := range cts {
		c.gossip.withdraw(l[2].nid, l[2].eid, dead)
	}
	for _, h := range c.hosts[:2] {
		eventually(t, h.name+" forgets host3", 5*time.Second, func() error {
			if a, p := h.xfrmWith(t, dead.ip); a+p != 0 {
				return fmt.Errorf("%d states and %d policies with host3", a, p)
			}
			return nil
		})
	}
	t.Logf("host3's states and policies gone from the others in %s", time.Since(start))
	cts[0][0].expectTCP(t, cts[0][1].addr.IP, testPort, cts[0][1].name)
	cts[0][1].expectPing(t, cts[0][0].addr.IP)
}

// TestEncryptedWrongKey: a host with another key cannot exchange traffic
// with the others on the encrypted network (its ESP fails their integrity
// check and theirs fails its), while the unencrypted network still works.
func TestEncryptedWrongKey(t *testing.T) {
	testutils.RequireKernel(t, testutils.FeatureESP)
	c := newCluster(t, 2, clusterOpts{})
	setKeys(t, c.hosts[0], testKey1)
	setKeys(t, c.hosts[1], testKey3)
	enc := netSpec{id: "enc", vnis: "4300", v4: []string{"10.30.0.0/24"}}
	c.createEncNet(enc)
	var cts []*container
	for i, h := range c.hosts {
		ct := c.newContainer(h, fmt.Sprintf("c%d", i+1))
		c.endpoint(ct, enc.id, fmt.Sprintf("ep%d", i+1), fmt.Sprintf("10.30.0.%d/24", 11+i), "")
		c.join(ct)
		ct.serveTCP(t, testPort)
		cts = append(cts, ct)
	}
	cap1 := c.capture(t, c.hosts[0])
	for i := 0; i < 5; i++ {
		if err := testutils.Ping(cts[0].h, cts[1].addr.IP, 200*time.Millisecond); err == nil {
			t.Fatal("a host with the wrong key answered a ping")
		}
		if _, err := cts[1].dialTCP(cts[0].addr.IP, testPort, 200*time.Millisecond); err == nil {
			t.Fatal("a host with the wrong key got a TCP answer")
		}
	}
	if cap1.esp.Load() == 0 || cap1.plainEnc.Load() != 0 {
		t.Errorf("underlay: %d ESP, %d clear packets", cap1.esp.Load(), cap1.plainEnc.Load())
	}
	// The right key heals it.
	if err := update(c.hosts[1], discoverapi.DriverEncryptionUpdate{Key: testKey1, Primary: testKey1}); err != nil {
		t.Fatal(err)
	}
	cts[0].expectPing(t, cts[1].addr.IP)
	cts[1].expectTCP(t, cts[0].addr.IP, testPort, "c1")
}

// TestEncryptedFini: Fini removes every state and policy of the driver.
func TestEncryptedFini(t *testing.T) {
	testutils.RequireKernel(t, testutils.FeatureESP)
	c, cts := encCluster(t, 2)
	allPairs(t, cts[0])
	for _, h := range c.hosts {
		Fini(h.d)
		if sas, sps := h.xfrmOf(t); len(sas)+len(sps) != 0 {
			t.Errorf("%s: %d states and %d policies after Fini", h.name, len(sas), len(sps))
		}
	}
}

// TestEncryptedRefusedWithoutESP: on a kernel without ESP an encrypted
// network is refused with a NotImplementedError naming ESP, and nothing of
// ours is left in XFRM.
func TestEncryptedRefusedWithoutESP(t *testing.T) {
	testutils.RequireRoot(t)
	if testutils.KernelHas(testutils.FeatureESP) == nil {
		t.Skip("the kernel has ESP")
	}
	c := newCluster(t, 1, clusterOpts{})
	h := c.hosts[0]
	setKeys(t, h, testKey1)
	s := netSpec{id: "enc", vnis: "4300", v4: []string{"10.30.0.0/24"}}
	err := h.d.CreateNetwork(s.id, s.encrypted(), &fakeNetInfo{}, pools(t, s.v4...), nil)
	if !types.IsNotImplemented(err) || !strings.Contains(err.Error(), "ESP") {
		t.Fatalf("encrypted network without kernel ESP: %v, want a NotImplementedError naming ESP", err)
	}
	if _, err := h.d.network(s.id); err == nil {
		t.Fatal("the refused network was recorded")
	}
	if x := testutils.XfrmState(t, h.h); x != "" {
		t.Errorf("XFRM left: %s", x)
	}
	// Unencrypted networks are unaffected.
	c.createNet(netSpec{id: "plain", vnis: "4301", v4: []string{"10.31.0.0/24"}})
}

// TestEncryptionKeysBadInput: key events that are not usable are refused
// with typed errors naming the key (by its tag) and change nothing.
func TestEncryptionKeysBadInput(t *testing.T) {
	c := newCluster(t, 1, clusterOpts{})
	h := c.hosts[0]
	if err := update(h, discoverapi.DriverEncryptionUpdate{Key: testKey2}); !types.IsForbidden(err) {
		t.Errorf("update before any key: %v, want a ForbiddenError", err)
	}
	setKeys(t, h, testKey1)
	cases := []struct {
		name  string
		typ   discoverapi.DiscoveryType
		data  interface{}
		check func(error) bool
		names string
	}{
		{"config of the wrong type", discoverapi.EncryptionKeysConfig, "k", types.IsBadRequest, "string"},
		{"short key", discoverapi.EncryptionKeysConfig, discoverapi.DriverEncryptionConfig{Keys: [][]byte{[]byte("short")}}, types.IsBadRequest, keyName([]byte("short"))},
		{"key twice", discoverapi.EncryptionKeysConfig, discoverapi.DriverEncryptionConfig{Keys: [][]byte{testKey1, testKey1}}, types.IsBadRequest, keyName(testKey1)},
		{"short new key", discoverapi.EncryptionKeysUpdate, discoverapi.DriverEncryptionUpdate{Key: []byte("short")}, types.IsBadRequest, keyName([]byte("short"))},
		{"unknown primary", discoverapi.EncryptionKeysUpdate, discoverapi.DriverEncryptionUpdate{Primary: testKey2}, types.IsBadRequest, keyName(testKey2)},
		{"prune unknown", discoverapi.EncryptionKeysUpdate, discoverapi.DriverEncryptionUpdate{Prune: testKey2}, types.IsNotFound, keyName(testKey2)},
		{"prune primary", discoverapi.EncryptionKeysUpdate, discoverapi.DriverEncryptionUpdate{Key: testKey2, Prune: testKey1}, types.IsForbidden, keyName(testKey1)},
		{"prune the new primary", discoverapi.EncryptionKeysUpdate, discoverapi.DriverEncryptionUpdate{Key: testKey2, Primary: testKey2, Prune: testKey2}, types.IsForbidden, keyName(testKey2)},
	}
	for _, cs := range cases {
		err := h.d.DiscoverNew(cs.typ, cs.data)
		if err == nil || !cs.check(err) || !strings.Contains(err.Error(), cs.names) {
			t.Errorf("%s: %v, want a typed error naming %q", cs.name, err, cs.names)
		}
		h.d.espMu.Lock()
		n, p := len(h.d.esp.keys), h.d.esp.primary
		h.d.espMu.Unlock()
		if n != 1 || p != 0 {
			t.Errorf("%s: the refused event changed the keyring (%d keys, primary %d)", cs.name, n, p)
		}
	}
	// A full rotation on a host without peers.
	for _, u := range []discoverapi.DriverEncryptionUpdate{{Key: testKey2}, {Primary: testKey2}, {Prune: testKey1}} {
		if err := update(h, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := update(h, discoverapi.DriverEncryptionUpdate{Prune: testKey2}); !types.IsForbidden(err) {
		t.Errorf("remove the last key: %v, want a ForbiddenError", err)
	}
	if x := testutils.XfrmState(t, h.h); x != "" {
		t.Errorf("XFRM state without peers: %s", x)
	}
}
