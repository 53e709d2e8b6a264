package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestMetricsRoute: GET /metrics answers in the Prometheus text format
// (here without a controller: the process's own metrics); other methods
// get 405 with Allow.
func TestMetricsRoute(t *testing.T) {
	s := New(nil, nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") ||
		!strings.Contains(rec.Body.String(), "go_goroutines ") {
		t.Fatalf("GET /metrics: %d %q\n%.300s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/metrics", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST /metrics: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}
