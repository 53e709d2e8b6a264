package etcdkv

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv"
	"github.com/docker/libkv/store"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Backend is the libkv provider name of this backend.
const Backend store.Backend = "etcd"

// Defaults of a Store.
const (
	// DefaultTimeout bounds each call when store.Config has no
	// ConnectionTimeout.
	DefaultTimeout = 10 * time.Second
	// DefaultLockTTL is the lease TTL of a lock without LockOptions.TTL.
	DefaultLockTTL = 20 * time.Second
	// DefaultPort is the client port of an address that names none.
	DefaultPort = "2379"
)

var registerOnce sync.Once

// Register adds Backend to libkv. The datastore package calls it at init;
// libkv's registry is not locked, so call it before any concurrent
// libkv.NewStore.
func Register() {
	registerOnce.Do(func() {
		libkv.AddStore(Backend, func(addrs []string, cfg *store.Config) (store.Store, error) {
			return New(addrs, cfg)
		})
	})
}

// Store is a libkv store on an etcd v3 cluster; it implements store.Store.
type Store struct {
	cli     *clientv3.Client
	addr    string // the endpoints, comma-separated, for errors
	timeout time.Duration

	ctx       context.Context // cancelled by Close; parent of every call
	cancel    context.CancelFunc
	closeOnce sync.Once

	resyncs atomic.Int64 // watch state re-reads after a compaction
}

var _ store.Store = (*Store)(nil)

// New returns a client of the etcd cluster at addrs. It checks the
// addresses and TLS files but does not wait for etcd to answer.
func New(addrs []string, cfg *store.Config) (*Store, error) {
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	eps, err := parseEndpoints(addrs, tlsCfg != nil)
	if err != nil {
		return nil, err
	}
	if tlsCfg == nil && hasHTTPS(eps) {
		tlsCfg = defaultTLS()
	}
	timeout := DefaultTimeout
	if cfg != nil && cfg.ConnectionTimeout > 0 {
		timeout = cfg.ConnectionTimeout
	}
	cc := clientv3.Config{
		Endpoints:            eps,
		TLS:                  tlsCfg,
		DialKeepAliveTime:    timeout,
		DialKeepAliveTimeout: timeout,
		Logger:               zap.NewNop(),
	}
	if cfg != nil {
		cc.Username, cc.Password = cfg.Username, cfg.Password
	}
	s := &Store{addr: strings.Join(eps, ","), timeout: timeout}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	cc.Context = s.ctx
	cli, err := clientv3.New(cc)
	if err != nil {
		s.cancel()
		return nil, types.BadRequestErrorf("etcd client for %s: %w", s.addr, err)
	}
	s.cli = cli
	return s, nil
}

// Client is the underlying etcd client, for callers that need etcd itself.
func (s *Store) Client() *clientv3.Client { return s.cli }

// ResetBackoff makes the client try to connect again at once, not after
// the growing wait that failed attempts set.
func (s *Store) ResetBackoff() {
	if cc := s.cli.ActiveConnection(); cc != nil {
		cc.ResetConnectBackoff()
	}
}

// Endpoints returns the client URLs, comma-separated.
func (s *Store) Endpoints() string { return s.addr }

// Close ends the Store's watches and lock sessions (without revoking
// their leases) and closes the connection; later calls fail.
func (s *Store) Close() {
	s.closeOnce.Do(func() {
		s.cancel()
		_ = s.cli.Close()
	})
}

// call returns a context bounded by the call timeout.
func (s *Store) call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, s.timeout)
}
