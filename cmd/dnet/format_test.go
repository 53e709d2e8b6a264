package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/api"
)

func TestParseFormat(t *testing.T) {
	for _, c := range []struct {
		in          string
		json, table bool
		tmpl        bool
		bad         string // in the error
	}{
		{in: ""},
		{in: "json", json: true},
		{in: " json ", json: true},
		{in: "table", table: true},
		{in: "table {{.ID}}", table: true, tmpl: true},
		{in: `table {{.ID}}\t{{.Name}}`, table: true, tmpl: true},
		{in: "{{.Name}}", tmpl: true},
		{in: "{{json .}}", tmpl: true},
		{in: `{{join (split .Subnets ", ") "|"}} {{upper .Name}} {{lower .Name}} {{truncate .ID 3}} {{pad .Name 1 1}}`, tmpl: true},
		{in: "{{.Name", bad: `"{{.Name"`},
		{in: "{{nofunc .}}", bad: "nofunc"},
		{in: "xml", bad: `"xml"`},
		{in: "table xml", bad: `"table xml"`},
	} {
		f, err := parseFormat(c.in)
		if c.bad != "" {
			if err == nil || !strings.Contains(err.Error(), c.bad) {
				t.Errorf("parseFormat(%q) = %+v, %v; want an error with %s", c.in, f, err, c.bad)
			}
			continue
		}
		if err != nil || f.json != c.json || f.table != c.table || (f.tmpl != nil) != c.tmpl {
			t.Errorf("parseFormat(%q) = json %v table %v template %v, %v; want %v %v %v", c.in, f.json, f.table, f.tmpl != nil, err, c.json, c.table, c.tmpl)
		}
	}
}

func TestFormatRows(t *testing.T) {
	n := api.Network{ID: strings.Repeat("ab", 32), Name: "web", Driver: "bridge", Scope: "local",
		IPAM: []api.IPAMConfig{{Subnet: "10.1.0.0/24"}, {Subnet: "fd00::/64"}}, Labels: map[string]string{"env": "prod", "a": "b"},
		Created: time.Date(2026, 12, 4, 1, 2, 3, 0, time.UTC), Endpoints: []api.EndpointSummary{{Name: "x"}}}
	for _, c := range []struct {
		format string
		trunc  bool
		want   string
	}{
		{"{{.Name}}", true, "web\n"},
		{"{{.ID}}", true, "abababababab\n"},
		{"{{.ID}}", false, n.ID + "\n"},
		{`{{.Name}}\t{{.Driver}}`, true, "web\tbridge\n"},
		{`table {{.ID}}\t{{.Name}}`, true, "NETWORK ID    NAME\nabababababab  web\n"},
		{"table {{.Label \"env\"}}", true, "LABEL\nprod\n"},
		{"{{.Labels}} {{.Subnets}} {{.Endpoints}} {{.IPv6}}", true, "a=b,env=prod 10.1.0.0/24, fd00::/64 1 false\n"},
		{`{{join (split .Subnets ", ") "|"}}`, true, "10.1.0.0/24|fd00::/64\n"},
		{"{{upper .Driver}} {{truncate .Name 2}}", true, "BRIDGE we\n"},
		{`{{json .Name}}`, true, "\"web\"\n"},
	} {
		f, err := parseFormat(c.format)
		if err != nil {
			t.Fatalf("%s: %v", c.format, err)
		}
		var b bytes.Buffer
		if err := f.rows(&b, networkHeader, []interface{}{newNetworkRow(n, c.trunc)}); err != nil || b.String() != c.want {
			t.Errorf("--format %q: %q, %v; want %q", c.format, b.String(), err, c.want)
		}
	}
	// {{json .}} is the row's fields, one object a line.
	f, _ := parseFormat("{{json .}}")
	var b bytes.Buffer
	if err := f.rows(&b, networkHeader, []interface{}{newNetworkRow(n, true), newNetworkRow(n, true)}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	var got map[string]string
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &got) != nil || got["Name"] != "web" || got["ID"] != "abababababab" || got["Labels"] != "a=b,env=prod" {
		t.Fatalf("{{json .}}: %q", b.String())
	}
	// An unknown field fails before anything is written.
	f, _ = parseFormat("{{.Name}} {{.Nope}}")
	b.Reset()
	if err := f.rows(&b, networkHeader, []interface{}{newNetworkRow(n, true)}); err == nil || !strings.Contains(err.Error(), "Nope") || b.Len() != 0 {
		t.Fatalf("unknown field: %v, wrote %q", err, b.String())
	}
}

