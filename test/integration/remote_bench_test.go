package integration

import (
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/options"
)

// answeringPlugin only answers: activation, a local scope, {} to the rest.
func answeringPlugin(b *testing.B, dir, name string) {
	l, err := net.Listen("unix", filepath.Join(dir, name+".sock"))
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.2+json")
		switch strings.TrimPrefix(r.URL.Path, "/") {
		case "Plugin.Activate":
			fmt.Fprint(w, `{"Implements":["NetworkDriver"]}`)
		case "NetworkDriver.GetCapabilities":
			fmt.Fprint(w, `{"Scope":"local"}`)
		default:
			fmt.Fprint(w, `{}`)
		}
	})}
	go func() { _ = srv.Serve(l) }()
	b.Cleanup(func() { srv.Close() })
}

// BenchmarkRemoteAttachDetach measures attach (CreateEndpoint + Join) and
// detach (Leave + Delete) of an endpoint to one sandbox through a remote
// driver whose plugin (a unix-socket HTTP server) only answers, and the
// same through the null driver: the difference is the plugin protocol's
// cost (four calls over keep-alive connections per attach+detach,
// plus ProgramExternalConnectivity/RevokeExternalConnectivity).
func BenchmarkRemoteAttachDetach(b *testing.B) {
	for _, drv := range []string{"null", "answer"} {
		b.Run("driver="+drv, func(b *testing.B) {
			dir := b.TempDir()
			answeringPlugin(b, dir, "answer")
			e := newBridgeEnv(b, options.Generic{})
			e.restart(config.OptionPluginDirs([]string{dir}, []string{}))
			var opts []libnetwork.NetworkOption
			if drv != "null" {
				opts = append(opts, libnetwork.NetworkOptionIpam("default", "", []*libnetwork.IpamConf{{PreferredPool: "10.201.0.0/16"}}, nil, nil))
			}
			n, err := e.c.NewNetwork(drv, "bench", "", opts...)
			if err != nil {
				b.Fatal(err)
			}
			sb, err := e.c.NewSandbox("c")
			if err != nil {
				b.Fatal(err)
			}
			attach := make([]time.Duration, 0, b.N)
			detach := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				ep, err := n.CreateEndpoint(fmt.Sprintf("ep%d", i))
				if err != nil {
					b.Fatal(err)
				}
				if err := ep.Join(sb); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := ep.Leave(sb); err != nil {
					b.Fatal(err)
				}
				if err := ep.Delete(false); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				attach, detach = append(attach, t1.Sub(t0)), append(detach, t2.Sub(t1))
			}
			b.StopTimer()
			testutils.ReportPercentilesMicro(b, "attach", attach)
			testutils.ReportPercentilesMicro(b, "detach", detach)
			if err := sb.Delete(); err != nil {
				b.Fatal(err)
			}
			if drv != "null" { // the null network cannot be deleted
				if err := n.Delete(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
