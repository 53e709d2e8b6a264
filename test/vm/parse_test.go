package vm

import "testing"

func TestParseSuites(t *testing.T) {
	console := "\x1b[2Jboot noise\x1b[?7l=== CNMKIT-SUITE a\n" +
		"=== RUN   TestX\n--- PASS: TestX (0.1s)\n    --- SKIP: TestX/y (0.0s)\nPASS\n" +
		"=== CNMKIT-SUITE-STATUS a 0\n" +
		"=== CNMKIT-SUITE b\n--- FAIL: TestZ (1s)\n=== CNMKIT-SUITE-STATUS b 1\n" +
		"=== CNMKIT-SUITE c\npanic: cut short\n"
	got := parseSuites(console)
	if a := got["a"]; a == nil || a.status != 0 || a.passed != 1 || a.skipped != 1 {
		t.Fatalf("suite a: %+v", a)
	}
	if b := got["b"]; b == nil || b.status != 1 || b.passed != 0 {
		t.Fatalf("suite b: %+v", b)
	}
	if _, ok := got["c"]; ok {
		t.Fatal("a suite with no status was reported")
	}
}
