package integration

import (
	"net/http"
	"strings"
	"testing"
)

// testDnetBadRequests sends malformed, invalid and conflicting requests:
// each gets its status and a message naming the field, and the daemon's
// state (its API view, links and namespaces) is unchanged.
func testDnetBadRequests(t *testing.T, bins dnetBinaries) {
	e := newDnetEnv(t, bins)
	e.start()
	e.rawJSON(http.MethodPost, "/v1/networks", `{"name":"n1","driver":"bridge","ipam":[{"subnet":"10.78.0.0/24"}]}`, http.StatusCreated, nil)
	e.rawJSON(http.MethodPost, "/v1/networks", `{"name":"nn","driver":"null"}`, http.StatusCreated, nil)
	e.rawJSON(http.MethodPost, "/v1/networks/n1/endpoints", `{"name":"e1"}`, http.StatusCreated, nil)
	e.rawJSON(http.MethodPost, "/v1/networks/n1/endpoints", `{"name":"e2"}`, http.StatusCreated, nil)
	e.rawJSON(http.MethodPost, "/v1/sandboxes", `{"name":"s1"}`, http.StatusCreated, nil)
	e.rawJSON(http.MethodPost, "/v1/sandboxes", `{"name":"s2"}`, http.StatusCreated, nil)
	e.rawJSON(http.MethodPost, "/v1/sandboxes/s1/attach", `{"network":"n1","endpoint":"e1"}`, http.StatusOK, nil)
	before := e.state()

	const (
		bad      = http.StatusBadRequest
		notFound = http.StatusNotFound
		conflict = http.StatusConflict
		forbid   = http.StatusForbidden
	)
	post, get, del := http.MethodPost, http.MethodGet, http.MethodDelete
	cases := []struct {
		method, path, body string
		status             int
		field              string
		msg                []string
	}{
		// Malformed bodies.
		{post, "/v1/networks", `{`, bad, "", []string{"malformed JSON"}},
		{post, "/v1/networks", `not json`, bad, "", []string{"malformed JSON"}},
		{post, "/v1/networks", ``, bad, "", []string{"empty"}},
		{post, "/v1/networks", `[]`, bad, "", []string{"want an object"}},
		{post, "/v1/networks", `{"name":"x","driver":"null"} {}`, bad, "", []string{"after the object"}},
		{post, "/v1/networks", `{"name":"x","driver":"null","bogus":1}`, bad, "bogus", []string{"unknown field"}},
		{post, "/v1/networks", `{"name":"x","driver":"bridge","ipam":[{"subnet":"10.79.0.0/24","mask":24}]}`, bad, "mask", nil},
		{post, "/v1/networks", `{"name":5,"driver":"null"}`, bad, "name", []string{"string"}},
		{post, "/v1/networks", `{"name":"x","driver":"null","ipv6":"yes"}`, bad, "ipv6", []string{"boolean"}},
		// Invalid networks.
		{post, "/v1/networks", `{"driver":"null"}`, bad, "name", []string{"required"}},
		{post, "/v1/networks", `{"name":"bad name!","driver":"null"}`, bad, "name", []string{"bad name!"}},
		{post, "/v1/networks", `{"name":"x"}`, bad, "driver", []string{"required"}},
		{post, "/v1/networks", `{"name":"x","driver":"nosuch"}`, bad, "driver", []string{"nosuch"}},
		{post, "/v1/networks", `{"name":"x","driver":"bridge","ipam":[{"subnet":"10.79.0.0/33"}]}`, bad, "ipam[0].subnet", []string{"10.79.0.0/33"}},
		{post, "/v1/networks", `{"name":"x","driver":"bridge","ipam":[{"subnet":"banana"}]}`, bad, "ipam[0].subnet", []string{"banana"}},
		{post, "/v1/networks", `{"name":"x","driver":"bridge","ipam":[{"subnet":"10.79.0.7/24"}]}`, bad, "ipam[0].subnet", []string{"10.79.0.0/24"}},
		{post, "/v1/networks", `{"name":"x","driver":"bridge","ipam":[{"gateway":"10.79.0.1"}]}`, bad, "ipam[0].subnet", []string{"required"}},
		{post, "/v1/networks", `{"name":"x","driver":"bridge","ipam":[{"subnet":"10.79.0.0/24","gateway":"10.80.0.1"}]}`, bad, "ipam[0].gateway", []string{"10.80.0.1"}},
		{post, "/v1/networks", `{"name":"x","driver":"bridge","ipam":[{"subnet":"10.79.0.0/24","gateway":"nope"}]}`, bad, "ipam[0].gateway", []string{"nope"}},
		{post, "/v1/networks", `{"name":"x","driver":"bridge","ipam":[{"subnet":"10.79.0.0/24","ip_range":"10.79.1.0/25"}]}`, bad, "ipam[0].ip_range", []string{"10.79.1.0/25"}},
		{post, "/v1/networks", `{"name":"x","driver":"bridge","ipam":[{"subnet":"10.79.0.0/24"},{"subnet":"10.79.0.0/25"}]}`, bad, "ipam[1].subnet", []string{"overlaps"}},
		{post, "/v1/networks", `{"name":"x","driver":"bridge","ipam":[{"subnet":"fd00:79::/64"}]}`, bad, "ipam[0].subnet", []string{"ipv6"}},
		{post, "/v1/networks", `{"name":"x","driver":"bridge","options":{"":"v"}}`, bad, "options", nil},
		// Invalid endpoints.
		{post, "/v1/networks/n1/endpoints", `{}`, bad, "name", []string{"required"}},
		{post, "/v1/networks/n1/endpoints", `{"name":"e/x"}`, bad, "name", []string{"e/x"}},
		{post, "/v1/networks/n1/endpoints", `{"name":"x","exposed_ports":[{"proto":"tcp","port":0}]}`, bad, "exposed_ports[0].port", []string{"out of range"}},
		{post, "/v1/networks/n1/endpoints", `{"name":"x","port_bindings":[{"proto":"tcp","port":70000}]}`, bad, "port_bindings[0].port", []string{"70000"}},
		{post, "/v1/networks/n1/endpoints", `{"name":"x","port_bindings":[{"proto":"tcp","port":80,"host_port":-1}]}`, bad, "port_bindings[0].host_port", []string{"-1"}},
		{post, "/v1/networks/n1/endpoints", `{"name":"x","port_bindings":[{"proto":"icmp","port":80}]}`, bad, "port_bindings[0].proto", []string{"icmp"}},
		{post, "/v1/networks/n1/endpoints", `{"name":"x","port_bindings":[{"port":80,"host_port":9000,"host_port_end":8000}]}`, bad, "port_bindings[0].host_port_end", []string{"8000"}},
		{post, "/v1/networks/n1/endpoints", `{"name":"x","port_bindings":[{"port":80,"host_ip":"1.2.3"}]}`, bad, "port_bindings[0].host_ip", []string{"1.2.3"}},
		{post, "/v1/networks/n1/endpoints", `{"name":"x","port_bindings":[{"port":"80"}]}`, bad, "port_bindings.port", []string{"number"}},
		{post, "/v1/networks/n1/endpoints", `{"name":"x","aliases":["-bad-"]}`, bad, "aliases[0]", []string{"-bad-"}},
		{post, "/v1/networks/n1/endpoints", `{"name":"x","ipv4_address":"10.78.0.300"}`, bad, "ipv4_address", []string{"10.78.0.300"}},
		{post, "/v1/networks/n1/endpoints", `{"name":"x","ipv4_address":"10.99.0.5"}`, bad, "", []string{"10.99.0.5"}},
		// Invalid sandboxes.
		{post, "/v1/sandboxes", `{"hostname":"h"}`, bad, "name", []string{"required"}},
		{post, "/v1/sandboxes", `{"name":"x","hostname":"no_underscores"}`, bad, "hostname", []string{"no_underscores"}},
		{post, "/v1/sandboxes", `{"name":"x","dns":["8.8.8.800"]}`, bad, "dns[0]", []string{"8.8.8.800"}},
		{post, "/v1/sandboxes", `{"name":"x","extra_hosts":["db"]}`, bad, "extra_hosts[0]", []string{"name:ip"}},
		{post, "/v1/sandboxes", `{"name":"x","dns_options":["a b"]}`, bad, "dns_options[0]", nil},
		{post, "/v1/sandboxes/s2/attach", `{"endpoint":"e2"}`, bad, "network", []string{"required"}},
		{post, "/v1/sandboxes/s2/attach", `{"network":"n1"}`, bad, "endpoint", []string{"required"}},
		{post, "/v1/sandboxes/s2/attach", `{"network":"n1","endpoint":"e2","prio":1}`, bad, "prio", []string{"unknown field"}},
		{del, "/v1/networks/n1/endpoints/e2?force=maybe", "", bad, "force", []string{"maybe"}},
		// Unknown objects and routes.
		{get, "/v1/networks/nope", "", notFound, "", []string{"nope"}},
		{del, "/v1/networks/nope", "", notFound, "", []string{"nope"}},
		{post, "/v1/networks/nope/endpoints", `{"name":"x"}`, notFound, "", []string{"nope"}},
		{get, "/v1/networks/nope/endpoints", "", notFound, "", nil},
		{get, "/v1/networks/n1/endpoints/nope", "", notFound, "", []string{"nope", "n1"}},
		{del, "/v1/networks/n1/endpoints/nope", "", notFound, "", nil},
		{get, "/v1/sandboxes/nope", "", notFound, "", nil},
		{del, "/v1/sandboxes/nope", "", notFound, "", nil},
		{post, "/v1/sandboxes/nope/attach", `{"network":"n1","endpoint":"e2"}`, notFound, "", nil},
		{post, "/v1/sandboxes/s2/attach", `{"network":"nope","endpoint":"e2"}`, notFound, "", []string{"nope"}},
		{post, "/v1/sandboxes/s2/attach", `{"network":"n1","endpoint":"nope"}`, notFound, "", []string{"nope"}},
		{get, "/v1/bogus", "", notFound, "", []string{"no route"}},
		{get, "/v2/networks", "", notFound, "", []string{"no route"}},
		{http.MethodPut, "/v1/networks/n1", `{}`, http.StatusMethodNotAllowed, "", []string{"use GET, HEAD, DELETE"}},
		// Conflicts.
		{post, "/v1/networks", `{"name":"n1","driver":"null"}`, conflict, "name", []string{"n1"}},
		{post, "/v1/networks/n1/endpoints", `{"name":"e1"}`, conflict, "name", []string{"e1"}},
		{post, "/v1/sandboxes", `{"name":"s1"}`, conflict, "name", []string{"s1"}},
		{post, "/v1/sandboxes/s2/attach", `{"network":"n1","endpoint":"e1"}`, conflict, "", []string{"already attached"}},
		{post, "/v1/sandboxes/s2/detach", `{"network":"n1","endpoint":"e1"}`, conflict, "", []string{"not attached"}},
		{post, "/v1/sandboxes/s2/detach", `{"network":"n1","endpoint":"e2"}`, conflict, "", []string{"not attached"}},
		// Forbidden by the controller.
		{del, "/v1/networks/n1", "", forbid, "", []string{"active endpoints"}},
		{del, "/v1/networks/n1/endpoints/e1", "", forbid, "", []string{"active"}},
	}
	for _, c := range cases {
		e.expectError(c.method, c.path, c.body, c.status, c.field, c.msg...)
	}
	if after := e.state(); !after.equal(before) {
		t.Fatalf("bad requests changed the state:\nbefore %+v\nafter  %+v", before, after)
	}
	// An overlapping pool is the controller's refusal: typed, and nothing changes.
	status, b := e.raw(post, "/v1/networks", `{"name":"x","driver":"bridge","ipam":[{"subnet":"10.78.0.0/25"}]}`)
	if status < 400 || status >= 500 || !strings.Contains(string(b), "10.78.0.0") {
		t.Errorf("overlapping pool: %d %s", status, b)
	}
	if after := e.state(); !after.equal(before) {
		t.Fatalf("the refused overlapping network changed the state")
	}
}
