package config

import (
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/types"
)

func TestPluginOptions(t *testing.T) {
	c := New()
	if c.Daemon.Plugins.SocketDirs != nil || c.Daemon.Plugins.SpecDirs != nil {
		t.Fatalf("defaults must be nil (Docker's dirs): %+v", c.Daemon.Plugins)
	}
	c = New(OptionPluginDirs([]string{"/a"}, []string{}), OptionPluginTimeout(time.Second), OptionPluginActivateTimeout(2*time.Second))
	p := c.Daemon.Plugins
	if len(p.SocketDirs) != 1 || p.SocketDirs[0] != "/a" || p.SpecDirs == nil || len(p.SpecDirs) != 0 || p.CallTimeout != time.Second || p.ActivateTimeout != 2*time.Second {
		t.Fatalf("got %+v", p)
	}
	for _, o := range []Option{OptionPluginTimeout(-time.Second), OptionPluginActivateTimeout(-time.Second)} {
		err := New(o).Err()
		if !types.IsBadRequest(err) || !strings.Contains(err.Error(), "-1s") {
			t.Fatalf("negative timeout: %v", err)
		}
	}
}
