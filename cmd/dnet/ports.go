package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/api"
)

// parseExpose reads PORT, PORT/PROTO or PROTO/PORT.
func parseExpose(v string) (api.Port, error) {
	a, b, ok := strings.Cut(v, "/")
	if !ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return api.Port{}, fmt.Errorf("invalid port %q: want PORT[/PROTO]", v)
		}
		return api.Port{Proto: "tcp", Port: n}, nil
	}
	if n, err := strconv.Atoi(a); err == nil {
		return api.Port{Proto: b, Port: n}, nil
	}
	if n, err := strconv.Atoi(b); err == nil {
		return api.Port{Proto: a, Port: n}, nil
	}
	return api.Port{}, fmt.Errorf("invalid port %q: want PORT[/PROTO]", v)
}

// parsePublish reads [HOST_IP:][HOST_PORT[-END]:]PORT[/PROTO]; an IPv6
// host address goes in brackets ([::1]:8080:80).
func parsePublish(v string) (api.PortBinding, error) {
	bad := func() (api.PortBinding, error) {
		return api.PortBinding{}, fmt.Errorf("invalid port binding %q: want [HOST_IP:][HOST_PORT[-END]:]PORT[/PROTO]", v)
	}
	pb := api.PortBinding{Proto: "tcp"}
	s := v
	if i := strings.LastIndex(s, "/"); i >= 0 {
		pb.Proto, s = s[i+1:], s[:i]
	}
	var parts []string
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 || end+1 >= len(s) || s[end+1] != ':' {
			return bad()
		}
		pb.HostIP = s[1:end]
		parts = strings.Split(s[end+2:], ":")
		if len(parts) != 2 {
			return bad()
		}
	} else {
		parts = strings.Split(s, ":")
		switch len(parts) {
		case 1, 2:
		case 3:
			pb.HostIP, parts = parts[0], parts[1:]
		default:
			return bad()
		}
	}
	cport, err := strconv.Atoi(parts[len(parts)-1])
	if err != nil {
		return bad()
	}
	pb.Port = cport
	if len(parts) == 2 && parts[0] != "" {
		lo, hi, isRange := strings.Cut(parts[0], "-")
		if pb.HostPort, err = strconv.Atoi(lo); err != nil {
			return bad()
		}
		if isRange {
			if pb.HostPortEnd, err = strconv.Atoi(hi); err != nil {
				return bad()
			}
		}
	}
	return pb, nil
}

// publishString shows a binding as HOST_IP:HOST_PORT->PORT/PROTO ("*"
// for every host address).
func publishString(b api.PortBinding) string {
	host := b.HostIP
	if host == "" {
		host = "*"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	hp := strconv.Itoa(b.HostPort)
	if b.HostPortEnd != 0 {
		hp += "-" + strconv.Itoa(b.HostPortEnd)
	}
	return fmt.Sprintf("%s:%s->%d/%s", host, hp, b.Port, b.Proto)
}
