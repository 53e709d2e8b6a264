package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Error is an error answer of the daemon.
type Error struct {
	Status  int
	Message string
	Field   string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("daemon answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return e.Message
}

// Client talks to a dnet daemon.
type Client struct {
	base string
	hc   *http.Client
}

// ParseHost splits a daemon address into a network ("unix" or "tcp") and
// an address: "unix:///run/cnmkit/dnet.sock", "/run/cnmkit/dnet.sock" or
// "tcp://127.0.0.1:2385".
func ParseHost(host string) (network, addr string, err error) {
	switch {
	case strings.HasPrefix(host, "unix://"):
		network, addr = "unix", strings.TrimPrefix(host, "unix://")
	case strings.HasPrefix(host, "tcp://"):
		network, addr = "tcp", strings.TrimPrefix(host, "tcp://")
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return "", "", fmt.Errorf("invalid daemon address %q: %w", host, err)
		}
	case strings.HasPrefix(host, "/"):
		network, addr = "unix", host
	default:
		return "", "", fmt.Errorf("invalid daemon address %q: want unix:///path or tcp://host:port", host)
	}
	if addr == "" {
		return "", "", fmt.Errorf("invalid daemon address %q: empty address", host)
	}
	return network, addr, nil
}

// NewClient returns a client of the daemon at host (see ParseHost).
func NewClient(host string) (*Client, error) {
	network, addr, err := ParseHost(host)
	if err != nil {
		return nil, err
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:    4,
		IdleConnTimeout: 30 * time.Second,
	}
	return &Client{base: "http://dnet/" + Version, hc: &http.Client{Transport: tr}}, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// do sends a request with body in (when not nil) and decodes a 2xx answer
// into out (when not nil); other answers become an *Error.
func (c *Client) do(ctx context.Context, method, path string, in, out interface{}) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the dnet daemon: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read the daemon's answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Status: resp.StatusCode}
		var er ErrorResponse
		if json.Unmarshal(data, &er) == nil {
			e.Message, e.Field = er.Message, er.Field
		} else {
			e.Message = strings.TrimSpace(string(data))
		}
		return e
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decode the daemon's answer: %w", err)
		}
	}
	return nil
}

func esc(s string) string { return url.PathEscape(s) }

// Info returns the daemon's identity.
func (c *Client) Info(ctx context.Context) (Info, error) {
	var i Info
	err := c.do(ctx, http.MethodGet, "/info", nil, &i)
	return i, err
}

// CreateNetwork creates a network.
func (c *Client) CreateNetwork(ctx context.Context, req NetworkCreate) (Network, error) {
	var n Network
	err := c.do(ctx, http.MethodPost, "/networks", req, &n)
	return n, err
}

// Networks lists the networks.
func (c *Client) Networks(ctx context.Context) ([]Network, error) {
	var l []Network
	err := c.do(ctx, http.MethodGet, "/networks", nil, &l)
	return l, err
}

// AllNetworks lists every network, the controller's default gateway
// network included.
func (c *Client) AllNetworks(ctx context.Context) ([]Network, error) {
	var l []Network
	err := c.do(ctx, http.MethodGet, "/networks?all=true", nil, &l)
	return l, err
}

// Network returns the network named (or with the ID) ref.
func (c *Client) Network(ctx context.Context, ref string) (Network, error) {
	var n Network
	err := c.do(ctx, http.MethodGet, "/networks/"+esc(ref), nil, &n)
	return n, err
}

// DeleteNetwork deletes a network.
func (c *Client) DeleteNetwork(ctx context.Context, ref string) error {
	return c.do(ctx, http.MethodDelete, "/networks/"+esc(ref), nil, nil)
}

// CreateEndpoint creates an endpoint on a network.
func (c *Client) CreateEndpoint(ctx context.Context, network string, req EndpointCreate) (Endpoint, error) {
	var e Endpoint
	err := c.do(ctx, http.MethodPost, "/networks/"+esc(network)+"/endpoints", req, &e)
	return e, err
}

// Endpoints lists the endpoints of a network, or of every network when
// network is empty.
func (c *Client) Endpoints(ctx context.Context, network string) ([]Endpoint, error) {
	path := "/endpoints"
	if network != "" {
		path = "/networks/" + esc(network) + "/endpoints"
	}
	var l []Endpoint
	err := c.do(ctx, http.MethodGet, path, nil, &l)
	return l, err
}

// Endpoint returns an endpoint of a network.
func (c *Client) Endpoint(ctx context.Context, network, ref string) (Endpoint, error) {
	var e Endpoint
	err := c.do(ctx, http.MethodGet, "/networks/"+esc(network)+"/endpoints/"+esc(ref), nil, &e)
	return e, err
}

// DeleteEndpoint deletes an endpoint; force detaches it first.
func (c *Client) DeleteEndpoint(ctx context.Context, network, ref string, force bool) error {
	path := "/networks/" + esc(network) + "/endpoints/" + esc(ref)
	if force {
		path += "?force=true"
	}
	return c.do(ctx, http.MethodDelete, path, nil, nil)
}

// CreateSandbox creates a sandbox.
func (c *Client) CreateSandbox(ctx context.Context, req SandboxCreate) (Sandbox, error) {
	var s Sandbox
	err := c.do(ctx, http.MethodPost, "/sandboxes", req, &s)
	return s, err
}

// Sandboxes lists the sandboxes.
func (c *Client) Sandboxes(ctx context.Context) ([]Sandbox, error) {
	var l []Sandbox
	err := c.do(ctx, http.MethodGet, "/sandboxes", nil, &l)
	return l, err
}

// Sandbox returns a sandbox.
func (c *Client) Sandbox(ctx context.Context, ref string) (Sandbox, error) {
	var s Sandbox
	err := c.do(ctx, http.MethodGet, "/sandboxes/"+esc(ref), nil, &s)
	return s, err
}

// DeleteSandbox deletes a sandbox and the endpoints attached to it.
func (c *Client) DeleteSandbox(ctx context.Context, ref string) error {
	return c.do(ctx, http.MethodDelete, "/sandboxes/"+esc(ref), nil, nil)
}

// Attach attaches an endpoint to a sandbox.
func (c *Client) Attach(ctx context.Context, sandbox, network, endpoint string) (Sandbox, error) {
	var s Sandbox
	err := c.do(ctx, http.MethodPost, "/sandboxes/"+esc(sandbox)+"/attach", AttachRequest{Network: network, Endpoint: endpoint}, &s)
	return s, err
}

// Detach detaches an endpoint from a sandbox.
func (c *Client) Detach(ctx context.Context, sandbox, network, endpoint string) (Sandbox, error) {
	var s Sandbox
	err := c.do(ctx, http.MethodPost, "/sandboxes/"+esc(sandbox)+"/detach", AttachRequest{Network: network, Endpoint: endpoint}, &s)
	return s, err
}
