package bridge

import (
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
)

// A binding that nothing could forward is not published, and the
// endpoint says why.
func TestUnpublishedPorts(t *testing.T) {
	testutils.RequireRoot(t)
	noFW := fullConfig
	noFW.EnableIPTables = false
	for _, c := range []struct {
		name string
		cfg  Configuration
		opts options.Generic
		why  string
	}{
		{"internal network", fullConfig, options.Generic{"Internal": true}, "internal"},
		{"no iptables and no proxy", noFW, nil, optEnableUserlandProxy},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.cfg, map[string]interface{}{ExecRootKey: t.TempDir()})
			e.createNet("n1", c.opts, "10.88.0.0/24", "10.88.0.1/24")
			e.run("a", "n1", "e-a", "10.88.0.2/24")
			err := e.d.ProgramExternalConnectivity("n1", "e-a", map[string]interface{}{
				netlabel.PortMap: []types.PortBinding{{Proto: types.TCP, Port: 80, HostPort: 8080}}})
			if err != nil {
				t.Fatal(err)
			}
			info, err := e.d.EndpointOperInfo("n1", "e-a")
			if err != nil {
				t.Fatal(err)
			}
			why, _ := info[UnpublishedKey].(string)
			if got := info[netlabel.PortMap].([]types.PortBinding); len(got) != 0 || !strings.Contains(why, c.why) {
				t.Fatalf("published %v, reason %q; want none and a reason naming %q", got, why, c.why)
			}
			// The host port is not held.
			if err := ns.WithNetNS(e.hostH, func() error {
				l, err := net.Listen("tcp", "0.0.0.0:8080")
				if err == nil {
					l.Close()
				}
				return err
			}); err != nil {
				t.Fatalf("host port 8080 held: %v", err)
			}
			if err := e.d.RevokeExternalConnectivity("n1", "e-a"); err != nil {
				t.Fatal(err)
			}
			if info, _ := e.d.EndpointOperInfo("n1", "e-a"); info[UnpublishedKey] != nil {
				t.Fatalf("reason kept after revoke: %v", info[UnpublishedKey])
			}
		})
	}
}
