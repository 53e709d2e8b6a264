package plugins

import (
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/types"
)

const v11 = "application/vnd.docker.plugins.v1.1+json"

func TestLookup(t *testing.T) {
	sock, spec := t.TempDir(), t.TempDir()
	serveUnix(t, sock, "good", pluginMux([]string{"NetworkDriver"}, nil))
	if err := os.WriteFile(filepath.Join(sock, "plain.sock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"tcpspec.spec":  "tcp://127.0.0.1:4000\n",
		"unixspec.spec": "unix:///run/x.sock",
		"badurl.spec":   "ftp://127.0.0.1:21",
		"relunix.spec":  "unix://rel.sock",
		"noport.spec":   "tcp://127.0.0.1",
		"js.json":       `{"Name":"other","Addr":"tcp://127.0.0.1:4001","TLSConfig":{"InsecureSkipVerify":true}}`,
		"badjs.json":    `{"Addr":`,
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(spec, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		addr  string
		class func(error) bool
		in    string // the error names this
	}{
		{"good", "unix://" + filepath.Join(sock, "good.sock"), nil, ""},
		{"tcpspec", "tcp://127.0.0.1:4000", nil, ""},
		{"unixspec", "unix:///run/x.sock", nil, ""},
		{"js", "tcp://127.0.0.1:4001", nil, ""},
		{"missing", "", types.IsNotFound, sock},
		{"plain", "", types.IsBadRequest, "plain.sock"},
		{"badurl", "", types.IsBadRequest, "ftp://127.0.0.1:21"},
		{"relunix", "", types.IsBadRequest, "unix://rel.sock"},
		{"noport", "", types.IsBadRequest, "tcp://127.0.0.1"},
		{"badjs", "", types.IsBadRequest, "badjs.json"},
		{"a/b", "", types.IsBadRequest, "a/b"},
		{"..", "", types.IsBadRequest, ".."},
		{"", "", types.IsBadRequest, `""`},
		{" x", "", types.IsBadRequest, `" x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Lookup(tc.name, []string{sock}, []string{spec})
			if tc.class == nil {
				if err != nil {
					t.Fatal(err)
				}
				if s.Addr != tc.addr || s.Name != tc.name {
					t.Fatalf("got %+v, want addr %s", s, tc.addr)
				}
				return
			}
			if err == nil || !tc.class(err) || !strings.Contains(err.Error(), tc.in) {
				t.Fatalf("got %v, want a typed error naming %s", err, tc.in)
			}
		})
	}
	// The NotFound names the spec dirs too.
	_, err := Lookup("missing", []string{sock}, []string{spec})
	if !strings.Contains(err.Error(), spec) {
		t.Fatalf("%v does not name %s", err, spec)
	}
	// The JSON spec's TLS part is read.
	s, _ := Lookup("js", nil, []string{spec})
	if s.TLSConfig == nil || !s.TLSConfig.InsecureSkipVerify {
		t.Fatalf("TLS config not read: %+v", s)
	}
}

func TestGetActivatesOnceAndHandles(t *testing.T) {
	sock := t.TempDir()
	var activations atomic.Int32
	mux := pluginMux([]string{"NetworkDriver", "IpamDriver"}, map[string]http.HandlerFunc{
		"NetworkDriver.Echo": func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Content-Type") != ContentType {
				http.Error(w, "bad content type", 400)
				return
			}
			w.Header().Set("Content-Type", v11)
			_, _ = w.Write([]byte(`{"Said":"hi"}`))
		},
	})
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/Plugin.Activate" {
			activations.Add(1)
		}
		mux.ServeHTTP(w, r)
	})
	serveUnix(t, sock, "p", counted)
	r := NewRegistry(Config{SocketDirs: []string{sock}, SpecDirs: []string{}})
	var handled []string
	r.Handle("NetworkDriver", func(name string, c *Client) error { handled = append(handled, "net:"+name); return nil })
	r.Handle("IpamDriver", func(name string, c *Client) error { handled = append(handled, "ipam:"+name); return nil })
	for i := 0; i < 3; i++ {
		if _, err := r.Get("p", "NetworkDriver"); err != nil {
			t.Fatal(err)
		}
	}
	p, err := r.Get("p", "IpamDriver")
	if err != nil {
		t.Fatal(err)
	}
	if activations.Load() != 1 || strings.Join(handled, " ") != "net:p ipam:p" {
		t.Fatalf("activations %d, handled %v", activations.Load(), handled)
	}
	var out struct{ Said string }
	if err := p.Client().Call("NetworkDriver.Echo", map[string]string{"a": "b"}, &out); err != nil || out.Said != "hi" {
		t.Fatalf("call: %v %+v", err, out)
	}
	if got := r.Active(); len(got) != 1 || got[0] != "p" {
		t.Fatalf("active %v", got)
	}
}

func TestGetRefusals(t *testing.T) {
	sock := t.TempDir()
	serveUnix(t, sock, "vol", pluginMux([]string{"VolumeDriver"}, nil))
	serveUnix(t, sock, "ipamonly", pluginMux([]string{"IpamDriver"}, nil))
	r := NewRegistry(Config{SocketDirs: []string{sock}, SpecDirs: []string{}, ActivateTimeout: time.Second})
	_, err := r.Get("vol", "NetworkDriver")
	if !types.IsBadRequest(err) || !strings.Contains(err.Error(), "neither NetworkDriver nor IpamDriver") || !strings.Contains(err.Error(), `"vol"`) {
		t.Fatalf("neither interface: %v", err)
	}
	_, err = r.Get("ipamonly", "NetworkDriver")
	if !types.IsBadRequest(err) || !strings.Contains(err.Error(), "does not implement NetworkDriver") {
		t.Fatalf("wrong interface: %v", err)
	}
	_, err = r.Get("nope", "NetworkDriver")
	if !types.IsNotFound(err) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("missing: %v", err)
	}
	// A handler's refusal fails Get; the next Get asks again.
	refuse := true
	r.Handle("IpamDriver", func(string, *Client) error {
		if refuse {
			return types.BadRequestErrorf("refused")
		}
		return nil
	})
	if _, err := r.Get("ipamonly", "IpamDriver"); !types.IsBadRequest(err) {
		t.Fatalf("refused handler: %v", err)
	}
	refuse = false
	if _, err := r.Get("ipamonly", "IpamDriver"); err != nil {
		t.Fatal(err)
	}
}

func TestCallErrors(t *testing.T) {
	sock := t.TempDir()
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	mux := pluginMux([]string{"NetworkDriver"}, map[string]http.HandlerFunc{
		"E.Err":       answer(v11, 500, `{"Err":"no such network"}`),
		"E.Err404":    answer(v11, 404, `{"Err":"gone"}`),
		"E.Plain":     answer("text/plain", 500, "boom"),
		"E.Malformed": answer(v11, 200, `{"Scope":`),
		"E.HTML":      answer("text/html", 200, `<html></html>`),
		"E.NoCT":      answer("", 200, `{}`),
		"E.Hang": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		},
	})
	serveUnix(t, sock, "p", mux)
	s, err := Lookup("p", []string{sock}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(s, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method string
		class  func(error) bool
		in     string
	}{
		{"E.Err", types.IsInternal, "no such network"},
		{"E.Err404", types.IsNotFound, "gone"},
		{"E.Plain", types.IsInternal, "boom"},
		{"E.Malformed", types.IsInternal, "malformed"},
		{"E.HTML", types.IsInternal, "text/html"},
		{"E.NoCT", types.IsInternal, "content type"},
		{"E.Hang", types.IsTimeout, "200ms"},
		{"E.Unknown", types.IsNotFound, "E.Unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			var out map[string]interface{}
			err := c.Call(tc.method, struct{}{}, &out)
			if err == nil || !tc.class(err) || !strings.Contains(err.Error(), tc.in) || !strings.Contains(err.Error(), `plugin "p"`) || !strings.Contains(err.Error(), tc.method) {
				t.Fatalf("got %v, want a typed error naming the plugin, %s and %q", err, tc.method, tc.in)
			}
		})
	}
	var pe *Error
	if err := c.Call("E.Err", nil, nil); !errors.As(err, &pe) || pe.Message != "no such network" || pe.Status != 500 {
		t.Fatalf("plugin error not kept: %v", err)
	}
}

// TestActivateRetriesWhileStarting: the socket exists but nobody listens
// yet; activation retries until the plugin answers.
func TestActivateRetriesWhileStarting(t *testing.T) {
	sock := t.TempDir()
	path := filepath.Join(sock, "late.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // a stale socket: connections are refused
	failed := make(chan struct{}, 100)
	activateAttempt = func(string) { failed <- struct{}{} }
	t.Cleanup(func() { activateAttempt = nil })
	r := NewRegistry(Config{SocketDirs: []string{sock}, SpecDirs: []string{}, ActivateTimeout: 20 * time.Second})
	done := make(chan error, 1)
	go func() { _, err := r.Get("late", "NetworkDriver"); done <- err }()
	<-failed // refused at least once
	<-failed
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	serveUnix(t, sock, "late", pluginMux([]string{"NetworkDriver"}, nil))
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Bounded: a plugin that never comes up fails within ActivateTimeout.
	dead := filepath.Join(sock, "dead.sock")
	l, err = net.Listen("unix", dead)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	t.Cleanup(func() { os.Remove(dead) })
	r = NewRegistry(Config{SocketDirs: []string{sock}, SpecDirs: []string{}, ActivateTimeout: 300 * time.Millisecond})
	_, err = r.Get("dead", "NetworkDriver")
	if !types.IsNoService(err) || !strings.Contains(err.Error(), `"dead"`) {
		t.Fatalf("dead plugin: %v", err)
	}
}

func TestSpecFileOverTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: pluginMux([]string{"IpamDriver"}, nil)}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	spec := t.TempDir()
	if err := os.WriteFile(filepath.Join(spec, "tcpp.spec"), []byte("tcp://"+l.Addr().String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := NewRegistry(Config{SocketDirs: []string{}, SpecDirs: []string{spec}})
	p, err := r.Get("tcpp", "IpamDriver")
	if err != nil {
		t.Fatal(err)
	}
	if p.Addr != "tcp://"+l.Addr().String() {
		t.Fatalf("addr %s", p.Addr)
	}
}
