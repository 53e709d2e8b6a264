package iptables

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"sync"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
)

// waitArgs makes every command wait for the xtables lock instead of failing.
var waitArgs = []string{"-w"}

type binaries struct{ main, restore, save string }

func defaultBinaries(v IPVersion) binaries {
	name := "iptables"
	if v == IPv6 {
		name = "ip6tables"
	}
	return binaries{main: name, restore: name + "-restore", save: name + "-save"}
}

// run executes argv (argv[0] is the binary) inside t's namespace, feeding
// stdin, and returns stdout. A failure is an *Error wrapped in its class.
func (t *IPTable) run(argv []string, stdin []byte) ([]byte, error) {
	t.noteFootprint()
	var out []byte
	var err error
	do := func() error {
		out, err = execute(argv, stdin)
		return nil
	}
	if t.inNS {
		if nerr := ns.WithNetNS(t.nsh, do); nerr != nil {
			return nil, nerr
		}
	} else {
		_ = do()
	}
	return out, err
}

func execute(argv []string, stdin []byte) ([]byte, error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, newError(argv, -1, "", err)
	}
	cmd := exec.Command(path, argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		status := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			status = ee.ExitCode()
		}
		return stdout.Bytes(), newError(argv, status, stderr.String(), err)
	}
	return stdout.Bytes(), nil
}

// raw runs "iptables -w -t table args..." in t's namespace.
func (t *IPTable) raw(table Table, args ...string) ([]byte, error) {
	argv := append([]string{t.bin.main}, waitArgs...)
	argv = append(argv, "-t", string(table))
	argv = append(argv, args...)
	return t.run(argv, nil)
}

// restore feeds input to "iptables-restore --noflush -w" in t's namespace.
func (t *IPTable) restore(input []byte) error {
	argv := append([]string{t.bin.restore, "--noflush"}, waitArgs...)
	_, err := t.run(argv, input)
	return err
}

// save returns the output of "iptables-save" (of one table unless table is "").
func (t *IPTable) save(table Table) ([]byte, error) {
	argv := []string{t.bin.save}
	if table != "" {
		argv = append(argv, "-t", string(table))
	}
	return t.run(argv, nil)
}

// Backend is the kernel interface an iptables binary programs.
type Backend string

// Backends reported by "iptables --version".
const (
	NFTables Backend = "nf_tables"
	Legacy   Backend = "legacy"
)

var backendCache sync.Map // binary path -> Backend

// DetectBackend reports whether the system's iptables (or ip6tables for
// IPv6) programs nf_tables or the legacy xtables, from its --version output.
func DetectBackend(v IPVersion) (Backend, error) {
	return detectBackend(defaultBinaries(v).main)
}

// Backend reports the backend of the binary t runs.
func (t *IPTable) Backend() (Backend, error) { return detectBackend(t.bin.main) }

func detectBackend(bin string) (Backend, error) {
	if b, ok := backendCache.Load(bin); ok {
		return b.(Backend), nil
	}
	out, err := execute([]string{bin, "--version"}, nil)
	if err != nil {
		return "", err
	}
	b, err := parseBackend(string(out))
	if err != nil {
		return "", err
	}
	backendCache.Store(bin, b)
	return b, nil
}

// parseBackend reads "iptables v1.8.9 (nf_tables)". Versions before 1.8 print
// no backend and are legacy.
func parseBackend(version string) (Backend, error) {
	line := strings.TrimSpace(version)
	if !strings.HasPrefix(line, "ip") || !strings.Contains(line, " v") {
		return "", types.InternalErrorf("iptables: unexpected version output %q", line)
	}
	switch {
	case strings.Contains(line, "(nf_tables)"):
		return NFTables, nil
	case strings.Contains(line, "(legacy)"), !strings.Contains(line, "("):
		return Legacy, nil
	}
	return "", types.InternalErrorf("iptables: unknown backend in %q", line)
}
