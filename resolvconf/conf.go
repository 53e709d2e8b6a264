package resolvconf

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"

	"github.com/cnmkit/libnetwork/types"
)

// Address families for GetNameservers: the values of types.IP, types.IPv4
// and types.IPv6, which callers written for libnetwork pass.
const (
	// IP selects IPv4 and IPv6 nameservers.
	IP = types.IP
	// IPv4 selects IPv4 nameservers.
	IPv4 = types.IPv4
	// IPv6 selects IPv6 nameservers.
	IPv6 = types.IPv6
)

// Conf is the content of a resolv.conf file.
type Conf struct {
	// Nameservers are the "nameserver" addresses, in order.
	Nameservers []string
	// Search is the search list ("search", or "domain" which sets a
	// one-element list; the last such line wins, as in glibc).
	Search []string
	// Options are the words of every "options" line, in order.
	Options []string
	// Other holds every other non-blank line (comments, sortlist, unknown
	// keywords), verbatim and in order.
	Other []string
}

// Parse reads resolv.conf content the way the C resolver does: a keyword
// counts only at the start of a line followed by a space or tab, and '#' or
// ';' start a comment on keyword lines. It never fails: nameserver lines
// whose address is not an IP are dropped and unknown lines go to Other.
func Parse(content []byte) *Conf {
	c := &Conf{}
	for _, line := range splitLines(string(content)) {
		if strings.TrimFunc(line, isBlank) == "" {
			continue
		}
		kw, rest := keyword(line)
		args := fields(cutComment(rest))
		switch kw {
		case "nameserver":
			if len(args) > 0 && isIP(args[0]) {
				c.Nameservers = append(c.Nameservers, args[0])
			}
		case "search":
			c.Search = args
		case "domain":
			c.Search = nil
			if len(args) > 0 {
				c.Search = args[:1]
			}
		case "options":
			c.Options = append(c.Options, args...)
		default:
			c.Other = append(c.Other, line)
		}
	}
	if len(c.Search) == 0 {
		c.Search = nil
	}
	return c
}

// Bytes renders c: the Other lines first, then "search", the "nameserver"
// lines and "options". Empty lists produce no line.
func (c *Conf) Bytes() []byte {
	var b bytes.Buffer
	for _, l := range c.Other {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if len(c.Search) > 0 {
		b.WriteString("search " + strings.Join(c.Search, " ") + "\n")
	}
	for _, ns := range c.Nameservers {
		b.WriteString("nameserver " + ns + "\n")
	}
	if len(c.Options) > 0 {
		b.WriteString("options " + strings.Join(c.Options, " ") + "\n")
	}
	return b.Bytes()
}

// Override returns a copy of c in which each non-empty argument replaces the
// matching list, as OptionDNS, OptionDNSSearch and OptionDNSOptions do. A
// search list of just "." empties the search list. The arguments are
// validated first (a BadRequestError names the bad value); c itself is never
// changed.
func (c *Conf) Override(dns, search, options []string) (*Conf, error) {
	if err := ValidateNameservers(dns); err != nil {
		return nil, err
	}
	if err := ValidateSearchDomains(search); err != nil {
		return nil, err
	}
	if err := ValidateOptions(options); err != nil {
		return nil, err
	}
	n := c.clone()
	if len(dns) > 0 {
		n.Nameservers = slices.Clone(dns)
	}
	if len(search) > 0 {
		n.Search = searchList(search)
	}
	if len(options) > 0 {
		n.Options = slices.Clone(options)
	}
	return n, nil
}

func (c *Conf) clone() *Conf {
	return &Conf{
		Nameservers: slices.Clone(c.Nameservers),
		Search:      slices.Clone(c.Search),
		Options:     slices.Clone(c.Options),
		Other:       slices.Clone(c.Other),
	}
}

// searchList maps the "no search domains" value "." to an empty list.
func searchList(search []string) []string {
	if len(search) == 1 && search[0] == "." {
		return nil
	}
	return slices.Clone(search)
}

// GetNameservers returns the nameservers of content of the given family
// (IP, IPv4 or IPv6). An IPv4-mapped IPv6 address counts as IPv4.
func GetNameservers(content []byte, kind int) []string {
	var out []string
	for _, ns := range Parse(content).Nameservers {
		a, _ := netip.ParseAddr(ns)
		is6 := a.Unmap().Is6()
		if kind == IP || kind == IPv4 && !is6 || kind == IPv6 && is6 {
			out = append(out, ns)
		}
	}
	return out
}

// GetNameserversAsCIDR returns the nameservers of content as host prefixes
// ("10.0.0.1/32", "fd00::1/128"), without zones.
func GetNameserversAsCIDR(content []byte) []string {
	var out []string
	for _, ns := range Parse(content).Nameservers {
		a, _ := netip.ParseAddr(ns)
		a = a.WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()).String())
	}
	return out
}

// GetSearchDomains returns the search list of content.
func GetSearchDomains(content []byte) []string {
	return Parse(content).Search
}

// GetOptions returns the options of content.
func GetOptions(content []byte) []string {
	return Parse(content).Options
}

var keywords = []string{"nameserver", "search", "domain", "options"}

// keyword returns the keyword that starts line (followed by a space or a
// tab) and the rest of the line, or "" and line.
func keyword(line string) (string, string) {
	for _, kw := range keywords {
		if len(line) > len(kw) && strings.HasPrefix(line, kw) && (line[len(kw)] == ' ' || line[len(kw)] == '\t') {
			return kw, line[len(kw):]
		}
	}
	return "", line
}

func cutComment(s string) string {
	if i := strings.IndexAny(s, "#;"); i >= 0 {
		return s[:i]
	}
	return s
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// splitLines splits s into lines; a final newline does not start a line.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// fields splits s on ASCII blanks (space, tab, CR, VT, FF).
func fields(s string) []string {
	return strings.FieldsFunc(s, isBlank)
}

func isBlank(r rune) bool {
	return r == ' ' || r == '\t' || r == '\r' || r == '\v' || r == '\f'
}
