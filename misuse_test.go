package libnetwork

import (
	"net"
	"path/filepath"
	"testing"

	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
)

// TestMisuse runs every misuse of the API against a small world (networks,
// endpoints, joined and deleted sandboxes) and checks that each gets a typed
// error naming what was wrong and leaves the store, the namespaces under the
// exec root, the host's links and the registries exactly as they were.
func TestMisuse(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	joined := must(n.CreateEndpoint("joined"))(t)
	free := must(n.CreateEndpoint("free"))(t)
	sb := must(e.c.NewSandbox("c1"))(t)
	other := must(e.c.NewSandbox("c2"))(t)
	ext := must(e.c.NewSandbox("c3", OptionUseExternalKey()))(t)
	check(t, joined.Join(sb))
	gone := must(e.c.NewSandbox("gone"))(t)
	check(t, gone.Delete())
	nullNet := must(e.c.NewNetwork("null", "none", ""))(t)
	deletedNet := e.fakeNetwork("deleted", "10.99.0.0/24")
	check(t, deletedNet.Delete())
	notNS := filepath.Join(t.TempDir(), "plain-file")
	if err := writeFile(notNS); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name  string
		class func(error) bool
		want  string // a part of the message naming the bad input
		call  func() error
	}{
		{"network with empty name", types.IsBadRequest, `" "`, func() error {
			_, err := e.c.NewNetwork(fakeType, " ", "")
			return err
		}},
		{"network with duplicate name", types.IsForbidden, "net1", func() error {
			_, err := e.c.NewNetwork(fakeType, "net1", "", NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.50.0.0/24"}}, nil, nil))
			return err
		}},
		{"network with duplicate ID", types.IsForbidden, n.ID(), func() error {
			_, err := e.c.NewNetwork(fakeType, "other", n.ID())
			return err
		}},
		{"network ID with a slash", types.IsBadRequest, "a/b", func() error {
			_, err := e.c.NewNetwork(fakeType, "x", "a/b")
			return err
		}},
		{"unknown network driver", types.IsNotFound, "nosuchdriver", func() error {
			_, err := e.c.NewNetwork("nosuchdriver", "x", "")
			return err
		}},
		{"unknown IPAM driver", types.IsBadRequest, "nosuchipam", func() error {
			_, err := e.c.NewNetwork(fakeType, "x", "", NetworkOptionIpam("nosuchipam", "", nil, nil, nil))
			return err
		}},
		{"IPv6 option of the wrong type", types.IsBadRequest, netlabel.EnableIPv6, func() error {
			_, err := e.c.NewNetwork(fakeType, "x", "", NetworkOptionGeneric(map[string]interface{}{netlabel.EnableIPv6: "yes"}))
			return err
		}},
		{"driver options of the wrong type", types.IsBadRequest, netlabel.GenericData, func() error {
			_, err := e.c.NewNetwork(fakeType, "x", "", NetworkOptionGeneric(map[string]interface{}{netlabel.GenericData: 42}))
			return err
		}},
		{"invalid pool", types.IsBadRequest, "10.0.0.0/33", func() error {
			_, err := e.c.NewNetwork(fakeType, "x", "", NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.0.0.0/33"}}, nil, nil))
			return err
		}},
		{"overlapping pool", types.IsForbidden, "10.10.0.0", func() error {
			_, err := e.c.NewNetwork(fakeType, "x", "", NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.10.0.0/16"}}, nil, nil))
			return err
		}},
		{"gateway outside its pool", types.IsBadRequest, "10.77.0.1", func() error {
			_, err := e.c.NewNetwork(fakeType, "x", "", NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.60.0.0/24", Gateway: "10.77.0.1"}}, nil, nil))
			return err
		}},
		{"auxiliary address outside its pool", types.IsForbidden, "10.78.0.1", func() error {
			_, err := e.c.NewNetwork(fakeType, "x", "", NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.61.0.0/24", AuxAddresses: map[string]string{"a": "10.78.0.1"}}}, nil, nil))
			return err
		}},
		{"second null network", types.IsForbidden, "null", func() error {
			_, err := e.c.NewNetwork("null", "none2", "")
			return err
		}},
		{"endpoint with empty name", types.IsBadRequest, `""`, func() error {
			_, err := n.CreateEndpoint("")
			return err
		}},
		{"endpoint with duplicate name", isForbiddenConflict, "joined", func() error {
			_, err := n.CreateEndpoint("joined")
			return err
		}},
		{"endpoint MAC option of the wrong type", types.IsBadRequest, netlabel.MacAddress, func() error {
			_, err := n.CreateEndpoint("x", EndpointOptionGeneric(map[string]interface{}{netlabel.MacAddress: "02:00:00:00:00:01"}))
			return err
		}},
		{"endpoint address outside the network", types.IsBadRequest, "10.200.0.5", func() error {
			_, err := n.CreateEndpoint("x", CreateOptionIpam(net.ParseIP("10.200.0.5"), nil, nil))
			return err
		}},
		{"endpoint address in use", types.IsForbidden, "10.10.0.2", func() error {
			_, err := n.CreateEndpoint("x", CreateOptionIpam(net.ParseIP("10.10.0.2"), nil, nil))
			return err
		}},
		{"endpoint IPv6 address on an IPv4 network", types.IsBadRequest, "2001:db8::5", func() error {
			_, err := n.CreateEndpoint("x", CreateOptionIpam(nil, net.ParseIP("2001:db8::5"), nil))
			return err
		}},
		{"endpoint link-local address not link-local", types.IsBadRequest, "10.1.1.1", func() error {
			_, err := n.CreateEndpoint("x", CreateOptionIpamLinkLocal(nil, nil, []net.IP{net.ParseIP("10.1.1.1")}, nil))
			return err
		}},
		{"endpoint on a deleted network", types.IsNotFound, "deleted", func() error {
			_, err := deletedNet.CreateEndpoint("x")
			return err
		}},
		{"delete a network with endpoints", types.IsForbidden, "net1", n.Delete},
		{"delete a deleted network", types.IsNotFound, "deleted", deletedNet.Delete},
		{"join an endpoint twice", types.IsForbidden, "already joined", func() error { return joined.Join(sb) }},
		{"join a joined endpoint to another sandbox", types.IsForbidden, "joined", func() error { return joined.Join(other) }},
		{"join a deleted sandbox", types.IsNotFound, gone.ID(), func() error { return free.Join(gone) }},
		{"join a nil sandbox", types.IsBadRequest, "nil sandbox", func() error { return free.Join(nil) }},
		{"join with a bad option", types.IsBadRequest, netlabel.MacAddress, func() error {
			return free.Join(other, EndpointOptionGeneric(map[string]interface{}{netlabel.MacAddress: 1}))
		}},
		{"leave a sandbox not joined", types.IsForbidden, "not joined", func() error { return free.Leave(sb) }},
		{"leave the wrong sandbox", types.IsForbidden, other.ID(), func() error { return joined.Leave(other) }},
		{"leave a nil sandbox", types.IsBadRequest, "nil sandbox", func() error { return joined.Leave(nil) }},
		{"leave a deleted sandbox", types.IsNotFound, gone.ID(), func() error { return free.Leave(gone) }},
		{"delete a joined endpoint without force", types.IsForbidden, "joined", func() error { return joined.Delete(false) }},
		{"sandbox with empty container ID", types.IsBadRequest, `""`, func() error {
			_, err := e.c.NewSandbox("")
			return err
		}},
		{"sandbox for a container that has one", types.IsForbidden, "c1", func() error {
			_, err := e.c.NewSandbox("c1")
			return err
		}},
		{"sandbox both default and external", types.IsBadRequest, "OptionUseExternalKey", func() error {
			_, err := e.c.NewSandbox("c9", OptionUseDefaultSandbox(), OptionUseExternalKey())
			return err
		}},
		{"sandbox extra host with a bad IP", types.IsBadRequest, "300.1.1.1", func() error {
			_, err := e.c.NewSandbox("c9", OptionExtraHost("h", "300.1.1.1"))
			return err
		}},
		{"sandbox key that is not a namespace", types.IsBadRequest, notNS, func() error { return ext.SetKey(notNS) }},
		{"empty sandbox key", types.IsBadRequest, "key", func() error { return ext.SetKey("") }},
		{"set the key of a sandbox with its own namespace", types.IsForbidden, "OptionUseExternalKey", func() error {
			return sb.SetKey(sb.Key())
		}},
		{"delete a deleted sandbox", types.IsNotFound, gone.ID(), gone.Delete},
		{"refresh a deleted sandbox", types.IsNotFound, gone.ID(), func() error { return gone.Refresh() }},
		{"rename to an endpoint name in use", types.IsForbidden, "free", func() error { return sb.Rename("free") }},
		{"rename to an empty name", types.IsBadRequest, `""`, func() error { return sb.Rename("") }},
		{"delete the null network", types.IsForbidden, "null", nullNet.Delete},
		{"network by empty name", types.IsBadRequest, "name", func() error {
			_, err := e.c.NetworkByName("")
			return err
		}},
		{"sandbox by empty ID", types.IsBadRequest, "id", func() error {
			_, err := e.c.SandboxByID("")
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot(t)
			err := tc.call()
			if err == nil {
				t.Fatal("no error")
			}
			if !tc.class(err) {
				t.Fatalf("error %q has class %q", err, errClass(err))
			}
			if !containsStr(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
			sameSnapshot(t, tc.name, before, e.snapshot(t))
		})
	}
}

// isForbiddenConflict reports whether err is both Forbidden (as libnetwork)
// and Conflict (for API layers), as duplicates are.
func isForbiddenConflict(err error) bool { return types.IsForbidden(err) && types.IsConflict(err) }
