package resolvconf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/types"
)

const (
	// MaxSearchDomains is the most search domains ValidateSearchDomains
	// accepts. glibc before 2.26 used only 6 (and 256 characters); newer
	// glibc has no limit; this follows the limits Kubernetes applies.
	MaxSearchDomains = 32
	// MaxSearchChars is the longest search list (domains joined by single
	// spaces) ValidateSearchDomains accepts. musl reads at most 255
	// characters of a line, so containers on musl see fewer domains.
	MaxSearchChars = 2048
)

// flagOptions are the resolv.conf options without a value (glibc's list;
// musl ignores the ones it does not know).
var flagOptions = map[string]bool{
	"debug": true, "rotate": true, "no-check-names": true, "inet6": true,
	"ip6-bytestring": true, "ip6-dotint": true, "no-ip6-dotint": true,
	"edns0": true, "single-request": true, "single-request-reopen": true,
	"no-tld-query": true, "use-vc": true, "no-reload": true, "trust-ad": true,
	"no-aaaa": true,
}

// valueOptions are the options that take a number ("ndots:2"). glibc caps
// the values (ndots 15, timeout 30, attempts 5); larger values are accepted.
var valueOptions = map[string]bool{"ndots": true, "timeout": true, "attempts": true}

// ValidateNameservers checks that every entry is an IP address (a zone, as
// in "fe80::1%eth0", is allowed).
func ValidateNameservers(dns []string) error {
	for _, s := range dns {
		if !isIP(s) {
			return types.BadRequestErrorf("invalid DNS server address %q: not an IP address", s)
		}
	}
	return nil
}

// ValidateSearchDomains checks a search list: valid domain names (a final dot
// is allowed), at most MaxSearchDomains of them and MaxSearchChars in all;
// or the single entry "." that means "no search domains".
func ValidateSearchDomains(search []string) error {
	if len(search) == 1 && search[0] == "." {
		return nil
	}
	if len(search) > MaxSearchDomains {
		return types.BadRequestErrorf("too many DNS search domains (%d): at most %d", len(search), MaxSearchDomains)
	}
	if n := len(strings.Join(search, " ")); n > MaxSearchChars {
		return types.BadRequestErrorf("DNS search list too long (%d characters): at most %d", n, MaxSearchChars)
	}
	for _, d := range search {
		if err := validateDomain(d); err != nil {
			return types.BadRequestErrorf("invalid DNS search domain %q: %w", d, err)
		}
	}
	return nil
}

// ValidateOptions checks that every option is a known resolv.conf option,
// with a decimal value for those that take one ("ndots:2", "timeout:1",
// "attempts:3") and none for the others ("rotate", "edns0").
func ValidateOptions(opts []string) error {
	for _, o := range opts {
		if err := validateOption(o); err != nil {
			return types.BadRequestErrorf("invalid DNS option %q: %w", o, err)
		}
	}
	return nil
}

func validateOption(o string) error {
	name, val, hasVal := strings.Cut(o, ":")
	switch {
	case valueOptions[name]:
		if !hasVal || val == "" {
			return fmt.Errorf("%s needs a value, as in %s:1", name, name)
		}
		for i := 0; i < len(val); i++ {
			if val[i] < '0' || val[i] > '9' {
				return fmt.Errorf("value %q is not a decimal number", val)
			}
		}
		if _, err := strconv.ParseInt(val, 10, 32); err != nil {
			return fmt.Errorf("value %q out of range", val)
		}
		return nil
	case flagOptions[name]:
		if hasVal {
			return fmt.Errorf("%s takes no value", name)
		}
		return nil
	}
	return fmt.Errorf("unknown option")
}

// validateDomain checks a DNS domain name: dot-separated labels of 1 to 63
// letters, digits, hyphens and underscores, not starting or ending with a
// hyphen, at most 253 characters (without the optional final dot).
func validateDomain(d string) error {
	d = strings.TrimSuffix(d, ".")
	if d == "" {
		return fmt.Errorf("empty name")
	}
	if len(d) > 253 {
		return fmt.Errorf("longer than 253 characters")
	}
	if _, err := netip.ParseAddr(d); err == nil {
		return fmt.Errorf("it is an IP address")
	}
	for l := range strings.SplitSeq(d, ".") {
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
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("label %q has invalid character %q", l, c)
			}
		}
	}
	return nil
}
