package lowerdrv

import (
	"fmt"
	"net"
	"strconv"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
)

// ParentOption is the driver option naming the parent link.
const ParentOption = "parent"

// netConfig is a network's configuration from its options.
type netConfig struct {
	Parent   string // the option ("" for an internal network)
	Mode     string
	Internal bool
}

// subnet is one IPAM pool of a network and its gateway (the external
// router; nil when IPAM named none).
type subnet struct {
	pool *net.IPNet
	gw   net.IP
}

// parseOptions reads CreateNetwork's options: the driver options under
// netlabel.GenericData (map[string]string of labels, map[string]interface{}
// or options.Generic) and netlabel.Internal at the top level. No parent,
// or an internal network, is a network on a dummy link of its own. Other
// options are ignored, as Docker's drivers do.
func (k *Kind) parseOptions(opts map[string]interface{}) (netConfig, error) {
	c := netConfig{Mode: k.DefaultMode}
	set := func(key string, v interface{}) error {
		s, ok := v.(string)
		if !ok {
			return types.BadRequestErrorf("%s network option %s: want a string, got %T (%v)", k.Name, key, v, v)
		}
		switch key {
		case ParentOption:
			c.Parent = s
		case k.ModeOption:
			if _, ok := k.Modes[s]; !ok {
				return types.BadRequestErrorf("%s network option %s: unknown mode %q (want one of %s)", k.Name, key, s, k.modeNames())
			}
			c.Mode = s
		}
		return nil
	}
	if g, ok := opts[netlabel.GenericData]; ok && g != nil {
		var m map[string]interface{}
		switch o := g.(type) {
		case map[string]string:
			m = make(map[string]interface{}, len(o))
			for k, v := range o {
				m[k] = v
			}
		case map[string]interface{}:
			m = o
		case options.Generic:
			m = o
		default:
			return c, types.BadRequestErrorf("%s network option %s: want map[string]string or options.Generic, got %T", k.Name, netlabel.GenericData, g)
		}
		for key, v := range m {
			if err := set(key, v); err != nil {
				return c, err
			}
		}
	}
	if v, ok := opts[netlabel.Internal]; ok {
		b, err := boolOpt(v)
		if err != nil {
			return c, types.BadRequestErrorf("%s network option %s: %w", k.Name, netlabel.Internal, err)
		}
		c.Internal = b
	}
	if c.Parent == "" {
		c.Internal = true
	}
	if c.Internal {
		// As Docker: an internal network is on a dummy link, whatever parent was named.
		c.Parent = ""
	}
	return c, nil
}

func boolOpt(v interface{}) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		return strconv.ParseBool(b)
	}
	return false, fmt.Errorf("want a bool, got %T (%v)", v, v)
}

func (k *Kind) modeNames() string {
	s := ""
	for _, name := range k.ModeList() {
		if s != "" {
			s += ", "
		}
		s += name
	}
	return s
}

// ModeList returns the mode names, the default first, then sorted.
func (k *Kind) ModeList() []string {
	out := []string{k.DefaultMode}
	var rest []string
	for name := range k.Modes {
		if name != k.DefaultMode {
			rest = append(rest, name)
		}
	}
	for i := range rest {
		for j := i + 1; j < len(rest); j++ {
			if rest[j] < rest[i] {
				rest[i], rest[j] = rest[j], rest[i]
			}
		}
	}
	return append(out, rest...)
}

// subnets returns the network's pools and gateways. A network needs one
// real pool: a null-IPAM 0.0.0.0/0 gives none.
func (k *Kind) subnets(nid string, v4, v6 []driverapi.IPAMData) ([]subnet, []subnet, error) {
	conv := func(list []driverapi.IPAMData) []subnet {
		var out []subnet
		for _, d := range list {
			if d.Pool == nil {
				continue
			}
			if ones, _ := d.Pool.Mask.Size(); ones == 0 {
				continue
			}
			s := subnet{pool: types.GetIPNetCopy(d.Pool)}
			if d.Gateway != nil {
				s.gw = types.GetIPCopy(d.Gateway.IP)
			}
			out = append(out, s)
		}
		return out
	}
	s4, s6 := conv(v4), conv(v6)
	if len(s4) == 0 && len(s6) == 0 {
		pool := "none"
		if len(v4) > 0 && v4[0].Pool != nil {
			pool = v4[0].Pool.String()
		}
		return nil, nil, types.BadRequestErrorf("%s network %s needs a subnet from IPAM (got IPv4 pool %s)", k.Name, nid, pool)
	}
	return s4, s6, nil
}
