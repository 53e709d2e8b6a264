package iptables

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/types"
)

// The seed's package-level API: commands for the system's iptables (IPv4)
// binary, run in the calling thread's network namespace (lock the goroutine
// to a thread that is in the namespace to program), or through firewalld's
// passthrough while FirewalldInit found firewalld running.

// Action is an iptables command flag: append, delete or insert a rule.
type Action string

// Actions.
const (
	Append Action = "-A"
	Delete Action = "-D"
	Insert Action = "-I"
)

// IPV names a firewall for firewalld's passthrough.
type IPV string

// Firewalls firewalld passes rules to.
const (
	Iptables  IPV = "ipv4"
	IP6Tables IPV = "ipv6"
	Ebtables  IPV = "eb"
)

// ErrIptablesNotFound is the error of a command when no iptables binary is
// on PATH; the errors returned wrap it (errors.Is) and are NoService errors.
var ErrIptablesNotFound = errors.New("iptables not found")

// ChainError is a command on a built-in chain that printed output where
// iptables prints none.
type ChainError struct {
	Chain  string
	Output []byte
}

// Error names the chain and the output.
func (e ChainError) Error() string {
	return fmt.Sprintf("error iptables %s: %s", e.Chain, string(e.Output))
}

// iptablesBin is the binary the seed's functions run.
var iptablesBin = defaultBinaries(IPv4).main

// Raw runs iptables with args (waiting for the xtables lock) and returns its
// combined output: through firewalld when it is running, directly otherwise.
func Raw(args ...string) ([]byte, error) {
	if firewalldRunning() {
		out, err := Passthrough(Iptables, args...)
		if err == nil || !errors.Is(err, errFirewalldGone) {
			return out, err
		}
	}
	return rawNative(args...)
}

// rawNative runs "iptables -w args..." and returns its combined output. A
// failure is a typed *Error (errors.As), with ErrIptablesNotFound when the
// binary is missing.
func rawNative(args ...string) ([]byte, error) {
	path, err := exec.LookPath(iptablesBin)
	if err != nil {
		return nil, types.NoServiceErrorf("iptables %s: %w: %w", strings.Join(args, " "), ErrIptablesNotFound, err)
	}
	argv := append(append([]string{path}, waitArgs...), args...)
	cmd := exec.Command(path, argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		status := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			status = ee.ExitCode()
		}
		return out.Bytes(), newError(argv, status, out.String(), err)
	}
	return out.Bytes(), nil
}

// RawCombinedOutput runs Raw and makes any output an error too.
func RawCombinedOutput(args ...string) error {
	return combined(Raw(args...))
}

// RawCombinedOutputNative is RawCombinedOutput bypassing firewalld.
func RawCombinedOutputNative(args ...string) error {
	return combined(rawNative(args...))
}

func combined(out []byte, err error) error {
	if err != nil {
		return err
	}
	if o := bytes.TrimSpace(out); len(o) != 0 {
		return types.InternalErrorf("iptables: unexpected output %q", o)
	}
	return nil
}

// Exists reports whether rule is in chain of table (iptables -C).
func Exists(table Table, chain string, rule ...string) bool {
	if table == "" {
		table = Filter
	}
	_, err := Raw(append([]string{"-t", string(table), "-C", chain}, rule...)...)
	return err == nil
}

// ExistChain reports whether chain exists in table.
func ExistChain(chain string, table Table) bool {
	if table == "" {
		table = Filter
	}
	_, err := Raw("-t", string(table), "-n", "-L", chain)
	return err == nil
}

// GetVersion returns the version of the iptables binary.
func GetVersion() (major, minor, micro int, err error) {
	out, err := execute([]string{iptablesBin, "--version"}, nil)
	if err != nil {
		return 0, 0, 0, err
	}
	return parseVersion(string(out))
}

// parseVersion reads "iptables v1.8.9 (nf_tables)".
func parseVersion(s string) (int, int, int, error) {
	f := strings.Fields(s)
	for _, w := range f {
		if !strings.HasPrefix(w, "v") {
			continue
		}
		parts := strings.Split(w[1:], ".")
		if len(parts) != 3 {
			break
		}
		var n [3]int
		for i, p := range parts {
			v, err := strconv.Atoi(p)
			if err != nil || v < 0 {
				return 0, 0, 0, types.InternalErrorf("iptables: bad version %q in %q", w, strings.TrimSpace(s))
			}
			n[i] = v
		}
		return n[0], n[1], n[2], nil
	}
	return 0, 0, 0, types.InternalErrorf("iptables: no version in %q", strings.TrimSpace(s))
}

// programRule applies action to rule in chain unless the kernel already is
// that way (the rule exists for Append/Insert, is absent for Delete).
func programRule(table Table, chain string, action Action, rule []string) error {
	if Exists(table, chain, rule...) != (action == Delete) {
		return nil
	}
	return RawCombinedOutput(append([]string{"-t", string(table), string(action), chain}, rule...)...)
}
