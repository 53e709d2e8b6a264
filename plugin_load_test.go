package libnetwork

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/types"
)

// answerPlugin is an in-process plugin of both kinds that answers every
// call and counts them.
type answerPlugin struct {
	mu    sync.Mutex
	calls map[string]int
	next  int
}

func (p *answerPlugin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.2+json")
	p.mu.Lock()
	defer p.mu.Unlock()
	m := strings.TrimPrefix(r.URL.Path, "/")
	p.calls[m]++
	switch m {
	case "Plugin.Activate":
		fmt.Fprint(w, `{"Implements":["NetworkDriver","IpamDriver"]}`)
	case "NetworkDriver.GetCapabilities":
		fmt.Fprint(w, `{"Scope":"local"}`)
	case "IpamDriver.GetDefaultAddressSpaces":
		fmt.Fprint(w, `{"LocalDefaultAddressSpace":"plug","GlobalDefaultAddressSpace":"plugg"}`)
	case "IpamDriver.RequestPool":
		fmt.Fprint(w, `{"PoolID":"pool1","Pool":"10.77.0.0/24"}`)
	case "IpamDriver.RequestAddress":
		p.next++
		fmt.Fprintf(w, `{"Address":"10.77.0.%d/24"}`, p.next)
	default:
		fmt.Fprint(w, `{}`)
	}
}

func (p *answerPlugin) count(m string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[m]
}

func servePlugin(t *testing.T, dir, name string, h http.Handler) {
	l, err := net.Listen("unix", filepath.Join(dir, name+".sock"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
}

func TestPluginLoadedOnDemandAndAfterRestart(t *testing.T) {
	dir, specs := t.TempDir(), t.TempDir()
	p := &answerPlugin{calls: map[string]int{}}
	servePlugin(t, dir, "plug", p)
	dirs := config.OptionPluginDirs([]string{dir}, []string{specs})
	e := newTestEnv(t, dirs)

	_, err := e.c.NewNetwork("nosuchplugin", "x", "")
	var nte NetworkTypeError
	if !types.IsNotFound(err) || !errors.As(err, &nte) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), specs) {
		t.Fatalf("missing plugin: %v", err)
	}
	if _, err := e.c.NewNetwork("a/b", "x", ""); !types.IsBadRequest(err) || !strings.Contains(err.Error(), `"a/b"`) {
		t.Fatalf("name with a slash: %v", err)
	}
	if _, err := e.c.NewNetwork(fakeType, "x", "", NetworkOptionIpam("nosuchipam", "", nil, nil, nil)); !types.IsBadRequest(err) || !strings.Contains(err.Error(), "nosuchipam") {
		t.Fatalf("missing IPAM plugin: %v", err)
	}

	n, err := e.c.NewNetwork("plug", "pnet", "", NetworkOptionIpam("plug", "", nil, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	ep, err := n.CreateEndpoint("ep1")
	if err != nil {
		t.Fatal(err)
	}
	if got := ep.Info().Iface().Address().String(); got != "10.77.0.2/24" {
		t.Fatalf("endpoint address %s (the gateway takes .1)", got)
	}
	if p.count("Plugin.Activate") != 1 || p.count("NetworkDriver.CreateNetwork") != 1 || p.count("NetworkDriver.CreateEndpoint") != 1 {
		t.Fatalf("calls %v", p.calls)
	}
	// The in-process drivers are still there beside the plugin.
	if d, _ := e.c.reg.Driver(fakeType); d == nil {
		t.Fatal("fake driver gone")
	}

	e.restart(dirs)
	n2, err := e.c.NetworkByName("pnet")
	if err != nil {
		t.Fatal(err)
	}
	if p.count("Plugin.Activate") != 2 {
		t.Fatalf("the restarted controller did not activate the plugin of its network: %v", p.calls)
	}
	ep2, err := n2.EndpointByName("ep1")
	if err != nil {
		t.Fatal(err)
	}
	if err := ep2.Delete(false); err != nil {
		t.Fatal(err)
	}
	if err := n2.Delete(); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"NetworkDriver.DeleteEndpoint", "NetworkDriver.DeleteNetwork", "IpamDriver.ReleasePool"} {
		if p.count(m) != 1 {
			t.Fatalf("%s: %d calls (%v)", m, p.count(m), p.calls)
		}
	}
	if p.count("IpamDriver.ReleaseAddress") != 2 { // endpoint and gateway
		t.Fatalf("release address: %v", p.calls)
	}
}

// TestPluginBadAnswers: plugins that break the protocol give typed errors
// through NewNetwork and register nothing.
func TestPluginBadAnswers(t *testing.T) {
	dir := t.TempDir()
	answer := func(ct, activate, caps string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ct)
			if r.URL.Path == "/Plugin.Activate" {
				fmt.Fprint(w, activate)
				return
			}
			fmt.Fprint(w, caps)
		})
	}
	const v12 = "application/vnd.docker.plugins.v1.2+json"
	servePlugin(t, dir, "badjson", answer(v12, `{"Implements":[`, ""))
	servePlugin(t, dir, "html", answer("text/html", `<html>`, ""))
	servePlugin(t, dir, "scope", answer(v12, `{"Implements":["NetworkDriver"]}`, `{"Scope":"galactic"}`))
	servePlugin(t, dir, "volume", answer(v12, `{"Implements":["VolumeDriver"]}`, ""))
	e := newTestEnv(t, config.OptionPluginDirs([]string{dir}, []string{}))
	for _, c := range []struct {
		name  string
		class func(error) bool
		in    string
	}{
		{"badjson", types.IsInternal, "malformed"},
		{"html", types.IsInternal, "text/html"},
		{"scope", types.IsBadRequest, "galactic"},
		{"volume", types.IsBadRequest, "neither NetworkDriver nor IpamDriver"},
	} {
		_, err := e.c.NewNetwork(c.name, "n-"+c.name, "")
		if !c.class(err) || !strings.Contains(err.Error(), c.in) || !strings.Contains(err.Error(), `"`+c.name+`"`) {
			t.Errorf("%s: %v", c.name, err)
		}
		if d, _ := e.c.reg.Driver(c.name); d != nil {
			t.Errorf("%s: registered", c.name)
		}
	}
	if len(e.c.Networks()) != 0 {
		t.Fatalf("networks left: %v", e.c.Networks())
	}
}
