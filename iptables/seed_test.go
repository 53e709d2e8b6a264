package iptables

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
)

func has(t *testing.T, save, line string, want bool) {
	t.Helper()
	if strings.Contains(save+"\n", line+"\n") != want {
		t.Fatalf("iptables-save has %q = %v, want %v:\n%s", line, !want, want, save)
	}
}

func TestSeedChainLifecycle(t *testing.T) {
	for _, hairpin := range []bool{false, true} {
		t.Run(map[bool]string{false: "no hairpin", true: "hairpin"}[hairpin], func(t *testing.T) {
			testutils.SetupTestOSContext(t)
			nat, err := NewChain("SEED", Nat, hairpin)
			if err != nil {
				t.Fatal(err)
			}
			filter, err := NewChain("SEED", Filter, false)
			if err != nil {
				t.Fatal(err)
			}
			if nat.Name != "SEED" || nat.Table != Nat || nat.HairpinMode != hairpin || filter.Table != Filter {
				t.Fatalf("ChainInfo %+v %+v", nat, filter)
			}
			if again, err := NewChain("SEED", Nat, hairpin); err != nil || again.Name != "SEED" {
				t.Fatalf("NewChain on an existing chain: %v", err)
			}
			if !ExistChain("SEED", Nat) || !ExistChain("SEED", Filter) || ExistChain("NOPE", Nat) {
				t.Fatal("ExistChain wrong")
			}
			for i := 0; i < 2; i++ { // the second time changes nothing
				if err := ProgramChain(nat, "br0", hairpin, true); err != nil {
					t.Fatal(err)
				}
				if err := ProgramChain(filter, "br0", hairpin, true); err != nil {
					t.Fatal(err)
				}
			}
			outJump := "-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j SEED"
			if hairpin {
				outJump = "-A OUTPUT -m addrtype --dst-type LOCAL -j SEED"
			}
			s := saveOut(t, "iptables")
			has(t, s, "-A PREROUTING -m addrtype --dst-type LOCAL -j SEED", true)
			has(t, s, outJump, true)
			has(t, s, "-A FORWARD -o br0 -j SEED", true)
			has(t, s, "-A FORWARD -o br0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", true)
			if n := countLines(s, outJump); n != 1 {
				t.Fatalf("OUTPUT jump %d times", n)
			}

			ip := net.ParseIP("192.168.50.1")
			for i := 0; i < 2; i++ {
				if err := nat.Forward(Append, ip, 8080, "tcp", "172.30.0.2", 80, "br0"); err != nil {
					t.Fatal(err)
				}
			}
			if err := nat.Forward(Append, nil, 5353, "udp", "172.30.0.2", 53, "br0"); err != nil {
				t.Fatal(err)
			}
			if err := filter.Link(Append, net.ParseIP("172.30.0.3"), net.ParseIP("172.30.0.2"), 80, "tcp", "br0"); err != nil {
				t.Fatal(err)
			}
			dnat := "-A SEED -d 192.168.50.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.30.0.2:80"
			if !hairpin {
				dnat = "-A SEED -d 192.168.50.1/32 ! -i br0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.30.0.2:80"
			}
			accept := "-A SEED -d 172.30.0.2/32 ! -i br0 -o br0 -p tcp -m tcp --dport 80 -j ACCEPT"
			masq := "-A POSTROUTING -s 172.30.0.2/32 -d 172.30.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE"
			link1 := "-A SEED -s 172.30.0.3/32 -d 172.30.0.2/32 -i br0 -o br0 -p tcp -m tcp --dport 80 -j ACCEPT"
			link2 := "-A SEED -s 172.30.0.2/32 -d 172.30.0.3/32 -i br0 -o br0 -p tcp -m tcp --sport 80 -j ACCEPT"
			s = saveOut(t, "iptables")
			for _, l := range []string{dnat, accept, masq, link1, link2, "-A POSTROUTING -s 172.30.0.2/32 -d 172.30.0.2/32 -p udp -m udp --dport 53 -j MASQUERADE"} {
				has(t, s, l, true)
			}
			if n := countLines(s, dnat); n != 1 {
				t.Fatalf("DNAT %d times after two Appends", n)
			}
			if !Exists(Nat, "POSTROUTING", "-s", "172.30.0.2/32", "-d", "172.30.0.2/32", "-p", "tcp", "-m", "tcp", "--dport", "80", "-j", "MASQUERADE") {
				t.Fatal("Exists misses the masquerade")
			}

			if err := nat.Forward(Delete, ip, 8080, "tcp", "172.30.0.2", 80, "br0"); err != nil {
				t.Fatal(err)
			}
			if err := nat.Forward(Delete, ip, 8080, "tcp", "172.30.0.2", 80, "br0"); err != nil {
				t.Fatalf("second delete: %v", err)
			}
			if err := filter.Link(Delete, net.ParseIP("172.30.0.3"), net.ParseIP("172.30.0.2"), 80, "tcp", "br0"); err != nil {
				t.Fatal(err)
			}
			s = saveOut(t, "iptables")
			for _, l := range []string{dnat, accept, masq, link1, link2} {
				has(t, s, l, false)
			}
			if err := ProgramChain(filter, "br0", hairpin, false); err != nil {
				t.Fatal(err)
			}
			if err := RemoveExistingChain("SEED", Nat); err != nil {
				t.Fatal(err)
			}
			if err := RemoveExistingChain("SEED", Filter); err != nil {
				t.Fatal(err)
			}
			if err := RemoveExistingChain("SEED", Nat); err != nil {
				t.Fatalf("removing a missing chain: %v", err)
			}
			s = saveOut(t, "iptables")
			if strings.Contains(s, "SEED") || strings.Contains(s, "-o br0") {
				t.Fatalf("left behind:\n%s", s)
			}
		})
	}
}

