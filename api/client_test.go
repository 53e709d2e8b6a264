package api

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"testing"
)

func TestParseHost(t *testing.T) {
	for _, c := range []struct{ in, network, addr string }{
		{"unix:///run/x.sock", "unix", "/run/x.sock"},
		{"/run/x.sock", "unix", "/run/x.sock"},
		{"tcp://127.0.0.1:2385", "tcp", "127.0.0.1:2385"},
	} {
		n, a, err := ParseHost(c.in)
		if err != nil || n != c.network || a != c.addr {
			t.Errorf("ParseHost(%q) = %q %q %v", c.in, n, a, err)
		}
	}
	for _, bad := range []string{"", "unix://", "tcp://nohost", "http://x", "x.sock"} {
		if _, _, err := ParseHost(bad); err == nil {
			t.Errorf("ParseHost(%q): no error", bad)
		}
	}
}

// TestClientAnswers serves canned answers on a unix socket: 2xx bodies
// are decoded, 204 has none, errors become *Error with status and field.
func TestClientAnswers(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "api.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/networks/{n}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("n") != "a b" {
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(ErrorResponse{Message: "network not found"})
			return
		}
		_ = json.NewEncoder(w).Encode(Network{ID: "id1", Name: "a b"})
	})
	mux.HandleFunc("POST /v1/networks", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(ErrorResponse{Message: "subnet: invalid", Field: "ipam[0].subnet"})
	})
	mux.HandleFunc("DELETE /v1/sandboxes/{s}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /v1/sandboxes", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("proxy trouble"))
	})
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	c, err := NewClient("unix://" + sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if n, err := c.Network(ctx, "a b"); err != nil || n.ID != "id1" {
		t.Fatalf("Network: %+v %v", n, err)
	}
	var e *Error
	if _, err := c.Network(ctx, "x"); !errors.As(err, &e) || e.Status != 404 || e.Message != "network not found" {
		t.Fatalf("Network x: %v", err)
	}
	if _, err := c.CreateNetwork(ctx, NetworkCreate{Name: "n"}); !errors.As(err, &e) || e.Status != 400 || e.Field != "ipam[0].subnet" {
		t.Fatalf("CreateNetwork: %v", err)
	}
	if err := c.DeleteSandbox(ctx, "s"); err != nil {
		t.Fatalf("DeleteSandbox: %v", err)
	}
	if _, err := c.Sandboxes(ctx); !errors.As(err, &e) || e.Status != 502 || e.Message != "proxy trouble" {
		t.Fatalf("Sandboxes: %v", err)
	}
	bad, _ := NewClient("unix://" + filepath.Join(t.TempDir(), "none.sock"))
	if _, err := bad.Info(ctx); err == nil || errors.As(err, &e) {
		t.Fatalf("no daemon: %v", err)
	}
}
