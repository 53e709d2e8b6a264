package vm

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

// guestEnv marks a process running inside the VM.
const guestEnv = "CNMKIT_VM_GUEST"

// suite is a package's test binary run in the VM on the tests matching run
// (and the benchmarks matching bench, when set).
type suite struct {
	name, pkg, run string
	bench          string
}

// suites are what runs in the VM. Add a suite for each package whose tests
// need a feature the host kernel may lack.
var suites = []suite{
	{"kernel", ".", "^TestKernel", ""},
	{"lowerdrv", "../../drivers/internal/lowerdrv", "^(TestIpvlan|TestVLANParent|TestInternalNetworkOnDummy)", ""},
	{"parent", "../../drivers/internal/parent", "^(TestVLANSubInterface|TestDummyParent)$", ""},
	{"overlay-esp", "../../drivers/overlay", "^TestEncrypted", "^BenchmarkEncrypted"},
}

// vmTimeout bounds one VM run, boot included.
const vmTimeout = 8 * time.Minute

func TestInVM(t *testing.T) {
	if os.Getenv(guestEnv) == "1" {
		t.Skip("inside the VM")
	}
	testutils.RequireRoot(t)
	if os.Getenv("CNMKIT_VM") == "off" {
		t.Skip("CNMKIT_VM=off")
	}
	if missing := missingFeatures(); len(missing) == 0 {
		t.Skip("the host kernel has every feature: the tests ran directly")
	} else {
		t.Logf("the host kernel lacks %s: running %d suites in a VM", strings.Join(missing, ", "), len(suites))
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		if _, err := exec.LookPath("apt-get"); err != nil {
			t.Skip("no qemu-system-x86_64 and no apt-get to install it")
		}
	}
	work := t.TempDir()
	script := buildSuites(t, work)
	out, err := runVM(t, work, script)
	results := parseSuites(out)
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			r, ok := results[s.name]
			if !ok {
				t.Fatalf("suite did not run in the VM (vm.sh: %v); console:\n%s", err, tail(out, 40))
			}
			t.Log("\n" + r.output)
			if r.status != 0 {
				t.Fatalf("exit status %d in the VM", r.status)
			}
			if r.passed == 0 {
				t.Fatalf("no test passed in the VM (%d skipped): the features were not there", r.skipped)
			}
		})
	}
}

// buildSuites compiles each suite's test binary into work and writes the
// guest script that runs them; it returns the script's path.
func buildSuites(t *testing.T, work string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	var b strings.Builder
	b.WriteString("export " + guestEnv + "=1\n")
	for _, s := range suites {
		bin := filepath.Join(work, s.name+".test")
		cmd := exec.Command(goBin, "test", "-c", "-o", bin, s.pkg)
		cmd.Dir = pkgDir(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", s.pkg, err, out)
		}
		fmt.Fprintf(&b, "echo '=== CNMKIT-SUITE %s'\n", s.name)
		bench := ""
		if s.bench != "" {
			bench = fmt.Sprintf(" -test.bench %q -test.benchtime 10x", s.bench)
		}
		fmt.Fprintf(&b, "(cd %q && %q -test.v -test.timeout 5m -test.run %q%s) 2>&1\n", filepath.Join(pkgDir(t), s.pkg), bin, s.run, bench)
		fmt.Fprintf(&b, "echo \"=== CNMKIT-SUITE-STATUS %s $?\"\n", s.name)
	}
	script := filepath.Join(work, "suites.sh")
	if err := os.WriteFile(script, []byte(b.String()), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

// pkgDir is this package's source directory (the test's working dir).
func pkgDir(t *testing.T) string {
	d, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// runVM boots the VM on script and returns its console output. The VM (a
// process group of ours) is killed when it overruns vmTimeout.
func runVM(t *testing.T, work, script string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), vmTimeout)
	defer cancel()
	cmd := exec.Command(filepath.Join(pkgDir(t), "vm.sh"), "-w", work, "--", "bash", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return out.String(), fmt.Errorf("VM run overran %s", vmTimeout)
	}
}

type result struct {
	output          string
	status          int
	passed, skipped int
}

var (
	suiteStart  = regexp.MustCompile(`=== CNMKIT-SUITE (\S+)$`)
	suiteStatus = regexp.MustCompile(`=== CNMKIT-SUITE-STATUS (\S+) (\d+)$`)
)

// parseSuites splits the console output into the suites' results.
func parseSuites(console string) map[string]*result {
	res := map[string]*result{}
	var cur *result
	var buf strings.Builder
	sc := bufio.NewScanner(strings.NewReader(console))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := suiteStart.FindStringSubmatch(line); m != nil {
			cur = &result{status: -1}
			buf.Reset()
			continue
		}
		if m := suiteStatus.FindStringSubmatch(line); m != nil && cur != nil {
			fmt.Sscan(m[2], &cur.status)
			cur.output = buf.String()
			res[m[1]] = cur
			cur = nil
			continue
		}
		if cur == nil {
			continue
		}
		buf.WriteString(line + "\n")
		switch trimmed := strings.TrimSpace(line); {
		case strings.HasPrefix(trimmed, "--- PASS"):
			cur.passed++
		case strings.HasPrefix(trimmed, "--- SKIP"):
			cur.skipped++
		}
	}
	return res
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
