package datastore

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
)

// Defaults of the local scope and of backend calls.
const (
	// DefaultBucket is the boltdb bucket of the local scope.
	DefaultBucket = "cnmkit"
	// DefaultLocalFile is the local scope's file name in the data dir.
	DefaultLocalFile = "local-kv.db"
	// DefaultLockTimeout bounds the wait for a boltdb file lock; it is
	// only a backstop, since a held file is detected without waiting.
	DefaultLockTimeout = time.Second
	// DefaultCallTimeout bounds each call to a non-boltdb backend when the
	// scope's store.Config has no ConnectionTimeout.
	DefaultCallTimeout = 5 * time.Second
)

// ScopeCfg is the store configuration of one scope.
type ScopeCfg struct {
	Client ScopeClientCfg
}

// ScopeClientCfg names a libkv backend and how to reach it.
type ScopeClientCfg struct {
	// Provider is the libkv backend name ("boltdb", "consul", ...).
	Provider string
	// Address is the backend address; for boltdb the file path. Several
	// addresses are separated by commas.
	Address string
	// Config is passed to the backend; nil means defaults.
	Config *store.Config
}

// IsValid reports whether cfg names a provider and an address.
func (cfg *ScopeCfg) IsValid() bool {
	return cfg != nil && cfg.Client.Provider != "" && cfg.Client.Address != ""
}

// DefaultScopes returns the default scope configurations: a local scope
// kept in <dataDir>/local-kv.db, bucket "cnmkit".
func DefaultScopes(dataDir string) map[string]*ScopeCfg {
	return map[string]*ScopeCfg{
		LocalScope: {
			Client: ScopeClientCfg{
				Provider: string(store.BOLTDB),
				Address:  filepath.Join(dataDir, DefaultLocalFile),
				Config: &store.Config{
					Bucket:            DefaultBucket,
					ConnectionTimeout: DefaultLockTimeout,
					PersistConnection: true,
				},
			},
		},
	}
}

// NewDataStoreFromConfig opens the store described by a discovery event.
// dsc.Config must be a *store.Config or nil.
func NewDataStoreFromConfig(dsc discoverapi.DatastoreConfigData) (DataStore, error) {
	cfg, ok := dsc.Config.(*store.Config)
	if !ok && dsc.Config != nil {
		return nil, types.BadRequestErrorf("datastore config for scope %q has type %T, want *store.Config", dsc.Scope, dsc.Config)
	}
	return NewDataStore(dsc.Scope, &ScopeCfg{Client: ScopeClientCfg{
		Provider: dsc.Provider,
		Address:  dsc.Address,
		Config:   cfg,
	}})
}

// validate checks the scope and its configuration.
func validate(scope string, cfg *ScopeCfg) error {
	if scope != LocalScope && scope != GlobalScope {
		return types.BadRequestErrorf("invalid datastore scope %q: want %q or %q", scope, LocalScope, GlobalScope)
	}
	if cfg == nil {
		return types.BadRequestErrorf("datastore scope %q: no configuration", scope)
	}
	if cfg.Client.Provider == "" {
		return types.BadRequestErrorf("datastore scope %q: no provider", scope)
	}
	if strings.TrimSpace(cfg.Client.Address) == "" {
		return types.BadRequestErrorf("datastore scope %q, provider %q: no address", scope, cfg.Client.Provider)
	}
	if cfg.Client.Provider == string(store.BOLTDB) && strings.Contains(cfg.Client.Address, ",") {
		return types.BadRequestErrorf("datastore scope %q: boltdb address %q must be one file path", scope, cfg.Client.Address)
	}
	return nil
}

// splitAddrs splits a comma-separated address list.
func splitAddrs(address string) []string {
	var out []string
	for _, a := range strings.Split(address, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}
