package overlay

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

// fakeTables is a kernelTables that keeps the entries in maps and checks
// that deletions name what is there.
type fakeTables struct {
	t     *testing.T
	fdb   map[string]string // seg/MAC → VTEP
	neigh map[string]string // seg/IP → MAC
	ops   int
}

func newFakeTables(t *testing.T) *fakeTables {
	return &fakeTables{t: t, fdb: map[string]string{}, neigh: map[string]string{}}
}

func (f *fakeTables) setFDB(seg int, mac net.HardwareAddr, vtep net.IP) error {
	f.ops++
	f.fdb[fmt.Sprintf("%d/%s", seg, mac)] = vtep.String()
	return nil
}

func (f *fakeTables) delFDB(seg int, mac net.HardwareAddr, vtep net.IP) error {
	f.ops++
	k := fmt.Sprintf("%d/%s", seg, mac)
	if f.fdb[k] != vtep.String() {
		f.t.Errorf("delete FDB %s → %s, but it points to %q", k, vtep, f.fdb[k])
	}
	delete(f.fdb, k)
	return nil
}

func (f *fakeTables) setNeigh(seg int, ip net.IP, mac net.HardwareAddr) error {
	f.ops++
	f.neigh[fmt.Sprintf("%d/%s", seg, ip)] = mac.String()
	return nil
}

func (f *fakeTables) delNeigh(seg int, ip net.IP, mac net.HardwareAddr) error {
	f.ops++
	k := fmt.Sprintf("%d/%s", seg, ip)
	if f.neigh[k] != mac.String() {
		f.t.Errorf("delete neighbour %s → %s, but it is %q", k, mac, f.neigh[k])
	}
	delete(f.neigh, k)
	return nil
}

