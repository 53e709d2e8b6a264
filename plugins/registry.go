package plugins

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// DefaultActivateTimeout bounds the retries of an activation while a
// plugin is starting (its socket or port not answering yet).
const DefaultActivateTimeout = 10 * time.Second

// Config says where plugins are looked for and how long calls may take.
type Config struct {
	// SocketDirs hold NAME.sock unix sockets (nil: DefaultSocketDirs).
	SocketDirs []string
	// SpecDirs hold NAME.spec and NAME.json files (nil: DefaultSpecDirs).
	SpecDirs []string
	// CallTimeout bounds one call (0: DefaultCallTimeout).
	CallTimeout time.Duration
	// ActivateTimeout bounds activation with its retries (0: DefaultActivateTimeout).
	ActivateTimeout time.Duration
	// DialTCP, when set, opens the connections to TCP plugins (e.g. from
	// the controller's host namespace rather than the calling thread's).
	DialTCP DialFunc
}

// Manifest is a plugin's answer to /Plugin.Activate.
type Manifest struct {
	Implements []string
}

// Plugin is an activated plugin.
type Plugin struct {
	Name     string
	Addr     string
	Manifest Manifest
	client   *Client
}

// Client returns the plugin's client.
func (p *Plugin) Client() *Client { return p.client }

// Implements reports whether the plugin implements the interface kind
// (e.g. "NetworkDriver", "IpamDriver").
func (p *Plugin) Implements(kind string) bool {
	for _, k := range p.Manifest.Implements {
		if k == kind {
			return true
		}
	}
	return false
}

// HandlerFunc is told of a plugin, activated, that implements the kind it
// was registered for; an error fails the Get that activated it.
type HandlerFunc func(name string, client *Client) error

// Registry activates plugins by name, once each, and hands them to the
// handlers of the interfaces they implement.
type Registry struct {
	cfg      Config
	mu       sync.Mutex
	entries  map[string]*entry
	handlers map[string][]HandlerFunc
}

type entry struct {
	mu      sync.Mutex
	plugin  *Plugin
	handled map[string]bool
}

// NewRegistry returns a registry with cfg (zero fields get the defaults).
func NewRegistry(cfg Config) *Registry {
	if cfg.SocketDirs == nil {
		cfg.SocketDirs = DefaultSocketDirs
	}
	if cfg.SpecDirs == nil {
		cfg.SpecDirs = DefaultSpecDirs
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.ActivateTimeout <= 0 {
		cfg.ActivateTimeout = DefaultActivateTimeout
	}
	return &Registry{cfg: cfg, entries: map[string]*entry{}, handlers: map[string][]HandlerFunc{}}
}

var (
	defaultOnce sync.Once
	defaultReg  *Registry
)

// Default returns the process-wide registry on Docker's directories.
func Default() *Registry {
	defaultOnce.Do(func() { defaultReg = NewRegistry(Config{}) })
	return defaultReg
}

// Config returns the registry's configuration, defaults filled in.
func (r *Registry) Config() Config { return r.cfg }

// Handle registers fn for the plugins implementing kind.
func (r *Registry) Handle(kind string, fn HandlerFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = append(r.handlers[kind], fn)
}

// Get returns plugin name activated, after the handlers of kind have
// accepted it (once per plugin and kind). Not found, not implementing
// kind, unreachable or refused by a handler: a typed error, and the next
// Get tries again.
func (r *Registry) Get(name, kind string) (*Plugin, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	r.mu.Lock()
	e, ok := r.entries[name]
	if !ok {
		e = &entry{handled: map[string]bool{}}
		r.entries[name] = e
	}
	hs := append([]HandlerFunc(nil), r.handlers[kind]...)
	r.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.plugin == nil {
		p, err := r.activate(name)
		if err != nil {
			return nil, err
		}
		e.plugin = p
	}
	p := e.plugin
	if !p.Implements(kind) {
		if !p.Implements("NetworkDriver") && !p.Implements("IpamDriver") {
			return nil, types.BadRequestErrorf("plugin %q implements neither NetworkDriver nor IpamDriver (it implements %v)", name, p.Manifest.Implements)
		}
		return nil, types.BadRequestErrorf("plugin %q does not implement %s (it implements %v)", name, kind, p.Manifest.Implements)
	}
	if !e.handled[kind] {
		for _, h := range hs {
			if err := h(name, p.client); err != nil {
				return nil, err
			}
		}
		e.handled[kind] = true
	}
	return p, nil
}

// Forget drops what the registry knows of plugin name: the next Get
// looks it up and activates it again.
func (r *Registry) Forget(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.entries, name)
}

// Active returns the names of the activated plugins, sorted.
func (r *Registry) Active() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for n, e := range r.entries {
		if e.plugin != nil {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// activateAttempt, when set (by tests), is told of each failed attempt.
var activateAttempt func(name string)

// activate looks plugin name up and activates it, retrying with backoff
// within ActivateTimeout while it cannot be reached (still starting).
func (r *Registry) activate(name string) (*Plugin, error) {
	spec, err := Lookup(name, r.cfg.SocketDirs, r.cfg.SpecDirs)
	if err != nil {
		return nil, err
	}
	c, err := newClient(spec, r.cfg.CallTimeout, r.cfg.DialTCP)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(r.cfg.ActivateTimeout)
	backoff := 10 * time.Millisecond
	for {
		var m Manifest
		left := time.Until(deadline)
		if left > r.cfg.CallTimeout {
			left = r.cfg.CallTimeout
		}
		err = c.CallTimeout("Plugin.Activate", nil, &m, left)
		if err == nil {
			logrus.WithFields(logrus.Fields{"plugin": name, "addr": spec.Addr, "implements": m.Implements}).Debug("plugin activated")
			return &Plugin{Name: name, Addr: spec.Addr, Manifest: m, client: c}, nil
		}
		if activateAttempt != nil {
			activateAttempt(name)
		}
		if !types.IsNoService(err) || time.Now().Add(backoff).After(deadline) {
			// The cause keeps its types class.
			return nil, fmt.Errorf("activate plugin %q at %s: %w", name, spec.Addr, err)
		}
		time.Sleep(backoff)
		if backoff *= 2; backoff > time.Second {
			backoff = time.Second
		}
	}
}

// ConfigKey is the key, in a driver's configuration map, of the
// *Registry the remote drivers look plugins up in.
const ConfigKey = "com.cnmkit.plugins.registry"
