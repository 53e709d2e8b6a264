package crashpoint

import "testing"

func TestHit(t *testing.T) {
	killed := 0
	kill = func() { killed++ }
	defer parse("")
	for _, tt := range []struct {
		env   string
		calls []string
		want  int
	}{
		{"", []string{"a", "b"}, 0},
		{"a", []string{"b", "a"}, 1},
		{"a@2", []string{"a", "b", "a", "a"}, 1},
		{"a@x", []string{"a"}, 0}, // not a count: the whole value names the step
		{"a@x", []string{"a@x"}, 1},
	} {
		killed = 0
		parse(tt.env)
		for _, c := range tt.calls {
			Hit(c)
		}
		if killed != tt.want {
			t.Errorf("env %q calls %v: killed %d times, want %d", tt.env, tt.calls, killed, tt.want)
		}
	}
}
