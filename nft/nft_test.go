package nft

import (
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

const testTable = "NFT-TEST"

// dnatTable returns a batch making a table whose output chain sends TCP
// traffic for local addresses through the map "ports" (proto . daddr .
// dport → addr . port).
func dnatTable() *Batch {
	b := &Batch{}
	b.AddTable(IPv4, testTable).
		AddBaseChain(IPv4, testTable, "out", "nat", Output, -100).
		AddSet(IPv4, testTable, Set{Name: "ports",
			KeyType: ConcatType(TypeInetProto, TypeIPv4Addr, TypeInetService), KeyLen: 12,
			DataType: ConcatType(TypeIPv4Addr, TypeInetService), DataLen: 8}).
		AddRule(IPv4, testTable, "out",
			FibDaddrType(Reg32(0)), Cmp(CmpEq, Reg32(0), HostU32(RTNLocal)),
			Meta(MetaL4Proto, Reg32(0)),
			Payload(NetworkHeader, 16, 4, Reg32(1)),
			Payload(TransportHeader, 2, 2, Reg32(2)),
			Lookup("ports", Reg32(0), Reg32(0)),
			DNAT(IPv4, Reg32(0), Reg32(1)))
	return b
}

func portElem(from net.IP, fromPort int, to net.IP, toPort int) Elem {
	key := append(append(Proto(unix.IPPROTO_TCP), from.To4()...), Port(uint16(fromPort))...)
	return Elem{Key: key, Val: append(append([]byte(nil), to.To4()...), Port(uint16(toPort))...)}
}

func open(t *testing.T) *Conn {
	t.Helper()
	testutils.RequireRoot(t)
	h := testutils.SetupTestOSContext(t)
	c, err := Open(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func listen(t *testing.T) (net.Listener, int) {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	return l, l.Addr().(*net.TCPAddr).Port
}

func dial(addr string) error {
	c, err := net.DialTimeout("tcp4", addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 2)
	_, err = c.Read(buf)
	return err
}

func tables(t *testing.T, c *Conn) []Table {
	t.Helper()
	ts, err := c.Tables()
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestDNATMap(t *testing.T) {
	c := open(t)
	_, port := listen(t)
	if err := c.Commit(dnatTable()); err != nil {
		t.Fatal(err)
	}
	if ts := tables(t, c); len(ts) != 1 || ts[0] != (Table{IPv4, testTable}) {
		t.Fatalf("tables %v", ts)
	}
	if sets, err := c.Sets(Table{IPv4, testTable}); err != nil || len(sets) != 1 || sets[0] != "ports" {
		t.Fatalf("sets %v, %v", sets, err)
	}
	front := net.IPv4(127, 0, 0, 2)
	addr := net.JoinHostPort(front.String(), "8080")
	if err := dial(addr); err == nil {
		t.Fatal("reached before the element was added")
	}
	e := portElem(front, 8080, net.IPv4(127, 0, 0, 1), port)
	if err := c.Commit((&Batch{}).AddElems(IPv4, testTable, "ports", e)); err != nil {
		t.Fatal(err)
	}
	if err := dial(addr); err != nil {
		t.Fatalf("through the map: %v", err)
	}
	if got, err := c.Elems(Table{IPv4, testTable}, "ports"); err != nil || len(got) != 1 || string(got[0].Key) != string(e.Key) || string(got[0].Val) != string(e.Val) {
		t.Fatalf("elements %v, %v; want %v", got, err, e)
	}
	// Adding it again is no error; setting it up again keeps it.
	if err := c.Commit((&Batch{}).AddElems(IPv4, testTable, "ports", e)); err != nil {
		t.Fatal(err)
	}
	again := dnatTable()
	again.msgs = append(again.msgs[:3:3], append([]message{(&Batch{}).FlushChain(IPv4, testTable, "out").msgs[0]}, again.msgs[3:]...)...)
	if err := c.Commit(again); err != nil {
		t.Fatal(err)
	}
	if err := dial(addr); err != nil {
		t.Fatalf("after setting up again: %v", err)
	}
	if err := c.Commit((&Batch{}).DelElems(IPv4, testTable, "ports", e)); err != nil {
		t.Fatal(err)
	}
	if err := dial(addr); err == nil {
		t.Fatal("reached after the element was deleted")
	}
	if err := c.Commit((&Batch{}).DelTable(IPv4, testTable)); err != nil {
		t.Fatal(err)
	}
	if ts := tables(t, c); len(ts) != 0 {
		t.Fatalf("tables left: %v", ts)
	}
}

func TestFlushSet(t *testing.T) {
	c := open(t)
	_, port := listen(t)
	if err := c.Commit(dnatTable()); err != nil {
		t.Fatal(err)
	}
	lo := net.IPv4(127, 0, 0, 1)
	b := &Batch{}
	for i := 0; i < 3; i++ {
		b.AddElems(IPv4, testTable, "ports", portElem(net.IPv4(127, 0, 0, 2), 9000+i, lo, port))
	}
	if err := c.Commit(b); err != nil {
		t.Fatal(err)
	}
	// Flush and keep one, atomically.
	keep := portElem(net.IPv4(127, 0, 0, 2), 9001, lo, port)
	if err := c.Commit((&Batch{}).FlushSet(IPv4, testTable, "ports").AddElems(IPv4, testTable, "ports", keep)); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{false, true, false} {
		err := dial("127.0.0.2:" + strconv.Itoa(9000+i))
		if (err == nil) != want {
			t.Errorf("port %d reachable=%v, want %v (%v)", 9000+i, err == nil, want, err)
		}
	}
}

func TestRefused(t *testing.T) {
	c := open(t)
	e := portElem(net.IPv4(127, 0, 0, 2), 1, net.IPv4(127, 0, 0, 1), 2)
	for _, tc := range []struct {
		name  string
		b     *Batch
		class func(error) bool
		what  string
	}{
		{"delete a missing table", (&Batch{}).DelTable(IPv4, "nope"), types.IsNotFound, "delete table ip nope"},
		{"rule in a missing chain", (&Batch{}).AddTable(IPv4, testTable).AddRule(IPv4, testTable, "nope", Masquerade()), types.IsNotFound, "add rule to " + testTable + "/nope"},
		{"element of a missing set", (&Batch{}).AddTable(IPv4, testTable).AddElems(IPv4, testTable, "nope", e), types.IsNotFound, "add elements to " + testTable + "/nope"},
		{"delete a missing element", dnatTable().DelElems(IPv4, testTable, "ports", e), types.IsNotFound, "delete elements from " + testTable + "/ports"},
		{"key of the wrong length", dnatTable().AddElems(IPv4, testTable, "ports", Elem{Key: []byte{1}, Val: e.Val}), nil, "add elements to " + testTable + "/ports"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Commit(tc.b)
			var ne *Error
			if !errors.As(err, &ne) || ne.What != tc.what {
				t.Fatalf("err %v, want a refusal of %q", err, tc.what)
			}
			if tc.class != nil && !tc.class(err) {
				t.Errorf("err %v has the wrong class", err)
			}
			// The batch changed nothing.
			if ts := tables(t, c); len(ts) != 0 {
				t.Errorf("tables left: %v", ts)
			}
		})
	}
}

func TestClosed(t *testing.T) {
	c := open(t)
	c.Close()
	if err := c.Commit(dnatTable()); !types.IsNoService(err) {
		t.Fatalf("commit on a closed connection: %v", err)
	}
	if _, err := c.Tables(); !types.IsNoService(err) {
		t.Fatalf("tables on a closed connection: %v", err)
	}
}

// TestLargeBatch adds more elements than one netlink attribute can hold,
// and deletes them all (which fails if any is missing).
func TestLargeBatch(t *testing.T) {
	c := open(t)
	if err := c.Commit(dnatTable()); err != nil {
		t.Fatal(err)
	}
	var elems []Elem
	for i := 0; i < 5000; i++ {
		elems = append(elems, portElem(net.IPv4(10, 0, byte(i>>8), byte(i)), 80, net.IPv4(127, 0, 0, 1), 80))
	}
	if err := c.Commit((&Batch{}).AddElems(IPv4, testTable, "ports", elems...)); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Elems(Table{IPv4, testTable}, "ports"); err != nil || len(got) != len(elems) {
		t.Fatalf("listed %d elements (%v), want %d", len(got), err, len(elems))
	}
	if err := c.Commit((&Batch{}).DelElems(IPv4, testTable, "ports", elems...)); err != nil {
		t.Fatal(err)
	}
	if err := c.Commit((&Batch{}).DelElems(IPv4, testTable, "ports", elems[4999])); !types.IsNotFound(err) {
		t.Fatalf("deleting a deleted element: %v", err)
	}
}

// TestJumpChains: a chain that a rule jumps to cannot be deleted; once the
// jump is gone it can, with its rules.
func TestJumpChains(t *testing.T) {
	c := open(t)
	b := (&Batch{}).AddTable(IPv4, testTable).
		AddBaseChain(IPv4, testTable, "out", "nat", Output, -100).
		AddChain(IPv4, testTable, "sub").
		AddRule(IPv4, testTable, "sub", Meta(MetaL4Proto, Reg32(0)), Cmp(CmpEq, Reg32(0), []byte{unix.IPPROTO_TCP})).
		AddRule(IPv4, testTable, "out", Jump("sub"))
	if err := c.Commit(b); err != nil {
		t.Fatal(err)
	}
	chains, err := c.Chains(Table{IPv4, testTable})
	if err != nil || len(chains) != 2 {
		t.Fatalf("chains %v, %v", chains, err)
	}
	if err := c.Commit((&Batch{}).DelChain(IPv4, testTable, "sub")); !types.IsConflict(err) {
		t.Fatalf("deleting a chain jumped to: %v", err)
	}
	if err := c.Commit((&Batch{}).FlushChain(IPv4, testTable, "out").DelChain(IPv4, testTable, "sub")); err != nil {
		t.Fatal(err)
	}
	if chains, err := c.Chains(Table{IPv4, testTable}); err != nil || len(chains) != 1 || chains[0] != "out" {
		t.Fatalf("chains %v, %v", chains, err)
	}
}
