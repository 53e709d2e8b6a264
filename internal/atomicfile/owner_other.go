//go:build !unix

package atomicfile

import (
	"io/fs"
	"os"
)

// keepOwner does nothing where file owners are not numeric.
func keepOwner(*os.File, fs.FileInfo) {}
