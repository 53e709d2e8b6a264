package iptables

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentBatches commits batches from many goroutines: distinct
// rules all land, and one rule appended by all of them lands once.
func TestConcurrentBatches(t *testing.T) {
	ipt := newTable(t, IPv4)
	baseline(t, "iptables")
	before := saveOut(t, "iptables")
	c := ipt.ChainName("CONC")
	same := []string{"-p", "udp", "-m", "udp", "--dport", "53", "-j", "RETURN"}
	const workers = 12
	var wg sync.WaitGroup
	errc := make(chan error, 2*workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			err := ipt.NewBatch().
				NewChain(Nat, c).
				EnsureJump(Nat, "OUTPUT", c).
				Append(Nat, c, "-p", "tcp", "-m", "tcp", "--dport", fmt.Sprint(2000+w), "-j", "RETURN").
				Append(Nat, c, same...).
				Commit()
			if err != nil {
				errc <- err
			}
		}(w)
	}
	wg.Wait()
	s := saveOut(t, "iptables")
	if n := strings.Count(s, "-A "+c+" -p tcp"); n != workers {
		t.Errorf("%d distinct rules installed, want %d", n, workers)
	}
	if countLines(s, "-A "+c+" "+strings.Join(same, " ")) != 1 || countLines(s, "-A OUTPUT -j "+c) != 1 {
		t.Errorf("shared rule or jump not installed exactly once:\n%s", s)
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			err := ipt.NewBatch().Delete(Nat, c, "-p", "tcp", "-m", "tcp", "--dport", fmt.Sprint(2000+w), "-j", "RETURN").
				Delete(Nat, c, same...).Commit()
			if err != nil {
				errc <- err
			}
		}(w)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if rules := ipt.Rules(Nat, c); len(rules) != 0 {
		t.Fatalf("record keeps %v", rules)
	}
	if err := ipt.RemoveChain(Nat, c); err != nil {
		t.Fatal(err)
	}
	if after := saveOut(t, "iptables"); after != before {
		t.Fatalf("ruleset changed:\n%s", after)
	}
}
