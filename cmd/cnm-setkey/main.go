// Command cnm-setkey is an OCI prestart hook: it hands the network namespace
// of a container's first process to the sandbox a cnmkit controller made for
// the container with OptionUseExternalKey.
//
//	cnm-setkey CONTAINER-ID CONTROLLER-ID [EXEC-ROOT] < OCI-STATE
//
// The OCI runtime writes the container's state (JSON with its "pid") on
// stdin; the key set is /proc/PID/ns/net. EXEC-ROOT is the controller's
// exec root when it is not the default /run/cnmkit.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/cnmkit/libnetwork"
)

// ociState holds the part of the OCI runtime state the hook needs.
type ociState struct {
	Pid int `json:"pid"`
}

func main() {
	if err := run(os.Args[1:], os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "cnm-setkey:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader) error {
	if len(args) != 2 && len(args) != 3 {
		return fmt.Errorf("usage: cnm-setkey CONTAINER-ID CONTROLLER-ID [EXEC-ROOT] < OCI-STATE")
	}
	execRoot := ""
	if len(args) == 3 {
		execRoot = args[2]
	}
	var st ociState
	if err := json.NewDecoder(io.LimitReader(stdin, 1<<20)).Decode(&st); err != nil {
		return fmt.Errorf("read the OCI state on stdin: %w", err)
	}
	if st.Pid <= 0 {
		return fmt.Errorf("the OCI state has no valid pid (%d)", st.Pid)
	}
	return libnetwork.SetExternalKeyAt(execRoot, args[1], args[0], fmt.Sprintf("/proc/%d/ns/net", st.Pid))
}
