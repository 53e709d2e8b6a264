// Package parent is what the macvlan and ipvlan drivers share about the
// link their containers' interfaces hang from: parsing and checking the
// `parent` option, the 802.1q sub-interfaces and dummy links the drivers
// create (marked by their alias, deleted with the last network using
// them), and the registry of networks claiming a parent link, so that
// networks of different drivers or modes never share one.
package parent

import (
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/types"
)

// maxNameLen is the longest interface name the kernel takes (IFNAMSIZ-1).
const maxNameLen = 15

// Spec is a parsed `parent` option.
type Spec struct {
	// Name is the parent link's name: the option as given.
	Name string
	// Link and VID are set for a LINK.VID option: the link an 802.1q
	// sub-interface Name of VLAN VID is made on, when Name does not exist.
	Link string
	VID  int
	// vlanErr says why a name with a dot is not LINK.VID; it matters only
	// when no link has that name.
	vlanErr error
}

// ParseSpec parses a `parent` option: LINK, or LINK.VID (VID 1 to 4094).
// It does not look at the kernel: a link that exists under a dotted name
// is taken as it is, whatever follows the dot.
func ParseSpec(s string) (Spec, error) {
	if s == "" {
		return Spec{}, types.BadRequestErrorf("parent: empty link name")
	}
	if len(s) > maxNameLen {
		return Spec{}, types.BadRequestErrorf("parent %q: a link name has at most %d characters", s, maxNameLen)
	}
	if strings.ContainsAny(s, "/: \t\n") || s == "." || s == ".." {
		return Spec{}, types.BadRequestErrorf("parent %q: not a valid link name", s)
	}
	sp := Spec{Name: s}
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return sp, nil
	}
	link, vid := s[:i], s[i+1:]
	n, err := strconv.Atoi(vid)
	switch {
	case link == "":
		sp.vlanErr = types.BadRequestErrorf("parent %q: no link before the VLAN ID", s)
	case err != nil || strconv.Itoa(n) != vid:
		sp.vlanErr = types.BadRequestErrorf("parent %q: VLAN ID %q is not a number", s, vid)
	case n < 1 || n > 4094:
		sp.vlanErr = types.BadRequestErrorf("parent %q: VLAN ID %d is outside 1-4094", s, n)
	default:
		sp.Link, sp.VID = link, n
	}
	return sp, nil
}

// DummyName returns the name of the dummy link of an internal network:
// "cnm-dm-" and 8 characters of the network ID.
func DummyName(nid string) string {
	const n = 8
	if len(nid) > n {
		nid = nid[:n]
	}
	return "cnm-dm-" + nid
}
