package config

import (
	"errors"
	"io/fs"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/cnmkit/libnetwork/types"
)

// ParseConfig reads a TOML configuration file (the seed's dnet format:
// [daemon], [cluster] and [scopes.NAME.client] tables, keys matched to the
// Config fields without regard to case) over the defaults. A key that
// names no field is refused, naming it; "title" is allowed.
func ParseConfig(tomlCfgFile string) (*Config, error) {
	c := defaults()
	md, err := toml.DecodeFile(tomlCfgFile, c)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return nil, types.BadRequestErrorf("config file %q: %w", tomlCfgFile, err)
		}
		return nil, types.BadRequestErrorf("config file %q: invalid TOML: %w", tomlCfgFile, err)
	}
	var unknown []string
	for _, k := range md.Undecoded() {
		if s := k.String(); s != "title" {
			unknown = append(unknown, s)
		}
	}
	if len(unknown) > 0 {
		return nil, types.BadRequestErrorf("config file %q: unknown keys %s", tomlCfgFile, strings.Join(unknown, ", "))
	}
	if c.Daemon.DriverCfg == nil {
		c.Daemon.DriverCfg = map[string]interface{}{}
	}
	c.LoadDefaultScopes(c.Daemon.DataDir)
	return c, nil
}
