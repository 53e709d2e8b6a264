// Package iptables drives the system's iptables and ip6tables binaries.
// An IPTable keeps a record of the chains, jumps and rules it installed, so
// that repeated operations are idempotent without reading the ruleset back.
package iptables

import (
	"fmt"
	"strings"
	"sync"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
)

// IPVersion selects iptables (IPv4) or ip6tables (IPv6).
type IPVersion int

// IP versions.
const (
	IPv4 IPVersion = iota
	IPv6
)

// String returns "ipv4" or "ipv6".
func (v IPVersion) String() string {
	if v == IPv6 {
		return "ipv6"
	}
	return "ipv4"
}

// Table is an iptables table.
type Table string

// Tables we program.
const (
	Nat      Table = "nat"
	Filter   Table = "filter"
	Mangle   Table = "mangle"
	RawTable Table = "raw" // the raw table (the name Raw is the seed's command function)
)

var allTables = []Table{Filter, Nat, Mangle, RawTable}

func (t Table) valid() bool {
	switch t {
	case Nat, Filter, Mangle, RawTable:
		return true
	}
	return false
}

// DefaultChainPrefix is the prefix of every chain an IPTable creates unless
// WithPrefix says otherwise. It differs from Docker's "DOCKER".
var DefaultChainPrefix = "CNMKIT"

// maxChainLen is the longest chain name iptables accepts.
const maxChainLen = 28

// IPTable runs iptables commands of one IP version in one network namespace
// and records what it installed there. It is safe for concurrent use.
type IPTable struct {
	version IPVersion
	nsh     netns.NsHandle
	inNS    bool
	prefix  string
	bin     binaries

	// mu guards the record. Batches run their command without it, marking
	// the chains and rules they change as in flight; coarse operations
	// (RemoveChain, RemoveAll...) wait until no batch is in flight.
	mu       sync.Mutex
	cond     *sync.Cond
	tables   map[Table]*tableRec
	inflight map[string]int
	busy     int

	fp footprint // nf_tables before our first command (see Tidy)
}

// lockIdle locks t.mu once no batch is in flight.
func (t *IPTable) lockIdle() {
	t.mu.Lock()
	for t.busy > 0 {
		t.cond.Wait()
	}
}

// Option configures an IPTable.
type Option func(*IPTable) error

// WithNetNS makes every command run inside the namespace h. The caller keeps
// h open for the life of the IPTable.
func WithNetNS(h netns.NsHandle) Option {
	return func(t *IPTable) error {
		if !h.IsOpen() {
			return types.BadRequestErrorf("iptables: namespace handle %d is not open", int(h))
		}
		t.nsh, t.inNS = h, true
		return nil
	}
}

// WithPrefix sets the prefix that every chain this IPTable creates carries.
func WithPrefix(prefix string) Option {
	return func(t *IPTable) error {
		if err := validPrefix(prefix); err != nil {
			return err
		}
		t.prefix = prefix
		return nil
	}
}

// WithCommand uses the iptables binary at path (for example
// /usr/sbin/iptables-legacy); its -restore and -save companions are found by
// appending "-restore" and "-save" to the path.
func WithCommand(path string) Option {
	return func(t *IPTable) error {
		if path == "" || strings.ContainsAny(path, " \t\n") {
			return types.BadRequestErrorf("iptables: invalid command path %q", path)
		}
		t.bin = binaries{main: path, restore: path + "-restore", save: path + "-save"}
		return nil
	}
}

// New returns an IPTable for version v, working in the process's namespace
// unless WithNetNS is given.
func New(v IPVersion, opts ...Option) (*IPTable, error) {
	if v != IPv4 && v != IPv6 {
		return nil, types.BadRequestErrorf("iptables: unknown IP version %d", int(v))
	}
	t := &IPTable{
		version: v,
		nsh:     netns.None(),
		prefix:  DefaultChainPrefix,
		bin:     defaultBinaries(v),
		tables:  map[Table]*tableRec{},

		inflight: map[string]int{},
	}
	t.cond = sync.NewCond(&t.mu)
	for _, o := range opts {
		if err := o(t); err != nil {
			return nil, err
		}
	}
	if err := validPrefix(t.prefix); err != nil {
		return nil, err
	}
	return t, nil
}

// Version returns the IP version t programs.
func (t *IPTable) Version() IPVersion { return t.version }

// Prefix returns the prefix of t's chains.
func (t *IPTable) Prefix() string { return t.prefix }

// ChainName returns the name of t's chain for suffix ("PREFIX-SUFFIX").
func (t *IPTable) ChainName(suffix string) string { return t.prefix + "-" + suffix }

// Owns reports whether chain carries t's prefix.
func (t *IPTable) Owns(chain string) bool { return hasPrefix(chain, t.prefix) }

func hasPrefix(chain, prefix string) bool {
	return chain == prefix || strings.HasPrefix(chain, prefix+"-")
}

func validPrefix(p string) error {
	if p == "" || len(p) > maxChainLen-2 || strings.ContainsAny(p, " \t\n\"'!-") {
		return types.BadRequestErrorf("iptables: invalid chain prefix %q", p)
	}
	if p == "DOCKER" {
		return types.BadRequestErrorf("iptables: chain prefix %q is Docker's", p)
	}
	return nil
}

func validChain(name string) error {
	if name == "" || len(name) > maxChainLen || strings.ContainsAny(name, " \t\n\"'") ||
		strings.HasPrefix(name, "-") || strings.HasPrefix(name, "!") {
		return types.BadRequestErrorf("iptables: invalid chain name %q", name)
	}
	return nil
}

func (t *IPTable) validOwned(table Table, chain string) error {
	if err := validTable(table); err != nil {
		return err
	}
	if err := validChain(chain); err != nil {
		return err
	}
	if !t.Owns(chain) {
		return types.BadRequestErrorf("iptables: chain %q does not carry the prefix %q", chain, t.prefix)
	}
	return nil
}

func validTable(table Table) error {
	if !table.valid() {
		return types.BadRequestErrorf("iptables: unknown table %q", string(table))
	}
	return nil
}

func validRule(rule []string) error {
	for _, a := range rule {
		if strings.ContainsAny(a, "\n\r\x00") {
			return types.BadRequestErrorf("iptables: invalid rule argument %q", a)
		}
	}
	return nil
}

// String names the IP version and, when bound, the namespace.
func (t *IPTable) String() string {
	if t.inNS {
		return fmt.Sprintf("%s(%s)", t.version, t.nsh)
	}
	return t.version.String()
}
