package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/cnmkit/libnetwork/api"
)

// networkFilterKeys are the keys --filter takes for networks.
var networkFilterKeys = []string{"driver", "id", "label", "name", "scope"}

// networkFilter is the --filter of network ls and prune, with Docker's
// rules: name and id match when a value equals them or, as a regular
// expression, matches part of them; driver and scope match exactly; label
// is KEY (the label is set) or KEY=VALUE. Values of one key are OR-ed,
// keys are AND-ed, except label, whose values must all match (as in
// Docker).
type networkFilter struct {
	exact  map[string][]string         // driver, scope
	fuzzy  map[string][]*regexp.Regexp // name, id
	raw    map[string][]string         // name, id as given
	labels []labelFilter
}

// labelFilter is label=KEY or label=KEY=VALUE.
type labelFilter struct {
	key, value string
	hasValue   bool
}

// parseNetworkFilters reads KEY=VALUE filters.
func parseNetworkFilters(args []string) (*networkFilter, error) {
	f := &networkFilter{exact: map[string][]string{}, fuzzy: map[string][]*regexp.Regexp{}, raw: map[string][]string{}}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok {
			return nil, fmt.Errorf("bad filter %q: want KEY=VALUE", a)
		}
		switch k {
		case "driver", "scope":
			if v == "" {
				return nil, fmt.Errorf("bad filter %q: %s needs a value", a, k)
			}
			f.exact[k] = append(f.exact[k], v)
		case "name", "id":
			re, err := regexp.Compile(v)
			if err != nil {
				return nil, fmt.Errorf("bad filter %q: %v", a, err)
			}
			f.fuzzy[k] = append(f.fuzzy[k], re)
			f.raw[k] = append(f.raw[k], v)
		case "label":
			lk, lv, hasVal := strings.Cut(v, "=")
			if lk == "" {
				return nil, fmt.Errorf("bad filter %q: want label=KEY or label=KEY=VALUE", a)
			}
			f.labels = append(f.labels, labelFilter{lk, lv, hasVal})
		default:
			return nil, fmt.Errorf("invalid filter %q: want one of %s", k, strings.Join(networkFilterKeys, ", "))
		}
	}
	return f, nil
}

// match reports whether n passes the filter.
func (f *networkFilter) match(n api.Network) bool {
	for k, vals := range f.exact {
		src := map[string]string{"driver": n.Driver, "scope": n.Scope}[k]
		if !slices.Contains(vals, src) {
			return false
		}
	}
	for k, res := range f.fuzzy {
		src := map[string]string{"name": n.Name, "id": n.ID}[k]
		if !slices.Contains(f.raw[k], src) && !anyMatch(res, src) {
			return false
		}
	}
	for _, l := range f.labels {
		v, ok := n.Labels[l.key]
		if !ok || (l.hasValue && v != l.value) {
			return false
		}
	}
	return true
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}
