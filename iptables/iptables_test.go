package iptables

import (
	"errors"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
)

func TestChainsRulesAndRemoval(t *testing.T) {
	for _, vr := range variants(t, true) {
		v := vr.v
		t.Run(vr.name, func(t *testing.T) {
			ipt := newTable(t, v, WithCommand(vr.cmd))
			baseline(t, vr.cmd)
			before := saveOut(t, vr.cmd)
			chain := ipt.ChainName("T1")
			dst := "10.0.0.0/8"
			if v == IPv6 {
				dst = "fd00::/8"
			}
			rule := []string{"-d", dst, "-p", "tcp", "-m", "tcp", "--dport", "80", "-j", "ACCEPT"}
			for i := 0; i < 2; i++ { // the second round proves idempotence
				if err := ipt.NewChain(Filter, chain); err != nil {
					t.Fatal(err)
				}
				if err := ipt.EnsureJump(Filter, "FORWARD", chain); err != nil {
					t.Fatal(err)
				}
				if err := ipt.Append(Filter, chain, rule...); err != nil {
					t.Fatal(err)
				}
				if err := ipt.Insert(Filter, chain, 1, "-p", "udp", "-j", "RETURN"); err != nil {
					t.Fatal(err)
				}
			}
			s := saveOut(t, vr.cmd)
			for _, want := range []string{
				":" + chain + " -",
				"-A FORWARD -j " + chain,
				"-A " + chain + " -d " + dst + " -p tcp -m tcp --dport 80 -j ACCEPT",
				"-A " + chain + " -p udp -j RETURN",
			} {
				if countLines(s, want) != 1 {
					t.Errorf("want exactly one %q in:\n%s", want, s)
				}
			}
			if !strings.Contains(s, "-A FORWARD -j "+chain+"\n-A FORWARD -j DOCKER-USER") {
				t.Errorf("jump is not at the top of FORWARD:\n%s", s)
			}
			if ok, err := ipt.Exists(Filter, chain, rule...); err != nil || !ok {
				t.Fatalf("Exists = %v, %v; want true", ok, err)
			}
			if err := ipt.Delete(Filter, chain, rule...); err != nil {
				t.Fatal(err)
			}
			if err := ipt.Delete(Filter, chain, rule...); err != nil {
				t.Fatalf("second Delete: %v", err)
			}
			if ok, err := ipt.Exists(Filter, chain, rule...); err != nil || ok {
				t.Fatalf("Exists after Delete = %v, %v; want false", ok, err)
			}
			if err := ipt.FlushChain(Filter, chain); err != nil {
				t.Fatal(err)
			}
			if got := ipt.Rules(Filter, chain); len(got) != 0 {
				t.Fatalf("rules recorded after flush: %v", got)
			}
			if strings.Contains(saveOut(t, vr.cmd), "-A "+chain+" ") {
				t.Fatal("chain still has rules after FlushChain")
			}
			if err := ipt.RemoveChain(Filter, chain); err != nil {
				t.Fatal(err)
			}
			if err := ipt.RemoveChain(Filter, chain); err != nil {
				t.Fatalf("second RemoveChain: %v", err)
			}
			if after := saveOut(t, vr.cmd); after != before {
				t.Fatalf("ruleset changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestBatchOneCallAndRollback(t *testing.T) {
	for _, vr := range variants(t, false) {
		t.Run(vr.name, func(t *testing.T) { testBatch(t, vr.cmd) })
	}
}

func testBatch(t *testing.T, cmd string) {
	ipt := newTable(t, IPv4, WithCommand(cmd))
	baseline(t, cmd)
	before := saveOut(t, cmd)
	nat, filt := ipt.ChainName("BN"), ipt.ChainName("BF")
	b := ipt.NewBatch().
		NewChain(Nat, nat).
		EnsureJump(Nat, "PREROUTING", nat, "-m", "addrtype", "--dst-type", "LOCAL").
		Append(Nat, nat, "-p", "tcp", "-m", "tcp", "--dport", "8080", "-j", "DNAT", "--to-destination", "10.1.0.2:80").
		Append(Nat, nat, "-p", "tcp", "-m", "comment", "--comment", `two "words"`, "-j", "RETURN").
		NewChain(Filter, filt).
		EnsureJump(Filter, "FORWARD", filt).
		Append(Filter, filt, "-d", "10.1.0.2/32", "-p", "tcp", "-m", "tcp", "--dport", "80", "-j", "ACCEPT")
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	mid := saveOut(t, cmd)
	for _, want := range []string{
		"-A PREROUTING -m addrtype --dst-type LOCAL -j " + nat,
		"-A " + nat + " -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.1.0.2:80",
		"-A " + nat + ` -p tcp -m comment --comment "two \"words\"" -j RETURN`,
		"-A FORWARD -j " + filt,
		"-A " + filt + " -d 10.1.0.2/32 -p tcp -m tcp --dport 80 -j ACCEPT",
	} {
		if countLines(mid, want) != 1 {
			t.Errorf("want exactly one %q in:\n%s", want, mid)
		}
	}
	// Committing the same batch again changes nothing.
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if again := saveOut(t, cmd); again != mid {
		t.Fatalf("second commit changed the ruleset:\n%s", again)
	}

	// A batch whose second table fails leaves the first table untouched.
	bad := ipt.NewBatch().
		Append(Nat, nat, "-p", "udp", "-m", "udp", "--dport", "53", "-j", "RETURN").
		Append(Filter, filt, "-j", ipt.ChainName("MISSING"))
	err := bad.Commit()
	if !types.IsNotFound(err) {
		t.Fatalf("bad batch: got %v (%T), want a NotFound error", err, err)
	}
	var ie *Error
	if !errors.As(err, &ie) || !(strings.Contains(ie.Stderr, "MISSING") || strings.Contains(ie.Stderr, "No chain/target/match")) {
		t.Fatalf("error does not carry iptables' message: %#v", ie)
	}
	if got := saveOut(t, cmd); got != mid {
		t.Fatalf("failed batch left changes behind:\nwant:\n%s\ngot:\n%s", mid, got)
	}
	if len(ipt.Rules(Nat, nat)) != 2 {
		t.Fatalf("record changed by a failed batch: %v", ipt.Rules(Nat, nat))
	}
	// A delete batch removes the rules; removing the chains restores the ruleset.
	del := ipt.NewBatch().
		Delete(Nat, nat, "-p", "tcp", "-m", "tcp", "--dport", "8080", "-j", "DNAT", "--to-destination", "10.1.0.2:80").
		Delete(Filter, filt, "-d", "10.1.0.2/32", "-p", "tcp", "-m", "tcp", "--dport", "80", "-j", "ACCEPT")
	if err := del.Commit(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(saveOut(t, cmd), "--dport 8080") {
		t.Fatal("batch delete left the DNAT rule")
	}
	if err := ipt.RemoveChain(Nat, nat); err != nil {
		t.Fatal(err)
	}
	if err := ipt.RemoveChain(Filter, filt); err != nil {
		t.Fatal(err)
	}
	if after := saveOut(t, cmd); after != before {
		t.Fatalf("ruleset changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestDeleteBatchToleratesVanishedRules(t *testing.T) {
	ipt := newTable(t, IPv4)
	baseline(t, "iptables")
	before := saveOut(t, "iptables")
	c := ipt.ChainName("VAN")
	r1 := []string{"-p", "tcp", "-j", "RETURN"}
	r2 := []string{"-p", "udp", "-j", "RETURN"}
	if err := ipt.NewBatch().NewChain(Nat, c).Append(Nat, c, r1...).Append(Nat, c, r2...).Commit(); err != nil {
		t.Fatal(err)
	}
	// Someone else deletes r1 behind our back.
	sh(t, "iptables", "-w", "-t", "nat", "-D", c, "-p", "tcp", "-j", "RETURN")
	if err := ipt.NewBatch().Delete(Nat, c, r1...).Delete(Nat, c, r2...).Commit(); err != nil {
		t.Fatalf("delete batch: %v", err)
	}
	if err := ipt.RemoveChain(Nat, c); err != nil {
		t.Fatal(err)
	}
	if after := saveOut(t, "iptables"); after != before {
		t.Fatalf("ruleset changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestRemoveAllAndReconcile(t *testing.T) {
	ipt := newTable(t, IPv4, WithPrefix("CNMKITRA"))
	baseline(t, "iptables")
	before := saveOut(t, "iptables")
	nat, filt := ipt.ChainName("NAT"), ipt.ChainName("FILTER")
	dnat := []string{"-d", "192.168.7.1/32", "-p", "tcp", "-m", "tcp", "--dport", "81", "-j", "DNAT", "--to-destination", "10.1.0.3:80"}
	program := func(ipt *IPTable) {
		t.Helper()
		err := ipt.NewBatch().
			NewChain(Nat, nat).EnsureJump(Nat, "OUTPUT", nat, "!", "-d", "127.0.0.0/8", "-m", "addrtype", "--dst-type", "LOCAL").
			Append(Nat, nat, dnat...).
			NewChain(Filter, filt).EnsureJump(Filter, "FORWARD", filt).
			Append(Filter, filt, "-m", "comment", "--comment", "a b", "-j", "ACCEPT").
			Commit()
		if err != nil {
			t.Fatal(err)
		}
	}
	program(ipt)
	mid := saveOut(t, "iptables")

	// A fresh IPTable (a restarted process) adopts what is there: the same
	// program adds nothing, and a known rule can be deleted.
	again := newTable(t, IPv4, WithPrefix("CNMKITRA"))
	program(again)
	if got := saveOut(t, "iptables"); got != mid {
		t.Fatalf("re-programming after restart changed the ruleset:\nwant:\n%s\ngot:\n%s", mid, got)
	}
	if got := again.Rules(Nat, nat); len(got) != 1 || strings.Join(got[0], " ") != strings.Join(dnat, " ") {
		t.Fatalf("adopted rules = %q", got)
	}

	// RemoveAll from a third, empty record removes our chains and jumps only.
	fresh := newTable(t, IPv4)
	if err := fresh.RemoveAll("CNMKITRA"); err != nil {
		t.Fatal(err)
	}
	if after := saveOut(t, "iptables"); after != before {
		t.Fatalf("ruleset changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if err := again.RemoveAll("CNMKITRA"); err != nil {
		t.Fatalf("RemoveAll with nothing left: %v", err)
	}
	if len(again.Chains(Nat)) != 0 {
		t.Fatalf("record keeps removed chains: %v", again.Chains(Nat))
	}
}

func TestNamespaceBound(t *testing.T) {
	testutils.RequireRoot(t)
	baseline(t, "iptables")
	before := saveOut(t, "iptables")
	_, h := testutils.NewNS(t, "ipt")
	ipt := newTable(t, IPv4, WithNetNS(h))
	c := ipt.ChainName("NS")
	if err := ipt.NewBatch().NewChain(Nat, c).EnsureJump(Nat, "PREROUTING", c).Append(Nat, c, "-j", "RETURN").Commit(); err != nil {
		t.Fatal(err)
	}
	inside := saveOut(t, "iptables", h)
	if countLines(inside, "-A PREROUTING -j "+c) != 1 {
		t.Fatalf("jump not programmed in the bound namespace:\n%s", inside)
	}
	if got := saveOut(t, "iptables"); got != before {
		t.Fatalf("the test namespace changed:\n%s", got)
	}
	if err := ipt.RemoveAll(ipt.Prefix()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(saveOut(t, "iptables", h), c) {
		t.Fatal("chain left in the bound namespace")
	}
}

func TestErrorsCarryIptablesMessage(t *testing.T) {
	ipt := newTable(t, IPv4)
	c := ipt.ChainName("ERR")
	if err := ipt.NewChain(Filter, c); err != nil {
		t.Fatal(err)
	}
	defer ipt.RemoveChain(Filter, c)
	tests := []struct {
		name   string
		err    error
		class  func(error) bool
		stderr string
	}{
		{"bad option", ipt.Append(Filter, c, "-p", "tcp", "--dportx", "1", "-j", "ACCEPT"), types.IsBadRequest, `unknown option "--dportx"`},
		{"bad address", ipt.Append(Filter, c, "-s", "300.1.1.1", "-j", "ACCEPT"), types.IsBadRequest, "300.1.1.1"},
		{"missing target", ipt.Append(Filter, c, "-j", "CNMKIT-NOPE"), types.IsNotFound, ""},
		{"missing chain", ipt.Insert(Filter, "NOPE", 1, "-j", "ACCEPT"), types.IsNotFound, "No chain/target/match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil || !tc.class(tc.err) {
				t.Fatalf("got %v (%T), wrong class", tc.err, tc.err)
			}
			var ie *Error
			if !errors.As(tc.err, &ie) {
				t.Fatalf("%v is not an *Error", tc.err)
			}
			if !strings.Contains(ie.Stderr, tc.stderr) || !strings.Contains(tc.err.Error(), tc.stderr) {
				t.Fatalf("stderr %q lacks %q", ie.Stderr, tc.stderr)
			}
			if ie.ExitStatus <= 0 || len(ie.Args) == 0 {
				t.Fatalf("exit status %d, args %v", ie.ExitStatus, ie.Args)
			}
		})
	}
	if rules := ipt.Rules(Filter, c); len(rules) != 0 {
		t.Fatalf("failed appends were recorded: %v", rules)
	}
	missing := newTable(t, IPv4, WithCommand("/nonexistent/iptables"))
	if err := missing.NewChain(Nat, missing.ChainName("X")); !types.IsNoService(err) {
		t.Fatalf("missing binary: got %v (%T), want NoService", err, err)
	}
}

func TestBadInput(t *testing.T) {
	ipt, err := New(IPv4)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
	}{
		{"unprefixed chain", ipt.NewChain(Nat, "MYCHAIN")},
		{"docker prefix", func() error { _, err := New(IPv4, WithPrefix("DOCKER")); return err }()},
		{"long chain", ipt.NewChain(Nat, ipt.ChainName(strings.Repeat("X", 30)))},
		{"bad table", ipt.Append("bogus", "INPUT", "-j", "ACCEPT")},
		{"newline", ipt.Append(Nat, "INPUT", "-j", "ACCEPT\n-A X")},
		{"empty rule", ipt.Append(Nat, "INPUT")},
		{"jump to foreign chain", ipt.EnsureJump(Nat, "PREROUTING", "DOCKER")},
		{"bad position", ipt.Insert(Nat, "INPUT", 0, "-j", "ACCEPT")},
		{"bad restore line", ipt.Restore(Nat, []string{"COMMIT"})},
		{"bad version", func() error { _, err := New(IPVersion(7)); return err }()},
	}
	for _, tc := range tests {
		if !types.IsBadRequest(tc.err) {
			t.Errorf("%s: got %v, want BadRequest", tc.name, tc.err)
		}
	}
}

func TestRestoreRaw(t *testing.T) {
	ipt := newTable(t, IPv4)
	baseline(t, "iptables")
	before := saveOut(t, "iptables")
	c := ipt.ChainName("RAW")
	if err := ipt.Restore(Mangle, []string{":" + c + " - [0:0]", "-A " + c + " -j RETURN"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(saveOut(t, "iptables"), "-A "+c+" -j RETURN") {
		t.Fatal("Restore did not program the rule")
	}
	if err := ipt.RemoveAll(ipt.Prefix()); err != nil {
		t.Fatal(err)
	}
	after := saveOut(t, "iptables")
	if strings.Contains(after, c) {
		t.Fatalf("RemoveAll left %s:\n%s", c, after)
	}
	if after != before {
		t.Fatalf("ruleset changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestDetectBackend(t *testing.T) {
	testutils.RequireRoot(t)
	b, err := DetectBackend(IPv4)
	if err != nil {
		t.Fatal(err)
	}
	out, err := execute([]string{"iptables", "--version"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "("+string(b)+")") && b != Legacy {
		t.Fatalf("backend %q does not match %q", b, out)
	}
}