func TestSeedChainBadInput(t *testing.T) {
	testutils.SetupTestOSContext(t)
	c, err := NewChain("SEEDBAD", Nat, false)
	if err != nil {
		t.Fatal(err)
	}
	before := saveOut(t, "iptables")
	tests := []struct {
		name string
		err  error
	}{
		{"bad table", func() error { _, err := NewChain("X", Table("bogus"), false); return err }()},
		{"bad chain name", func() error { _, err := NewChain("-bad", Nat, false); return err }()},
		{"bad action", c.Forward(Action("-Z"), nil, 80, "tcp", "172.30.0.2", 80, "br0")},
		{"bad port", c.Forward(Append, nil, 0, "tcp", "172.30.0.2", 80, "br0")},
		{"bad destination", c.Forward(Append, nil, 80, "tcp", "nowhere", 80, "br0")},
		{"link without address", c.Link(Append, nil, net.ParseIP("172.30.0.2"), 80, "tcp", "br0")},
		{"filter chain without bridge", ProgramChain(&ChainInfo{Name: "SEEDBAD", Table: Filter}, "", false, true)},
		{"no chain", ProgramChain(nil, "br0", false, true)},
	}
	for _, tc := range tests {
		if !types.IsBadRequest(tc.err) {
			t.Errorf("%s: got %v, want a BadRequest error", tc.name, tc.err)
		}
	}
	if after := saveOut(t, "iptables"); after != before {
		t.Fatalf("bad input changed the ruleset:\n%s\n---\n%s", before, after)
	}
}

