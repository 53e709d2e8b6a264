package plugins

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// serveUnix serves h on dir/name.sock until the test ends.
func serveUnix(t *testing.T, dir, name string, h http.Handler) string {
	t.Helper()
	path := filepath.Join(dir, name+".sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close(); _ = os.Remove(path) })
	return path
}

// pluginMux answers activation with implements and the other calls with
// the handlers given.
func pluginMux(implements []string, calls map[string]http.HandlerFunc) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/Plugin.Activate", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.1+json")
		q := ""
		for i, k := range implements {
			if i > 0 {
				q += ","
			}
			q += fmt.Sprintf("%q", k)
		}
		fmt.Fprintf(w, `{"Implements":[%s]}`, q)
	})
	for p, h := range calls {
		mux.HandleFunc("/"+p, h)
	}
	return mux
}

func answer(ct string, status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}
