package main

import (
	"fmt"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/internal/version"
	"github.com/spf13/cobra"
)

// versionInfo is one side of dnet version.
type versionInfo struct {
	Version    string
	APIVersion string
	GitCommit  string
	GoVersion  string
	OSArch     string
	PID        int `json:",omitempty"`
}

// versions is what dnet version shows; Server is nil without a daemon.
type versions struct {
	Client versionInfo
	Server *versionInfo
}

func (e *env) versionCmd() *cobra.Command {
	var format templateFlag
	c := &cobra.Command{
		Use: "version [OPTIONS]", Short: "Show the dnet version of the client and of the daemon",
		Long: "Show the dnet version of the client and of the daemon.\n\n" +
			"Template fields: .Client and .Server, each with .Version .APIVersion\n.GitCommit .GoVersion .OSArch (and .PID for the server)",
		Args: noArgs,
		RunE: runE(func([]string) int { return e.version(format.f) }),
	}
	c.Flags().Var(&format, "format", "output `FORMAT`: json or a Go TEMPLATE (e.g. '{{.Server.Version}}')")
	return c
}

func (e *env) version(f outputFormat) int {
	v := version.Get()
	out := versions{Client: versionInfo{Version: v.Version, APIVersion: api.Version, GitCommit: v.GitCommit, GoVersion: v.GoVersion, OSArch: v.OSArch}}
	c, err := e.client()
	if err != nil {
		return e.usageError("version", "%v", err)
	}
	defer c.Close()
	info, serr := c.Info(bg)
	if serr == nil {
		out.Server = &versionInfo{Version: info.Version, APIVersion: info.APIVersion, GitCommit: info.GitCommit,
			GoVersion: info.GoVersion, OSArch: info.OSArch, PID: info.PID}
	}
	switch {
	case f.json:
		printJSON(e.stdout, out)
	case f.tmpl != nil:
		if serr != nil {
			break // a template of the server's fields cannot run
		}
		if err := f.rows(e.stdout, nil, []interface{}{out}); err != nil {
			return e.usageError("version", "%v", err)
		}
	default:
		fmt.Fprintln(e.stdout, "Client:")
		versionFields(e, out.Client)
		if out.Server != nil {
			fmt.Fprintln(e.stdout, "\nServer:")
			versionFields(e, *out.Server)
		}
	}
	if serr != nil {
		return e.fail("server version", serr)
	}
	return exitOK
}

func versionFields(e *env, v versionInfo) {
	kv := [][2]string{{" Version", v.Version}, {" API version", v.APIVersion}, {" Git commit", orDash(v.GitCommit)},
		{" Go version", v.GoVersion}, {" OS/Arch", v.OSArch}}
	if v.PID != 0 {
		kv = append(kv, [2]string{" PID", fmt.Sprint(v.PID)})
	}
	fields(e.stdout, kv)
}
