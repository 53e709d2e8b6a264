// Package nftdump renders nf_tables state for tests (a package of its own:
// the nft package's tests use testutils).
package nftdump

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/nft"
	"github.com/vishvananda/netns"
)

// State renders the nf_tables state of the namespace h that iptables-save
// does not show: every table but iptables' own (filter, nat, mangle, raw,
// security), with its chains and every element of its sets, one sorted line
// each ("ip T chain C", "ip T set S key=value", keys and values in hex).
func State(t testing.TB, h netns.NsHandle) string {
	t.Helper()
	c, err := nft.Open(h)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tables, err := c.Tables()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tb := range tables {
		switch tb.Name {
		case "filter", "nat", "mangle", "raw", "security":
			continue
		}
		out = append(out, tb.String())
		chains, err := c.Chains(tb)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range chains {
			out = append(out, fmt.Sprintf("%s chain %s", tb, ch))
		}
		sets, err := c.Sets(tb)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sets {
			elems, err := c.Elems(tb, s)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range elems {
				l := fmt.Sprintf("%s set %s %x", tb, s, e.Key)
				if e.Val != nil {
					l += fmt.Sprintf("=%x", e.Val)
				}
				out = append(out, l)
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
