package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/cnmkit/libnetwork/api"
	"github.com/containernetworking/cni/pkg/types"
)

// errPluginState is the code of a CHECK that found the namespace differing
// from the previous result (codes 100 and up are the plugin's own).
const errPluginState uint = 100

func printError(e *types.Error) {
	if err := e.Print(); err != nil {
		fmt.Fprintln(os.Stderr, "cnmkit-cni: write error:", err)
	}
	os.Exit(1)
}

// cniErr returns a CNI error of code whose message starts with the field
// (a configuration key or an environment variable) it is about.
func cniErr(code uint, field, format string, a ...interface{}) *types.Error {
	msg := fmt.Sprintf(format, a...)
	if field != "" {
		msg = field + ": " + msg
	}
	return types.NewError(code, msg, "")
}

// fieldOf maps the API's request fields to what the runtime gave: a key
// of the network configuration or an environment variable.
var fieldOf = []struct {
	prefix, field string
	code          uint
}{
	{"sandbox:name", "CNI_CONTAINERID", types.ErrInvalidEnvironmentVariables},
	{"sandbox:key", "CNI_NETNS", types.ErrInvalidEnvironmentVariables},
	{"endpoint:interface_name", "CNI_IFNAME", types.ErrInvalidEnvironmentVariables},
	{"endpoint:port_bindings", "runtimeConfig.portMappings", types.ErrInvalidNetworkConfig},
	{"endpoint:aliases", "runtimeConfig.aliases", types.ErrInvalidNetworkConfig},
	{"network:ipam_driver", "ipam.driver", types.ErrInvalidNetworkConfig},
	{"network:ipam", "ipam.config", types.ErrInvalidNetworkConfig},
	{"network:name", "name", types.ErrInvalidNetworkConfig},
	{"network:", "", types.ErrInvalidNetworkConfig},
}

// daemonErr turns an error of a daemon call about obj ("network",
// "sandbox", "endpoint") into a CNI error: code 11 when the daemon cannot
// be reached or is not ready, the configuration or environment field the
// daemon rejected for a bad request.
func daemonErr(obj, what string, err error) *types.Error {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return cniErr(types.ErrTryAgainLater, "", "%s: %v", what, err)
	}
	switch {
	case ae.Status == http.StatusServiceUnavailable:
		return cniErr(types.ErrTryAgainLater, "", "%s: %v", what, err)
	case ae.Status == http.StatusBadRequest || obj == "network" && (ae.Status == http.StatusNotFound || ae.Status == http.StatusConflict):
		key := obj + ":" + ae.Field
		for _, f := range fieldOf {
			if strings.HasPrefix(key, f.prefix) {
				field := f.field
				if field == "" {
					field = ae.Field
				} else if rest := strings.TrimPrefix(key, f.prefix); rest != "" {
					field += rest
				}
				if field == "" {
					field = obj
				}
				return cniErr(f.code, field, "%s: %v", what, err)
			}
		}
		return cniErr(types.ErrInvalidNetworkConfig, ae.Field, "%s: %v", what, err)
	}
	return cniErr(types.ErrInternal, "", "%s: %v", what, err)
}

// isNotFound tells whether err is the daemon's 404.
func isNotFound(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// isConflict tells whether err is the daemon's 409.
func isConflict(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Status == http.StatusConflict
}