func TestSeedRawCommands(t *testing.T) {
	testutils.SetupTestOSContext(t)
	if out, err := Raw("-t", "nat", "-N", "SEEDRAW"); err != nil || len(out) != 0 {
		t.Fatalf("Raw -N: %q, %v", out, err)
	}
	if err := RawCombinedOutput("-t", "nat", "-A", "SEEDRAW", "-p", "tcp", "--dport", "81", "-j", "RETURN"); err != nil {
		t.Fatal(err)
	}
	if err := RawCombinedOutputNative("-t", "nat", "-A", "SEEDRAW", "-p", "udp", "--dport", "82", "-j", "RETURN"); err != nil {
		t.Fatal(err)
	}
	out, err := Raw("-t", "nat", "-S", "SEEDRAW")
	if err != nil || !strings.Contains(string(out), "--dport 81") || !strings.Contains(string(out), "--dport 82") {
		t.Fatalf("Raw -S: %q, %v", out, err)
	}
	if err := RawCombinedOutput("-t", "nat", "-S", "SEEDRAW"); err == nil || !types.IsInternal(err) {
		t.Fatalf("output taken for success: %v", err)
	}
	if !Exists(Nat, "SEEDRAW", "-p", "tcp", "-m", "tcp", "--dport", "81", "-j", "RETURN") || Exists(Nat, "SEEDRAW", "-p", "tcp", "--dport", "99", "-j", "RETURN") {
		t.Fatal("Exists wrong")
	}
	err = RawCombinedOutput("-t", "nat", "-D", "SEEDRAW", "-p", "tcp", "--dport", "99", "-j", "RETURN")
	var ie *Error
	if !errors.As(err, &ie) || !types.IsNotFound(err) || ie.ExitStatus == 0 {
		t.Fatalf("deleting a missing rule: %v", err)
	}
	if _, err := Raw("--bogus-flag"); !types.IsBadRequest(err) {
		t.Fatalf("bad flag: %v", err)
	}
	c := &ChainInfo{Name: "SEEDRAW", Table: Nat}
	if err := c.Prerouting(Append, "-p", "tcp", "--dport", "83", "-j", "SEEDRAW"); err != nil {
		t.Fatal(err)
	}
	if err := c.Output(Insert, "-p", "tcp", "--dport", "84", "-j", "SEEDRAW"); err != nil {
		t.Fatal(err)
	}
	s := saveOut(t, "iptables")
	has(t, s, "-A PREROUTING -p tcp -m tcp --dport 83 -j SEEDRAW", true)
	has(t, s, "-A OUTPUT -p tcp -m tcp --dport 84 -j SEEDRAW", true)
	if err := c.Prerouting(Delete, "-p", "tcp", "--dport", "83", "-j", "SEEDRAW"); err != nil {
		t.Fatal(err)
	}
	if err := c.Output(Delete, "-p", "tcp", "--dport", "84", "-j", "SEEDRAW"); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(); err != nil {
		t.Fatal(err)
	}
	if s := saveOut(t, "iptables"); strings.Contains(s, "SEEDRAW") {
		t.Fatalf("left behind:\n%s", s)
	}
}

func TestSeedIptablesNotFound(t *testing.T) {
	old := iptablesBin
	iptablesBin = "/nonexistent/iptables"
	t.Cleanup(func() { iptablesBin = old })
	for name, err := range map[string]error{
		"Raw":                     func() error { _, err := Raw("-L"); return err }(),
		"RawCombinedOutputNative": RawCombinedOutputNative("-L"),
	} {
		if !errors.Is(err, ErrIptablesNotFound) || !types.IsNoService(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if Exists(Filter, "INPUT", "-j", "ACCEPT") || ExistChain("INPUT", Filter) {
		t.Error("found a rule without iptables")
	}
}

func TestSeedGetVersion(t *testing.T) {
	major, minor, micro, err := GetVersion()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("iptables", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("v%d.%d.%d", major, minor, micro); !strings.Contains(string(out), want+" ") && !strings.HasSuffix(strings.TrimSpace(string(out)), want) {
		t.Fatalf("GetVersion %s, iptables says %q", want, out)
	}
	tests := []struct {
		in      string
		a, b, c int
		ok      bool
	}{
		{"iptables v1.8.9 (nf_tables)", 1, 8, 9, true},
		{"iptables v1.4.21", 1, 4, 21, true},
		{"ip6tables v1.8.7 (legacy)\n", 1, 8, 7, true},
		{"iptables 1.8.9", 0, 0, 0, false},
		{"iptables vX.8.9", 0, 0, 0, false},
		{"", 0, 0, 0, false},
	}
	for _, tc := range tests {
		a, b, c, err := parseVersion(tc.in)
		if (err == nil) != tc.ok || a != tc.a || b != tc.b || c != tc.c {
			t.Errorf("parseVersion(%q) = %d.%d.%d, %v", tc.in, a, b, c, err)
		}
		if err != nil && !types.IsInternal(err) {
			t.Errorf("parseVersion(%q): untyped %v", tc.in, err)
		}
	}
}

func TestSeedChainError(t *testing.T) {
	e := ChainError{Chain: "PREROUTING", Output: []byte("some output")}
	if msg := e.Error(); !strings.Contains(msg, "PREROUTING") || !strings.Contains(msg, "some output") {
		t.Fatalf("message %q", msg)
	}
	var err error = e
	var ce ChainError
	if !errors.As(err, &ce) || ce.Chain != "PREROUTING" {
		t.Fatal("errors.As")
	}
}
