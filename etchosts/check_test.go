package etchosts

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Small assertion helpers (the standard library only, so the tests need no
// extra go.sum entries).

func msg(args []any) string {
	if len(args) == 0 {
		return ""
	}
	if f, ok := args[0].(string); ok {
		return ": " + fmt.Sprintf(f, args[1:]...)
	}
	return ": " + fmt.Sprint(args...)
}

func checkEqual(t testing.TB, want, got any, args ...any) {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		t.Errorf("not equal%s\nwant: %#v\ngot:  %#v", msg(args), want, got)
	}
}

func checkTrue(t testing.TB, ok bool, args ...any) {
	t.Helper()
	if !ok {
		t.Errorf("want true%s", msg(args))
	}
}

func checkContains(t testing.TB, s, sub string, args ...any) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%q does not contain %q%s", s, sub, msg(args))
	}
}

func checkNoErr(t testing.TB, err error, args ...any) {
	t.Helper()
	if err != nil {
		t.Errorf("unexpected error%s: %v", msg(args), err)
	}
}

func mustNoErr(t testing.TB, err error, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error%s: %v", msg(args), err)
	}
}

func mustErr(t testing.TB, err error, args ...any) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error%s", msg(args))
	}
}
