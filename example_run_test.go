package libnetwork_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

// The examples need root, so they carry "Prints:" rather than "Output:"
// (go test would run them as any user); this test runs each in a network
// namespace of its own and compares what it printed.
func TestExamplesRun(t *testing.T) {
	testutils.RequireRoot(t)
	want := examplePrints(t, "example_test.go", "example_driver_test.go")
	for name, fn := range map[string]func(){
		"Example":                 Example,
		"Example_publishPort":     Example_publishPort,
		"Example_externalKey":     Example_externalKey,
		"Example_restart":         Example_restart,
		"Example_overlay":         Example_overlay,
		"Example_inProcessDriver": Example_inProcessDriver,
	} {
		t.Run(name, func(t *testing.T) {
			if want[name] == "" {
				t.Fatalf("%s has no Prints: comment", name)
			}
			testutils.SetupTestOSContext(t)
			if got := captureStdout(t, fn); got != want[name] {
				t.Fatalf("%s printed\n%s\nwant\n%s", name, got, want[name])
			}
		})
	}
}

// examplePrints returns the text after "Prints:" in each example's
// trailing comment.
func examplePrints(t *testing.T, files ...string) map[string]string {
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || !strings.HasPrefix(fd.Name.Name, "Example") {
				continue
			}
			for _, cg := range af.Comments {
				if cg.Pos() > fd.Body.Lbrace && cg.End() < fd.Body.Rbrace {
					if text := cg.Text(); strings.HasPrefix(text, "Prints:\n") {
						out[fd.Name.Name] = strings.TrimPrefix(text, "Prints:\n")
					}
				}
			}
		}
	}
	return out
}

// captureStdout runs fn with os.Stdout going to a pipe and returns what
// it wrote.
func captureStdout(t *testing.T, fn func()) string {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, r)
		done <- b.String()
	}()
	defer func() { os.Stdout = old }()
	fn()
	os.Stdout = old
	w.Close()
	return <-done
}
