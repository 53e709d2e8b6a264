package config

import (
	"time"

	"github.com/cnmkit/libnetwork/types"
)

// PluginCfg says where the controller looks for network and IPAM plugins
// (Docker's plugin protocol) and how long a call to one may take.
type PluginCfg struct {
	// SocketDirs hold NAME.sock unix sockets; nil: Docker's
	// /run/docker/plugins.
	SocketDirs []string
	// SpecDirs hold NAME.spec (a URL line) and NAME.json files; nil:
	// Docker's /etc/docker/plugins and /usr/lib/docker/plugins.
	SpecDirs []string
	// CallTimeout bounds one call to a plugin (0: 30 s, as Docker's).
	CallTimeout time.Duration
	// ActivateTimeout bounds the activation of a plugin that is still
	// starting, retries included (0: 10 s).
	ActivateTimeout time.Duration
}

// OptionPluginDirs sets the directories searched for plugins: unix
// sockets in sockDirs, spec files in specDirs (an empty list searches
// none; nil keeps Docker's directories).
func OptionPluginDirs(sockDirs, specDirs []string) Option {
	return func(c *Config) {
		if sockDirs != nil {
			c.Daemon.Plugins.SocketDirs = append([]string{}, sockDirs...)
		}
		if specDirs != nil {
			c.Daemon.Plugins.SpecDirs = append([]string{}, specDirs...)
		}
	}
}

// OptionPluginTimeout bounds one call to a plugin.
func OptionPluginTimeout(d time.Duration) Option {
	return func(c *Config) {
		if d < 0 {
			c.addErr(types.BadRequestErrorf("invalid plugin call timeout %v: negative", d))
			return
		}
		c.Daemon.Plugins.CallTimeout = d
	}
}

// OptionPluginActivateTimeout bounds the activation of a starting plugin.
func OptionPluginActivateTimeout(d time.Duration) Option {
	return func(c *Config) {
		if d < 0 {
			c.addErr(types.BadRequestErrorf("invalid plugin activation timeout %v: negative", d))
			return
		}
		c.Daemon.Plugins.ActivateTimeout = d
	}
}
