// Command cnmkit-cni is a CNI plugin (spec 1.0 and 1.1) that attaches
// containers to the networks of a running dnet daemon: any driver the
// daemon has (bridge, macvlan, ipvlan, overlay, plugin drivers), its IPAM
// and its embedded DNS server.
//
// ADD creates the network named by the configuration on first use, a
// sandbox on the runtime's namespace (CNI_NETNS), an endpoint named for
// the container and CNI_IFNAME, and attaches it. DEL undoes that and is
// idempotent; CHECK compares the namespace with the previous result;
// STATUS asks the daemon; GC removes the attachments the runtime no longer
// lists. See the README for the configuration.
package main

import (
	"strings"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"
)

// supported are the CNI spec versions the plugin speaks.
var supported = version.PluginSupports("1.0.0", "1.1.0")

func main() {
	funcs := skel.CNIFuncs{Add: cmdAdd, Del: cmdDel, Check: cmdCheck, GC: cmdGC, Status: cmdStatus}
	if e := skel.PluginMainFuncsWithError(funcs, supported, "cnmkit-cni: CNI plugin for the cnmkit dnet daemon"); e != nil {
		printError(nameField(e))
	}
}

// nameField makes the errors skel returns before the plugin runs name the
// variable or field they are about.
func nameField(e *types.Error) *types.Error {
	msg := e.Msg
	switch {
	case e.Code == types.ErrIncompatibleCNIVersion && !strings.Contains(msg, "cniVersion"):
		msg = "cniVersion: " + msg
	case e.Code == types.ErrInvalidEnvironmentVariables && strings.HasPrefix(msg, "interface name"):
		msg = "CNI_IFNAME: " + msg
	case e.Code == types.ErrInvalidEnvironmentVariables && strings.Contains(msg, "containerID"):
		msg = "CNI_CONTAINERID: " + msg
	case e.Code == types.ErrUnknownContainer && strings.Contains(msg, "containerID"):
		msg = "CNI_CONTAINERID: " + msg
	}
	return &types.Error{Code: e.Code, Msg: msg, Details: e.Details}
}
