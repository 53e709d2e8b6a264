package testutils

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// FakePlugin is a plugin of Docker's protocol implementing one interface
// (Kind: "NetworkDriver" or "IpamDriver") that answers each call with a
// canned body and records the request bodies. An answer starting "500 " is
// sent with status 500; a call with no answer gets Default, or 404 when
// Default is empty.
type FakePlugin struct {
	Kind    string
	Default string

	mu      sync.Mutex
	answers map[string]string
	got     map[string]map[string]interface{}
}

// NewFakePlugin returns a FakePlugin of kind with the answers by call name.
func NewFakePlugin(kind, def string, answers map[string]string) *FakePlugin {
	a := make(map[string]string, len(answers))
	for k, v := range answers {
		a[k] = v
	}
	return &FakePlugin{Kind: kind, Default: def, answers: a, got: map[string]map[string]interface{}{}}
}

// Serve serves f on dir/name.sock until the test ends.
func (f *FakePlugin) Serve(t testing.TB, dir, name string) {
	t.Helper()
	l, err := net.Listen("unix", filepath.Join(dir, name+".sock"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
}

func (f *FakePlugin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.1+json")
	if r.URL.Path == "/Plugin.Activate" {
		fmt.Fprintf(w, `{"Implements":[%q]}`, f.Kind)
		return
	}
	m := strings.TrimPrefix(r.URL.Path, "/"+f.Kind+".")
	body, _ := io.ReadAll(r.Body)
	var req map[string]interface{}
	_ = json.Unmarshal(body, &req)
	f.mu.Lock()
	f.got[m] = req
	a, ok := f.answers[m]
	f.mu.Unlock()
	if !ok {
		if f.Default == "" {
			http.NotFound(w, r)
			return
		}
		a = f.Default
	}
	if strings.HasPrefix(a, "500 ") {
		w.WriteHeader(http.StatusInternalServerError)
		a = a[4:]
	}
	fmt.Fprint(w, a)
}

// Set makes a the answer to call m.
func (f *FakePlugin) Set(m, a string) { f.mu.Lock(); f.answers[m] = a; f.mu.Unlock() }

// Req returns the last request body of call m.
func (f *FakePlugin) Req(m string) map[string]interface{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got[m]
}

// Forget drops the recorded request of call m.
func (f *FakePlugin) Forget(m string) { f.mu.Lock(); delete(f.got, m); f.mu.Unlock() }
