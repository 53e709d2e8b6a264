package overlay

import (
	"os"
	"path/filepath"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/sirupsen/logrus"
)

// Fini stops an overlay driver made by Init and tears its kernel state
// down: every overlay namespace it built (and with it the VXLAN devices,
// bridges and the veth pairs of joined endpoints) and every overlay
// namespace an earlier run left under its exec root. The endpoint records
// of the local store are kept. A driver that is not the overlay driver is
// left alone. The driver must not be used afterwards.
func Fini(drv driverapi.Driver) {
	d, ok := drv.(*driver)
	if !ok {
		logrus.Warnf("overlay: Fini of a %T, not the overlay driver", drv)
		return
	}
	d.shutdown(true)
}

// removeAllNamespaces unpins every network namespace under the exec root.
func (d *driver) removeAllNamespaces() {
	entries, err := os.ReadDir(d.execRoot)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(d.execRoot, e.Name())
		if e.IsDir() || !ns.IsNetNS(p) {
			continue
		}
		if err := ns.RemovePinned(p); err != nil {
			logrus.WithField("path", p).WithError(err).Warn("overlay: remove namespace")
			continue
		}
		logrus.WithField("path", p).Debug("overlay: removed namespace")
	}
}
