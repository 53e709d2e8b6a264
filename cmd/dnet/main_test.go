package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/api"
)

func TestParsePublish(t *testing.T) {
	for _, c := range []struct {
		in   string
		want api.PortBinding
		bad  bool
	}{
		{in: "80", want: api.PortBinding{Proto: "tcp", Port: 80}},
		{in: "8080:80", want: api.PortBinding{Proto: "tcp", Port: 80, HostPort: 8080}},
		{in: "8080:80/udp", want: api.PortBinding{Proto: "udp", Port: 80, HostPort: 8080}},
		{in: "9000-9010:53/udp", want: api.PortBinding{Proto: "udp", Port: 53, HostPort: 9000, HostPortEnd: 9010}},
		{in: "127.0.0.1:8080:80", want: api.PortBinding{Proto: "tcp", Port: 80, HostIP: "127.0.0.1", HostPort: 8080}},
		{in: "127.0.0.1::80", want: api.PortBinding{Proto: "tcp", Port: 80, HostIP: "127.0.0.1"}},
		{in: "[::1]:8080:80/sctp", want: api.PortBinding{Proto: "sctp", Port: 80, HostIP: "::1", HostPort: 8080}},
		{in: "70000:80", want: api.PortBinding{Proto: "tcp", Port: 80, HostPort: 70000}}, // range checked by the daemon
		{in: "a:b:c:d", bad: true},
		{in: "http", bad: true},
		{in: "x:80", bad: true},
		{in: "[::1]8080:80", bad: true},
		{in: "[::1]:80", bad: true},
		{in: "8080-x:80", bad: true},
	} {
		got, err := parsePublish(c.in)
		if c.bad {
			if err == nil || !strings.Contains(err.Error(), c.in) {
				t.Errorf("parsePublish(%q) = %+v, %v; want an error naming it", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parsePublish(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestParseExpose(t *testing.T) {
	for in, want := range map[string]api.Port{
		"80": {Proto: "tcp", Port: 80}, "53/udp": {Proto: "udp", Port: 53}, "udp/53": {Proto: "udp", Port: 53},
	} {
		if got, err := parseExpose(in); err != nil || got != want {
			t.Errorf("parseExpose(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"http", "tcp/http", ""} {
		if _, err := parseExpose(in); err == nil {
			t.Errorf("parseExpose(%q): no error", in)
		}
	}
}

func TestIPAMFromFlags(t *testing.T) {
	got, err := ipamFromFlags([]string{"10.1.0.0/24", "10.2.0.0/24"}, []string{"10.2.0.254", "10.1.0.1"}, []string{"10.1.0.128/25"})
	want := []api.IPAMConfig{{Subnet: "10.1.0.0/24", Gateway: "10.1.0.1", IPRange: "10.1.0.128/25"}, {Subnet: "10.2.0.0/24", Gateway: "10.2.0.254"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ipamFromFlags = %+v, %v; want %+v", got, err, want)
	}
	// With one subnet anything goes to it: the daemon names bad values.
	if got, err := ipamFromFlags([]string{"bad"}, []string{"worse"}, nil); err != nil || got[0].Gateway != "worse" {
		t.Fatalf("single subnet: %+v, %v", got, err)
	}
	for _, c := range []struct{ subnets, gws, ranges []string }{
		{nil, []string{"10.0.0.1"}, nil},
		{nil, nil, []string{"10.0.0.0/25"}},
		{[]string{"10.1.0.0/24", "10.2.0.0/24"}, []string{"10.3.0.1"}, nil},
		{[]string{"10.1.0.0/24"}, []string{"10.1.0.1", "10.1.0.2"}, nil},
		{[]string{"10.1.0.0/24"}, nil, []string{"10.1.0.0/25", "10.1.0.128/25"}},
	} {
		if _, err := ipamFromFlags(c.subnets, c.gws, c.ranges); err == nil {
			t.Errorf("ipamFromFlags(%v, %v, %v): no error", c.subnets, c.gws, c.ranges)
		}
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:2385", "[::1]:2385", "localhost:1", "127.1.2.3:0"} {
		if err := checkLoopback(ok); err != nil {
			t.Errorf("checkLoopback(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{":2385", "0.0.0.0:2385", "[::]:1", "10.0.0.1:1", "example.com:1", "127.0.0.1", "127.0.0.1:99999"} {
		if err := checkLoopback(bad); err == nil {
			t.Errorf("checkLoopback(%q): no error", bad)
		}
	}
}

func TestParseFlagsInterspersed(t *testing.T) {
	fs := newFlagSet("x", "Usage: x\n")
	var d string
	var b bool
	fs.StringVar(&d, "d", "", "")
	fs.BoolVar(&b, "b", false, "")
	var out, errOut bytes.Buffer
	pos, _, done := parseFlags(fs, []string{"a", "-d", "v", "b", "-b", "--", "-c", "d"}, &out, &errOut, false)
	if done || d != "v" || !b || !reflect.DeepEqual(pos, []string{"a", "b", "-c", "d"}) {
		t.Fatalf("pos %q d %q b %v done %v (%s)", pos, d, b, done, errOut.String())
	}
	if _, code, done := parseFlags(newFlagSet("y", "Usage: y\n"), []string{"--help"}, &out, &errOut, false); !done || code != exitOK || !strings.Contains(out.String(), "Usage: y") {
		t.Fatalf("--help: done %v code %d out %q", done, code, out.String())
	}
	errOut.Reset()
	if _, code, done := parseFlags(newFlagSet("z", "Usage: z\n"), []string{"--nope"}, &out, &errOut, false); !done || code != exitUsage || !strings.Contains(errOut.String(), "nope") {
		t.Fatalf("unknown flag: done %v code %d err %q", done, code, errOut.String())
	}
}

func TestDaemonConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "dnet.json")
	if err := os.WriteFile(file, []byte(`{"data_dir":"/from/file","exec_root":"/run/file","log_level":"debug","bridge":{"iptables":false}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := newFlagSet("daemon", daemonUsage)
	var df daemonFlags
	df.register(fs.FlagSet)
	var out, errOut bytes.Buffer
	if _, _, done := parseFlags(fs, []string{"--config", file, "--exec-root", "/run/flag", "--default-bridge", "on", "--tcp", "127.0.0.1:2385", "--firewall-backend", "iptables"}, &out, &errOut, false); done {
		t.Fatal(errOut.String())
	}
	cfg := defaultDaemonConfig()
	if err := loadConfigFile(df.configFile, &cfg); err != nil {
		t.Fatal(err)
	}
	df.apply(fs.FlagSet, &cfg)
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	want := daemonConfig{DataDir: "/from/file", ExecRoot: "/run/flag", Socket: "/run/flag/dnet.sock", TCP: "127.0.0.1:2385",
		DefaultBridge: true, LogLevel: "debug", Bridge: bridgeConfig{IPTables: false, IPForward: true, FirewallBackend: "iptables"}}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("config %+v\nwant   %+v", cfg, want)
	}
	if err := os.WriteFile(file, []byte(`{"data_dir":"/x","typo":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := loadConfigFile(file, &cfg); err == nil || !strings.Contains(err.Error(), "typo") {
		t.Fatalf("unknown key: %v", err)
	}
	bad := defaultDaemonConfig()
	bad.Bridge.FirewallBackend = "ebtables"
	if err := bad.finish(); err == nil || !strings.Contains(err.Error(), "ebtables") {
		t.Fatalf("firewall backend ebtables: %v", err)
	}
	bad = defaultDaemonConfig()
	bad.LogLevel = "loud"
	if err := bad.finish(); err == nil {
		t.Fatal("log level loud accepted")
	}
}

func TestRunExitCodes(t *testing.T) {
	none := "unix://" + filepath.Join(t.TempDir(), "none.sock")
	for _, c := range []struct {
		args []string
		code int
		out  string // in stdout (code 0) or stderr
	}{
		{[]string{"--help"}, exitOK, "Usage: dnet"},
		{[]string{"network", "create", "--help"}, exitOK, "--subnet"},
		{[]string{"sandbox", "attach", "-h"}, exitOK, "--network NETWORK"},
		{[]string{}, exitUsage, "Usage: dnet"},
		{[]string{"nope"}, exitUsage, "unknown command"},
		{[]string{"network", "nope"}, exitUsage, "unknown command"},
		{[]string{"endpoint", "create", "x"}, exitUsage, "--network is required"},
		{[]string{"network", "ls", "--format", "xml"}, exitUsage, "xml"},
		{[]string{"-H", none, "network", "create", "--subnet", "fd00::/64", "n6"}, exitUsage, "--subnet fd00::/64 is an IPv6 subnet: add --ipv6"},
		{[]string{"-H", none, "network", "create", "--subnet", "10.9.0.0/24", "--subnet", "fd00::/64", "--ipv6", "n6"}, exitError, "cannot reach"},
		{[]string{"-H", none, "network", "ls"}, exitError, "cannot reach the dnet daemon"},
		{[]string{"-H", none, "sandbox", "rm", "a", "b"}, exitError, "remove sandbox b"},
		// Docker's dialect.
		{[]string{"network", "--help"}, exitOK, "connect"},
		{[]string{"network", "--help"}, exitOK, "prune"},
		{[]string{"network", "connect", "--help"}, exitOK, "--ip6 ADDRESS"},
		{[]string{"help", "network"}, exitOK, "disconnect"},
		{[]string{"daemon", "--help"}, exitOK, "--data-dir"},
		{[]string{"network", "ls", "--nope"}, exitUsage, "unknown flag: --nope"},
		{[]string{"network", "ls", "-z"}, exitUsage, "unknown shorthand flag: 'z'"},
		{[]string{"network", "lss"}, exitUsage, `did you mean "ls"`},
		{[]string{"-H", none, "network", "ls", "--filter", "colour=red"}, exitUsage, `invalid filter "colour"`},
		{[]string{"-H", none, "network", "ls", "-f", "name"}, exitUsage, `bad filter "name"`},
		{[]string{"-H", none, "network", "prune", "-f", "--filter", "colour=red"}, exitUsage, `invalid filter "colour"`},
		{[]string{"-H", none, "network", "ls", "--format", "{{.Name"}, exitUsage, `"{{.Name"`},
		{[]string{"-H", none, "network", "inspect", "--format", "{{json .", "x"}, exitUsage, `"{{json ."`},
		{[]string{"-H", none, "network", "create", "--subnet", "10.9.0.0/24", "--aux-address", "router", "n"}, exitUsage, `invalid --aux-address "router"`},
		{[]string{"-H", none, "network", "create", "--aux-address", "r=10.9.0.1", "n"}, exitUsage, "needs a --subnet"},
		{[]string{"-H", none, "network", "create", "--ipam-opt", "novalue", "n"}, exitUsage, `"novalue"`},
		{[]string{"-H", none, "network", "connect", "--ip", "fd00::1", "n", "c"}, exitUsage, `--ip "fd00::1" is not an IPv4 address`},
		{[]string{"-H", none, "network", "connect", "--ip6", "10.0.0.1", "n", "c"}, exitUsage, `--ip6 "10.0.0.1" is not an IPv6 address`},
		{[]string{"-H", none, "network", "connect", "n"}, exitUsage, "want NETWORK and SANDBOX"},
		{[]string{"-H", none, "network", "disconnect", "n", "c", "d"}, exitUsage, "want NETWORK and SANDBOX"},
		{[]string{"-H", none, "network", "connect", "n", "c"}, exitError, "cannot reach"},
		{[]string{"-H", none, "network", "rm", "-f", "n"}, exitError, "cannot reach"},
		{[]string{"-H", none, "version"}, exitError, "server version"},
	} {
		var out, errOut bytes.Buffer
		code := run(c.args, &out, &errOut)
		where := errOut.String()
		if c.code == exitOK {
			where = out.String()
		}
		if code != c.code || !strings.Contains(where, c.out) {
			t.Errorf("dnet %s: exit %d, stdout %q, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, out.String(), errOut.String(), c.code, c.out)
		}
	}
}
