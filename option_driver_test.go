package libnetwork

import (
	"testing"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
)

func TestOptionDriverBadInput(t *testing.T) {
	testutils.SetupTestOSContext(t)
	noop := func(driverapi.DriverCallback, map[string]interface{}) error { return nil }
	for _, c := range []struct {
		name string
		opt  config.Option
		is   func(error) bool
		msg  string
	}{
		{"no type", config.OptionDriver(" ", noop), types.IsBadRequest, `" "`},
		{"no init", config.OptionDriver("mine", nil), types.IsBadRequest, `"mine"`},
		{"a built-in type", config.OptionDriver("bridge", noop), types.IsForbidden, `"bridge"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(config.OptionDataDir(t.TempDir()), config.OptionExecRoot(t.TempDir()), c.opt)
			if err == nil || !c.is(err) || !containsStr(err.Error(), c.msg) {
				t.Fatalf("New: %v, want the class and a message naming %s", err, c.msg)
			}
		})
	}
}