func TestNetworkFilter(t *testing.T) {
	nws := []api.Network{
		{ID: "1111aaaa", Name: "front", Driver: "bridge", Scope: "local", Labels: map[string]string{"env": "prod", "team": "a"}},
		{ID: "2222bbbb", Name: "back", Driver: "bridge", Scope: "local", Labels: map[string]string{"env": "dev"}},
		{ID: "3333cccc", Name: "ov-front", Driver: "overlay", Scope: "global"},
		{ID: "4444dddd", Name: "none", Driver: "null", Scope: "local", Labels: map[string]string{}},
	}
	for _, c := range []struct {
		filters []string
		want    string
	}{
		{nil, "front back ov-front none"},
		{[]string{"name=front"}, "front ov-front"}, // part of the name
		{[]string{"name=^front$"}, "front"},
		{[]string{"name=front", "name=back"}, "front back ov-front"}, // OR
		{[]string{"name=fr.nt"}, "front ov-front"},                   // a regular expression
		{[]string{"id=1111"}, "front"},
		{[]string{"id=bbbb"}, "back"}, // part of the ID, as Docker's
		{[]string{"id=3333cccc"}, "ov-front"},
		{[]string{"driver=bridge"}, "front back"},
		{[]string{"driver=bridge", "driver=null"}, "front back none"},
		{[]string{"driver=bri"}, ""}, // exact
		{[]string{"scope=global"}, "ov-front"},
		{[]string{"label=env"}, "front back"},
		{[]string{"label=env=prod"}, "front"},
		{[]string{"label=env", "label=team=a"}, "front"}, // labels all match
		{[]string{"label=env=none"}, ""},
		{[]string{"driver=bridge", "name=back"}, "back"},     // AND across keys
		{[]string{"DRIVER=bridge", "label=env=dev"}, "back"}, // keys in any case
	} {
		f, err := parseNetworkFilters(c.filters)
		if err != nil {
			t.Fatalf("%q: %v", c.filters, err)
		}
		var got []string
		for _, n := range nws {
			if f.match(n) {
				got = append(got, n.Name)
			}
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("filters %q: %q, want %q", c.filters, got, c.want)
		}
	}
	for _, bad := range []string{"name", "bogus=1", "name=(", "label=", "label==x", "driver=", "scope="} {
		if _, err := parseNetworkFilters([]string{bad}); err == nil || !strings.Contains(err.Error(), strings.SplitN(bad, "=", 2)[0]) {
			t.Errorf("filter %q: %v; want an error naming it", bad, err)
		}
	}
	if _, err := parseNetworkFilters([]string{"bogus=1"}); err == nil || !strings.Contains(err.Error(), "driver, id, label, name, scope") {
		t.Errorf("unknown key: %v; want the keys listed", err)
	}
}

func TestParseAuxAddresses(t *testing.T) {
	two := []api.IPAMConfig{{Subnet: "10.1.0.0/24"}, {Subnet: "10.2.0.0/24"}}
	got, err := parseAuxAddresses([]string{"r1=10.2.0.5", "r0=10.1.0.5"}, two)
	if err != nil || !reflect.DeepEqual(got, map[string]string{"r0": "10.1.0.5", "r1": "10.2.0.5"}) {
		t.Fatalf("parseAuxAddresses: %v, %v", got, err)
	}
	if got, err := parseAuxAddresses(nil, two); got != nil || err != nil {
		t.Fatalf("none: %v, %v", got, err)
	}
	// A subnet that does not parse: the daemon names it.
	if _, err := parseAuxAddresses([]string{"x=10.9.0.1"}, []api.IPAMConfig{{Subnet: "bad"}}); err != nil {
		t.Fatalf("unparsed subnet: %v", err)
	}
	for _, c := range []struct {
		pools []api.IPAMConfig
		aux   []string
		bad   string
	}{
		{two, []string{"noequals"}, `"noequals"`},
		{two, []string{"=10.1.0.1"}, `"=10.1.0.1"`},
		{two, []string{"a=notanip"}, `"a=notanip"`},
		{nil, []string{"a=10.1.0.1"}, "a=10.1.0.1 needs a --subnet"},
		{two, []string{"a=10.3.0.1"}, "a=10.3.0.1 is in none"},
		{two, []string{"a=10.1.0.1", "a=10.1.0.2"}, "given twice"},
	} {
		if _, err := parseAuxAddresses(c.aux, c.pools); err == nil || !strings.Contains(err.Error(), c.bad) {
			t.Errorf("parseAuxAddresses(%v): %v; want %s", c.aux, err, c.bad)
		}
	}
}

func TestCheckIPFlag(t *testing.T) {
	for _, c := range []struct {
		flag, v string
		v4, ok  bool
	}{
		{"ip", "", true, true}, {"ip", "10.0.0.1", true, true}, {"ip", "fd00::1", true, false}, {"ip", "x", true, false},
		{"ip6", "fd00::1", false, true}, {"ip6", "10.0.0.1", false, false},
	} {
		err := checkIPFlag(c.flag, c.v, c.v4)
		if (err == nil) != c.ok || (err != nil && !strings.Contains(err.Error(), "--"+c.flag+` "`+c.v+`"`)) {
			t.Errorf("checkIPFlag(%s, %q): %v", c.flag, c.v, err)
		}
	}
}
