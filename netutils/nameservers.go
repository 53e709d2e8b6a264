package netutils

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"strings"
)

// resolvConfPath is the host's resolver configuration FindAvailableNetwork
// keeps networks clear of.
var resolvConfPath = "/etc/resolv.conf"

// hostNameservers returns the nameservers of resolvConfPath in CIDR form.
func hostNameservers() []string { return nameserversOf(resolvConfPath) }

// nameserversOf returns the nameservers of the resolv.conf at path in CIDR
// form (a /32 or /128 each); none when the file cannot be read, as
// libnetwork.
func nameserversOf(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		host, _, _ := strings.Cut(f[1], "%")
		ip := net.ParseIP(host)
		switch {
		case ip == nil:
		case ip.To4() != nil:
			out = append(out, ip.To4().String()+"/32")
		default:
			out = append(out, ip.String()+"/128")
		}
	}
	return out
}
