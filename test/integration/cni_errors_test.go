package integration

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

// testCNIDaemonRestart: containers added before the daemon restarts are
// removed by DEL after it; the restarted daemon kept them meanwhile.
func testCNIDaemonRestart(t *testing.T, bins cniBins) {
	e := newCNIEnv(t, bins)
	e.start()
	l := e.conflist("1.1.0", "rs", ours("bridge", "10.99.0.0/24", nil))
	c := newCNICtr(t, "survivor")
	res := e.add(l, c.rt("eth0", nil))
	if code := e.signal(e.d, 15); code != 0 {
		t.Fatalf("daemon exit code %d", code)
	}
	e.start()
	if got := ctrLinks(t, c.h); len(got) != 2 || got[1] != "eth0="+res.IPs[0].Address.String() {
		t.Errorf("after the restart: %v", got)
	}
	must(t, e.check(l, c.rt("eth0", nil)))
	e.del(l, c.rt("eth0", nil))
	if got := ctrLinks(t, c.h); !reflect.DeepEqual(got, []string{"lo=127.0.0.1/8"}) {
		t.Errorf("DEL after the restart left: %v", got)
	}
}

// testCNIDaemonDown: with no daemon ADD and DEL fail with code 11 (try
// again later) and touch nothing.
func testCNIDaemonDown(t *testing.T, bins cniBins) {
	e := newCNIEnv(t, bins)
	l := e.conflist("1.1.0", "down", ours("bridge", "10.100.0.0/24", nil))
	c := newCNICtr(t, "early")
	ctx, cancel := cniCtx()
	defer cancel()
	_, err := e.cni.AddNetworkList(ctx, l, c.rt("eth0", nil))
	if code, msg := cniCode(t, err); code != types.ErrTryAgainLater || !strings.Contains(msg, e.sock) {
		t.Errorf("ADD with the daemon down: %d %q", code, msg)
	}
	err = e.cni.DelNetworkList(ctx, l, c.rt("eth0", nil))
	if code, _ := cniCode(t, err); code != types.ErrTryAgainLater {
		t.Errorf("DEL with the daemon down: code %d", code)
	}
	if got := ctrLinks(t, c.h); !reflect.DeepEqual(got, []string{"lo=127.0.0.1/8"}) {
		t.Errorf("ADD with the daemon down touched the container: %v", got)
	}
	// Once it is up, the runtime's retry works.
	e.start()
	e.add(l, c.rt("eth0", nil))
	e.del(l, c.rt("eth0", nil))
}

// testCNIBadInput: bad configurations and environments fail with the CNI
// error code of the spec, naming the field, and leave nothing behind.
func testCNIBadInput(t *testing.T, bins cniBins) {
	e := newCNIEnv(t, bins)
	e.start()
	good := e.conflist("1.1.0", "good", ours("bridge", "10.101.0.0/24", nil))
	dup := newCNICtr(t, "dup")
	e.add(good, dup.rt("eth0", nil))
	notNS := filepath.Join(t.TempDir(), "plain-file")
	must(t, os.WriteFile(notNS, nil, 0o644))
	before := e.snap()
	c := newCNICtr(t, "victim")
	cases := []struct {
		name  string
		list  *libcni.NetworkConfigList
		rt    *libcni.RuntimeConf
		code  uint
		field string
	}{
		{"missing driver", e.conflist("1.1.0", "nodrv", map[string]interface{}{"type": "cnmkit-cni"}), c.rt("eth0", nil),
			types.ErrInvalidNetworkConfig, "driver"},
		{"unknown driver", e.conflist("1.1.0", "baddrv", ours("nosuchdriver", "10.102.0.0/24", nil)), c.rt("eth0", nil),
			types.ErrInvalidNetworkConfig, "driver"},
		{"bad subnet", e.conflist("1.1.0", "badcidr", ours("bridge", "10.103.0.0/33", nil)), c.rt("eth0", nil),
			types.ErrInvalidNetworkConfig, "ipam.config[0].subnet"},
		{"gateway outside", e.conflist("1.1.0", "badgw", ours("bridge", "", map[string]interface{}{
			"ipam": map[string]interface{}{"config": []map[string]string{{"subnet": "10.104.0.0/24", "gateway": "10.105.0.1"}}}})), c.rt("eth0", nil),
			types.ErrInvalidNetworkConfig, "ipam.config[0].gateway"},
		{"overlapping subnet", e.conflist("1.1.0", "overlap", ours("bridge", "10.101.0.0/25", nil)), c.rt("eth0", nil),
			types.ErrInvalidNetworkConfig, "ipam.config[0].subnet"},
		{"bad socket", e.conflist("1.1.0", "badsock", ours("bridge", "", map[string]interface{}{"socket": "ftp://x"})), c.rt("eth0", nil),
			types.ErrInvalidNetworkConfig, "socket"},
		{"netns not a namespace", good, &libcni.RuntimeConf{ContainerID: "victim", NetNS: notNS, IfName: "eth0"},
			types.ErrInvalidEnvironmentVariables, "CNI_NETNS"},
		{"netns missing", good, &libcni.RuntimeConf{ContainerID: "victim", NetNS: "/nonexistent/ns", IfName: "eth0"},
			types.ErrInvalidEnvironmentVariables, "CNI_NETNS"},
		// libcni refuses it before running the plugin: run it directly.
		{"ifname too long", nil, c.rt("eth0123456789abc", nil), types.ErrInvalidEnvironmentVariables, "CNI_IFNAME"},
		{"duplicate ADD", good, dup.rt("eth0", nil), types.ErrInvalidEnvironmentVariables, "CNI_IFNAME"},
		{"unsupported cniVersion", e.conflist("0.4.0", "oldver", ours("bridge", "10.106.0.0/24", nil)), c.rt("eth0", nil),
			types.ErrIncompatibleCNIVersion, "cniVersion"},
		{"bad port mapping", e.conflist("1.1.0", "good", ours("bridge", "10.101.0.0/24", map[string]interface{}{
			"capabilities": map[string]bool{"portMappings": true}})),
			c.rt("eth0", map[string]interface{}{"portMappings": []map[string]interface{}{{"hostPort": 80, "containerPort": 70000}}}),
			types.ErrInvalidNetworkConfig, "runtimeConfig.portMappings[0].containerPort"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := cniCtx()
			defer cancel()
			var r interface{}
			var err error
			if tc.list == nil {
				r, err = e.execOurs(ctx, "ADD", good, tc.rt)
			} else {
				r, err = e.cni.AddNetworkList(ctx, tc.list, tc.rt)
			}
			if err == nil {
				t.Fatalf("ADD succeeded: %v", r)
			}
			code, msg := cniCode(t, err)
			if code != tc.code || !strings.HasPrefix(msg, tc.field+": ") {
				t.Errorf("ADD: code %d %q, want code %d naming %s", code, msg, tc.code, tc.field)
			}
		})
	}
	if got := ctrLinks(t, c.h); !reflect.DeepEqual(got, []string{"lo=127.0.0.1/8"}) {
		t.Errorf("bad ADDs touched the container: %v", got)
	}
	if got := ctrLinks(t, dup.h); len(got) != 2 {
		t.Errorf("the duplicate ADD changed the first attachment: %v", got)
	}
	e.same(before, "bad ADDs")
	e.del(good, dup.rt("eth0", nil))
}
