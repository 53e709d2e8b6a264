// Package version tells which build of cnmkit/libnetwork is running.
package version

import (
	"runtime"
	"runtime/debug"
)

// module is this project's module path.
const module = "github.com/cnmkit/libnetwork"

// Version is the release of the build; a release build sets it with
// -ldflags "-X github.com/cnmkit/libnetwork/internal/version.Version=v1.2.3".
var Version = "dev"

// Info is what a build knows about itself.
type Info struct {
	Version   string // the release, or "dev", or the module version an embedder required
	GitCommit string // the VCS revision ("-dirty" when modified), "" when the build has none
	GoVersion string
	OSArch    string
}

// Get returns the running build's Info.
func Get() Info {
	i := Info{Version: Version, GoVersion: runtime.Version(), OSArch: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return i
	}
	if i.Version == "dev" {
		for _, d := range bi.Deps {
			if d.Path == module && d.Version != "" && d.Version != "(devel)" {
				i.Version = d.Version
			}
		}
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		i.GitCommit = rev + dirty
	}
	return i
}
