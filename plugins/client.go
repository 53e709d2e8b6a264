package plugins

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/cnmkit/libnetwork/types"
)

// ContentType is the media type of plugin requests (protocol v1.2).
const ContentType = "application/vnd.docker.plugins.v1.2+json"

// DefaultCallTimeout bounds one call to a plugin, as Docker's 30 s.
const DefaultCallTimeout = 30 * time.Second

// maxResponse bounds a plugin's answer (a plugin answers small JSON).
const maxResponse = 16 << 20

// Client calls one plugin over keep-alive HTTP connections.
type Client struct {
	name    string
	base    string
	http    *http.Client
	timeout time.Duration
}

// Error is an error a plugin answered with (its Err field, or an HTTP
// error status); it is wrapped in the types class of its status.
type Error struct {
	Plugin  string
	Method  string
	Status  int
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("plugin %q: %s: %s", e.Plugin, e.Method, e.Message)
}

// DialFunc opens a TCP connection to a plugin's address.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// NewClient returns a client for plugin name at spec's address; timeout
// bounds each call (0: DefaultCallTimeout).
func NewClient(spec *Spec, timeout time.Duration) (*Client, error) {
	return newClient(spec, timeout, nil)
}

// newClient is NewClient with dial (nil: the default dialer) for TCP.
func newClient(spec *Spec, timeout time.Duration, dial DialFunc) (*Client, error) {
	if err := checkAddr(spec.Addr); err != nil {
		return nil, types.BadRequestErrorf("plugin %q: %w", spec.Name, err)
	}
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	u, _ := url.Parse(spec.Addr)
	tr := &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second, DisableCompression: true}
	c := &Client{name: spec.Name, timeout: timeout, http: &http.Client{Transport: tr}}
	switch u.Scheme {
	case "unix":
		path := u.Path
		var d net.Dialer
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		}
		c.base = "http://plugin"
	default:
		scheme := "http"
		if spec.TLSConfig != nil || u.Scheme == "https" {
			tc, err := tlsConfig(spec.Name, spec.TLSConfig)
			if err != nil {
				return nil, err
			}
			tr.TLSClientConfig = tc
			scheme = "https"
		}
		c.base = scheme + "://" + u.Host
		if dial != nil {
			tr.DialContext = dial
		}
	}
	return c, nil
}

// tlsConfig builds the client TLS configuration of a spec file.
func tlsConfig(name string, tc *TLSConfig) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if tc == nil {
		return cfg, nil
	}
	cfg.InsecureSkipVerify = tc.InsecureSkipVerify
	if tc.CAFile != "" {
		pem, err := os.ReadFile(tc.CAFile)
		if err != nil {
			return nil, types.BadRequestErrorf("plugin %q: CA file %q: %w", name, tc.CAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, types.BadRequestErrorf("plugin %q: CA file %q holds no PEM certificate", name, tc.CAFile)
		}
		cfg.RootCAs = pool
	}
	if tc.CertFile != "" || tc.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(tc.CertFile, tc.KeyFile)
		if err != nil {
			return nil, types.BadRequestErrorf("plugin %q: key pair %q/%q: %w", name, tc.CertFile, tc.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Name returns the plugin's name.
func (c *Client) Name() string { return c.name }

// Timeout returns the bound of one call.
func (c *Client) Timeout() time.Duration { return c.timeout }

// Call posts args as JSON to /method and decodes the answer into ret
// (which may be nil). Errors are typed and name the plugin and the call:
// Timeout when the plugin does not answer in time, NoService when it
// cannot be reached, the class of the HTTP status for an error answer,
// Internal for an answer that breaks the protocol.
func (c *Client) Call(method string, args, ret interface{}) error {
	return c.CallTimeout(method, args, ret, c.timeout)
}

// CallTimeout is Call with its own time bound.
func (c *Client) CallTimeout(method string, args, ret interface{}, timeout time.Duration) error {
	var body []byte
	if args != nil {
		var err error
		if body, err = json.Marshal(args); err != nil {
			return types.BadRequestErrorf("plugin %q: %s: encode request: %w", c.name, method, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/"+method, bytes.NewReader(body))
	if err != nil {
		return types.BadRequestErrorf("plugin %q: %s: %w", c.name, method, err)
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("Accept", ContentType)
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportErr(method, timeout, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return c.transportErr(method, timeout, err)
	}
	if resp.StatusCode != http.StatusOK {
		return c.statusErr(method, resp.StatusCode, data)
	}
	if err := checkContentType(resp.Header.Get("Content-Type")); err != nil {
		return types.InternalErrorf("plugin %q: %s: %w", c.name, method, err)
	}
	if ret == nil {
		return nil
	}
	if err := json.Unmarshal(data, ret); err != nil {
		return types.InternalErrorf("plugin %q: %s: malformed answer %q: %w", c.name, method, truncate(data), err)
	}
	return nil
}

// transportErr types an error of the connection.
func (c *Client) transportErr(method string, timeout time.Duration, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return types.TimeoutErrorf("plugin %q: %s: no answer within %v: %w", c.name, method, timeout, err)
	}
	return types.NoServiceErrorf("plugin %q: %s: unreachable: %w", c.name, method, err)
}

// statusErr types an error answer: its Err field when it has one.
func (c *Client) statusErr(method string, status int, data []byte) error {
	msg := strings.TrimSpace(string(truncate(data)))
	var e struct{ Err, Error string }
	if json.Unmarshal(data, &e) == nil {
		if e.Err != "" {
			msg = e.Err
		} else if e.Error != "" {
			msg = e.Error
		}
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	pe := &Error{Plugin: c.name, Method: method, Status: status, Message: msg}
	return Classify(pe)
}

// Classify wraps a plugin's error answer in the types class of its status
// (400, 403, 404, 409, 501, 503, 504; others are Internal).
func Classify(e *Error) error {
	switch e.Status {
	case http.StatusBadRequest:
		return types.BadRequestErrorf("%w", e)
	case http.StatusForbidden:
		return types.ForbiddenErrorf("%w", e)
	case http.StatusNotFound:
		return types.NotFoundErrorf("%w", e)
	case http.StatusConflict:
		return types.ConflictErrorf("%w", e)
	case http.StatusNotImplemented:
		return types.NotImplementedErrorf("%w", e)
	case http.StatusServiceUnavailable:
		return types.NoServiceErrorf("%w", e)
	case http.StatusGatewayTimeout:
		return types.TimeoutErrorf("%w", e)
	}
	return types.InternalErrorf("%w", e)
}

// checkContentType accepts Docker's plugin media types (any v1.x) and
// plain JSON.
func checkContentType(ct string) error {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("bad content type %q: %w", ct, err)
	}
	if mt == "application/json" || (strings.HasPrefix(mt, "application/vnd.docker.plugins.v1") && strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return fmt.Errorf("content type %q is not a plugin's JSON (%s)", ct, ContentType)
}

func truncate(b []byte) []byte {
	if len(b) > 256 {
		return b[:256]
	}
	return b
}