func (f *fakeTables) String() string {
	var out []string
	for k, v := range f.fdb {
		out = append(out, "fdb "+k+"→"+v)
	}
	for k, v := range f.neigh {
		out = append(out, "neigh "+k+"→"+v)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func rec(t *testing.T, ip, mac, vtep string) *PeerRecord {
	return &PeerRecord{Addr: mustCIDR(t, ip), MAC: mustMAC(t, mac), TunnelIP: net.ParseIP(vtep).To4()}
}

var quiet = logrus.NewEntry(logrus.New())

// TestPeerDBAddressMove replays the events of an address (and so its MAC)
// moving from host A to host B in every order the gossip may deliver them,
// and checks that the kernel ends with the entry pointing at B only.
func TestPeerDBAddressMove(t *testing.T) {
	const mac = "02:42:0a:00:00:32"
	onA := rec(t, "10.0.0.50/24", mac, "192.168.0.1")
	onB := rec(t, "10.0.0.50/24", mac, "192.168.0.2")
	type ev struct {
		del bool
		eid string
		r   *PeerRecord
	}
	orders := map[string][]ev{
		"delete then create":       {{false, "e1", onA}, {true, "e1", nil}, {false, "e2", onB}},
		"create then delete":       {{false, "e1", onA}, {false, "e2", onB}, {true, "e1", nil}},
		"update of the same eid":   {{false, "e1", onA}, {false, "e1", onB}},
		"stale re-announce":        {{false, "e1", onA}, {false, "e2", onB}, {false, "e1", onA}, {true, "e1", nil}},
		"new owner before any old": {{false, "e2", onB}, {false, "e1", onA}, {true, "e1", nil}},
		"duplicate create":         {{false, "e1", onA}, {false, "e1", onA}, {true, "e1", nil}, {false, "e2", onB}, {false, "e2", onB}},
	}
	for name, evs := range orders {
		t.Run(name, func(t *testing.T) {
			db, kt := newPeerDB(), newFakeTables(t)
			for _, e := range evs {
				var keys []claimKey
				if e.del {
					keys = db.removeRemote(e.eid)
				} else {
					keys = db.addRemote(e.eid, e.r, 0)
				}
				db.reconcile(kt, quiet, keys)
				if !e.del && e.r == onB && kt.fdb["0/"+mac] != "192.168.0.2" {
					t.Errorf("the newest announcement (B) does not win at once: %s", kt)
				}
			}
			want := "fdb 0/" + mac + "→192.168.0.2, neigh 0/10.0.0.50→" + mac
			if got := kt.String(); got != want {
				t.Errorf("kernel: %s\nwant:   %s", got, want)
			}
		})
	}
}

// TestPeerDBLocalWins checks that a local endpoint's claim removes the
// tunnel entries for its MAC and IP, and that its leave brings back a
// remote claim that is still announced.
func TestPeerDBLocalWins(t *testing.T) {
	const mac = "02:42:0a:00:00:32"
	db, kt := newPeerDB(), newFakeTables(t)
	db.reconcile(kt, quiet, db.addRemote("e1", rec(t, "10.0.0.50/24", mac, "192.168.0.1"), 0))
	if len(kt.fdb) != 1 || len(kt.neigh) != 1 {
		t.Fatalf("remote peer not programmed: %s", kt)
	}
	db.reconcile(kt, quiet, db.addLocal("local", 0, mustMAC(t, mac), mustCIDR(t, "10.0.0.50/24")))
	if len(kt.fdb) != 0 || len(kt.neigh) != 0 {
		t.Fatalf("local claim left tunnel entries: %s", kt)
	}
	// A re-announcement of the stale remote peer does not override it.
	db.reconcile(kt, quiet, db.addRemote("e1", rec(t, "10.0.0.50/24", mac, "192.168.0.9"), 0))
	if len(kt.fdb) != 0 {
		t.Fatalf("remote claim overrode a local one: %s", kt)
	}
	db.reconcile(kt, quiet, db.removeLocal("local"))
	if kt.fdb["0/"+mac] != "192.168.0.9" {
		t.Fatalf("remote claim not restored after the local leave: %s", kt)
	}
	db.reconcile(kt, quiet, db.removeRemote("e1"))
	if len(kt.fdb) != 0 || len(kt.neigh) != 0 {
		t.Fatalf("entries left: %s", kt)
	}
}

// TestPeerDBRememberThenProgram checks that peers learnt while there is no
// overlay namespace are programmed when it is built, and forgotten by the
// kernel view when it goes.
func TestPeerDBRememberThenProgram(t *testing.T) {
	db := newPeerDB()
	for i := 1; i <= 3; i++ {
		ip := fmt.Sprintf("10.0.0.%d/24", i)
		db.reconcile(nil, quiet, db.addRemote(fmt.Sprint("e", i), rec(t, ip, fmt.Sprintf("02:42:0a:00:00:%02x", i), "192.168.0.7"), 0))
	}
	db.reconcile(nil, quiet, db.removeRemote("e2"))
	kt := newFakeTables(t)
	db.reconcile(kt, quiet, db.allKeys())
	if len(kt.fdb) != 2 || len(kt.neigh) != 2 {
		t.Fatalf("want 2 peers programmed, got %s", kt)
	}
	db.forgetKernel()
	kt2 := newFakeTables(t)
	db.reconcile(kt2, quiet, db.allKeys())
	if len(kt2.fdb) != 2 {
		t.Fatalf("rebuild: want 2 peers programmed, got %s", kt2)
	}
	ops := kt2.ops
	db.reconcile(kt2, quiet, db.allKeys())
	if kt2.ops != ops {
		t.Errorf("a reconcile with nothing changed made %d kernel calls", kt2.ops-ops)
	}
}

// TestPeerDBDualStack checks that both addresses of a peer get neighbour
// entries and that a move of only the IPv4 address keeps the IPv6 one.
func TestPeerDBDualStack(t *testing.T) {
	db, kt := newPeerDB(), newFakeTables(t)
	r := rec(t, "10.0.0.5/24", "02:42:0a:00:00:05", "192.168.0.1")
	r.AddrV6 = mustCIDR(t, "fd00::5/64")
	db.reconcile(kt, quiet, db.addRemote("e1", r, 0))
	if len(kt.neigh) != 2 || kt.neigh["0/fd00::5"] != "02:42:0a:00:00:05" {
		t.Fatalf("dual stack: %s", kt)
	}
	db.reconcile(kt, quiet, db.removeRemote("e1"))
	if kt.String() != "" {
		t.Fatalf("left: %s", kt)
	}
}
