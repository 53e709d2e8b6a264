package etchosts

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/cnmkit/libnetwork/types"
)

// Record is one hosts-file entry: an address and the names it answers to.
type Record struct {
	// Hosts holds one or more host names separated by spaces.
	Hosts string
	// IP is the IPv4 or IPv6 address of the names.
	IP string
}

// WriteTo writes the record as one hosts-file line ("IP<TAB>Hosts\n").
func (r Record) WriteTo(w io.Writer) (int64, error) {
	n, err := fmt.Fprintf(w, "%s\t%s\n", r.IP, r.Hosts)
	return int64(n), err
}

// ParseRecord parses an extra-host option value of the form "name:ip" (as
// given to OptionExtraHost or --add-host). The address may be IPv6 and may be
// written in brackets ("name:[::1]"). Exactly one host name is allowed. The
// result is validated.
func ParseRecord(s string) (Record, error) {
	name, ip, ok := strings.Cut(s, ":")
	if !ok {
		return Record{}, types.BadRequestErrorf("invalid extra host %q: want name:ip", s)
	}
	if len(ip) >= 2 && ip[0] == '[' && ip[len(ip)-1] == ']' {
		ip = ip[1 : len(ip)-1]
	}
	if err := validateHostname(name); err != nil {
		return Record{}, types.BadRequestErrorf("invalid extra host %q: %w", s, err)
	}
	if _, err := parseAddr(ip); err != nil {
		return Record{}, types.BadRequestErrorf("invalid extra host %q: %w", s, err)
	}
	return Record{Hosts: name, IP: ip}, nil
}

// ValidateRecord checks that r has a valid IP address and one or more valid
// host names.
func ValidateRecord(r Record) error {
	if _, err := parseAddr(r.IP); err != nil {
		return err
	}
	names := fields(r.Hosts)
	if len(names) == 0 {
		return types.BadRequestErrorf("hosts entry for %q has no host name", r.IP)
	}
	for _, n := range names {
		if err := validateHostname(n); err != nil {
			return err
		}
	}
	return nil
}

// parseAddr parses a hosts-file address (a zone is allowed).
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, types.BadRequestErrorf("invalid IP address %q in hosts entry", s)
	}
	return a, nil
}

// validateHostname checks name against RFC 1123: dot-separated labels of 1 to
// 63 letters, digits and hyphens, not starting or ending with a hyphen, at
// most 253 characters in all. Underscores are also accepted, because
// container names (which may hold them) are written as host names for links.
func validateHostname(name string) error {
	if name == "" {
		return types.BadRequestErrorf("empty host name")
	}
	if len(name) > 253 {
		return types.BadRequestErrorf("invalid host name %q: longer than 253 characters", name)
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return types.BadRequestErrorf("invalid host name %q: it is an IP address", name)
	}
	for label := range strings.SplitSeq(name, ".") {
		if err := validateLabel(label); err != nil {
			return types.BadRequestErrorf("invalid host name %q: %w", name, err)
		}
	}
	return nil
}

func validateLabel(l string) error {
	if l == "" {
		return fmt.Errorf("empty label")
	}
	if len(l) > 63 {
		return fmt.Errorf("label %q longer than 63 characters", l)
	}
	if l[0] == '-' || l[len(l)-1] == '-' {
		return fmt.Errorf("label %q starts or ends with a hyphen", l)
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return fmt.Errorf("label %q has invalid character %q", l, c)
		}
	}
	return nil
}

// fields splits s on ASCII blanks (space, tab, CR, VT, FF).
func fields(s string) []string {
	return strings.FieldsFunc(s, isBlank)
}

func isBlank(r rune) bool {
	return r == ' ' || r == '\t' || r == '\r' || r == '\v' || r == '\f'
}
