package etchosts

import (
	"errors"
	"fmt"
	"github.com/cnmkit/libnetwork/internal/atomicfile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

const defaults = "127.0.0.1\tlocalhost\n" +
	"::1\tlocalhost ip6-localhost ip6-loopback\n" +
	"fe00::0\tip6-localnet\n" +
	"ff00::0\tip6-mcastprefix\n" +
	"ff02::1\tip6-allnodes\n" +
	"ff02::2\tip6-allrouters\n"

func hostsPath(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "hosts")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// assertOnlyFile checks that the directory of path holds no temporary file.
func assertOnlyFile(t *testing.T, path string) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{filepath.Base(path)}, names)
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name             string
		ip, host, domain string
		extra            []Record
		want             string
	}{
		{name: "no address", host: "c1", want: defaults},
		{name: "hostname", ip: "172.18.0.2", host: "c1", want: defaults + "172.18.0.2\tc1\n"},
		{name: "domain", ip: "172.18.0.2", host: "c1", domain: "example.org",
			want: defaults + "172.18.0.2\tc1.example.org c1\n"},
		{name: "ipv6 address", ip: "fd00::2", host: "c1", want: defaults + "fd00::2\tc1\n"},
		{name: "fqdn hostname", ip: "172.18.0.2", host: "c1.example.org",
			want: defaults + "172.18.0.2\tc1.example.org c1\n"},
		{name: "fqdn hostname and domain", ip: "172.18.0.2", host: "c1.lab", domain: "example.org",
			want: defaults + "172.18.0.2\tc1.lab.example.org c1\n"},
		{name: "extra hosts", ip: "10.0.0.2", host: "web",
			extra: []Record{{Hosts: "db", IP: "10.0.0.3"}, {Hosts: "  cache   cache.local ", IP: "fd00::3"}},
			want:  defaults + "10.0.0.2\tweb\n10.0.0.3\tdb\nfd00::3\tcache cache.local\n"},
		{name: "underscore name", ip: "10.0.0.2", host: "proj_web_1", want: defaults + "10.0.0.2\tproj_web_1\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := hostsPath(t)
			require.NoError(t, Build(p, tc.ip, tc.host, tc.domain, tc.extra))
			assert.Equal(t, tc.want, readFile(t, p))
			fi, err := os.Stat(p)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
			assertOnlyFile(t, p)
		})
	}
}

func TestBuildBadInput(t *testing.T) {
	tests := []struct {
		name             string
		ip, host, domain string
		extra            []Record
		bad              string // must appear in the error
	}{
		{name: "bad address", ip: "172.18.0.300", host: "c1", bad: "172.18.0.300"},
		{name: "bad hostname", ip: "10.0.0.2", host: "c1!", bad: "c1!"},
		{name: "hyphen start", ip: "10.0.0.2", host: "-c1", bad: "-c1"},
		{name: "long label", ip: "10.0.0.2", host: strings.Repeat("a", 64), bad: strings.Repeat("a", 64)},
		{name: "empty label", ip: "10.0.0.2", host: "a..b", bad: "a..b"},
		{name: "ip as name", ip: "10.0.0.2", host: "10.0.0.9", bad: "10.0.0.9"},
		{name: "bad domain", ip: "10.0.0.2", host: "c1", domain: "ex ample.org", bad: "ex ample.org"},
		{name: "no hostname", ip: "10.0.0.2", bad: "10.0.0.2"},
		{name: "bad extra name", ip: "10.0.0.2", host: "c1", extra: []Record{{Hosts: "ok bad/name", IP: "10.0.0.3"}}, bad: "bad/name"},
		{name: "bad extra ip", ip: "10.0.0.2", host: "c1", extra: []Record{{Hosts: "db", IP: "10.0.0"}}, bad: "10.0.0"},
		{name: "extra without name", ip: "10.0.0.2", host: "c1", extra: []Record{{Hosts: " ", IP: "10.0.0.3"}}, bad: "10.0.0.3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := hostsPath(t)
			require.NoError(t, os.WriteFile(p, []byte("old\n"), 0o644))
			err := Build(p, tc.ip, tc.host, tc.domain, tc.extra)
			require.Error(t, err)
			assert.True(t, types.IsBadRequest(err), "%T %v", err, err)
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", tc.bad))
			assert.Equal(t, "old\n", readFile(t, p))
			assertOnlyFile(t, p)
		})
	}
}

// TestEditSequence follows one file through the life of a sandbox with a
// user editing it in between, checking the exact content after each step.
func TestEditSequence(t *testing.T) {
	p := hostsPath(t)
	db := Record{Hosts: "db", IP: "10.0.0.3"}
	cache := Record{Hosts: "cache", IP: "fd00::3"}
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"build", func() error { return Build(p, "10.0.0.2", "web", "corp", nil) },
			defaults + "10.0.0.2\tweb.corp web\n"},
		{"add", func() error { return Add(p, []Record{db, cache}) },
			defaults + "10.0.0.2\tweb.corp web\n10.0.0.3\tdb\nfd00::3\tcache\n"},
		{"user edit", func() error {
			s := readFile(t, p)
			s = strings.Replace(s, "10.0.0.3\tdb\n", "# mine\n10.0.0.3\tdb\n192.168.1.1   router\n\n", 1)
			s += "10.0.0.3 db # keep me\n10.0.0.3 db db.corp"
			return os.WriteFile(p, []byte(s), 0o644)
		}, defaults + "10.0.0.2\tweb.corp web\n# mine\n10.0.0.3\tdb\n192.168.1.1   router\n\nfd00::3\tcache\n" +
			"10.0.0.3 db # keep me\n10.0.0.3 db db.corp"},
		{"add again is a no-op", func() error { return Add(p, []Record{db}) },
			defaults + "10.0.0.2\tweb.corp web\n# mine\n10.0.0.3\tdb\n192.168.1.1   router\n\nfd00::3\tcache\n" +
				"10.0.0.3 db # keep me\n10.0.0.3 db db.corp"},
		{"delete", func() error { return Delete(p, []Record{db, {Hosts: "gone", IP: "10.9.9.9"}}) },
			defaults + "10.0.0.2\tweb.corp web\n# mine\n192.168.1.1   router\n\nfd00::3\tcache\n" +
				"10.0.0.3 db # keep me\n10.0.0.3 db db.corp\n"},
		{"update address", func() error { return Update(p, "10.0.0.7", "web") },
			defaults + "10.0.0.7\tweb.corp web\n# mine\n192.168.1.1   router\n\nfd00::3\tcache\n" +
				"10.0.0.3 db # keep me\n10.0.0.3 db db.corp\n"},
		{"rename", func() error {
			return Replace(p, Record{Hosts: "web.corp web", IP: "10.0.0.7"}, Record{Hosts: "api.corp api", IP: "10.0.0.7"})
		}, defaults + "10.0.0.7\tapi.corp api\n# mine\n192.168.1.1   router\n\nfd00::3\tcache\n" +
			"10.0.0.3 db # keep me\n10.0.0.3 db db.corp\n"},
		{"add after user edit", func() error { return Add(p, []Record{{Hosts: "q", IP: "10.0.0.9"}}) },
			defaults + "10.0.0.7\tapi.corp api\n# mine\n192.168.1.1   router\n\nfd00::3\tcache\n" +
				"10.0.0.3 db # keep me\n10.0.0.3 db db.corp\n10.0.0.9\tq\n"},
		{"delete with other spelling", func() error { return Delete(p, []Record{{Hosts: "cache", IP: "fd00:0::3"}}) },
			defaults + "10.0.0.7\tapi.corp api\n# mine\n192.168.1.1   router\n\n" +
				"10.0.0.3 db # keep me\n10.0.0.3 db db.corp\n10.0.0.9\tq\n"},
	}
	for _, s := range steps {
		require.NoError(t, s.do(), s.name)
		assert.Equal(t, s.want, readFile(t, p), s.name)
	}
	assertOnlyFile(t, p)
}

func TestUpdateTouchesOnlyOwnLine(t *testing.T) {
	p := hostsPath(t)
	content := "10.0.0.2\tweb\n" + // own line, short form
		"10.0.0.2\tweb.corp web\n" + // own line, with domain
		"10.0.0.2\tweb alias\n" + // more names: not ours
		"10.0.0.2\twebby\n" + // other name
		"10.0.0.2\tweb # pinned by user\n" + // comment: user line
		"10.0.0.2\tweb.corp\n" // fqdn only: not a Build shape
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	require.NoError(t, Update(p, "10.0.0.5", "web"))
	assert.Equal(t, "10.0.0.5\tweb\n10.0.0.5\tweb.corp web\n10.0.0.2\tweb alias\n10.0.0.2\twebby\n"+
		"10.0.0.2\tweb # pinned by user\n10.0.0.2\tweb.corp\n", readFile(t, p))

	// A hostname that is an FQDN: its own line is the FQDN then the short name.
	require.NoError(t, os.WriteFile(p, []byte("10.0.0.2\tweb.corp web\n10.0.0.2\tweb.corp.lab web\n10.0.0.2\tweb\n"), 0o644))
	require.NoError(t, Update(p, "10.0.0.5", "web.corp"))
	assert.Equal(t, "10.0.0.5\tweb.corp web\n10.0.0.5\tweb.corp.lab web\n10.0.0.2\tweb\n", readFile(t, p))

	// No matching line: the file is not rewritten.
	before, err := os.Stat(p)
	require.NoError(t, err)
	require.NoError(t, Update(p, "10.0.0.6", "nobody"))
	after, err := os.Stat(p)
	require.NoError(t, err)
	assert.True(t, os.SameFile(before, after), "file was rewritten")
}

func TestEditBadInputLeavesFile(t *testing.T) {
	p := hostsPath(t)
	require.NoError(t, Build(p, "10.0.0.2", "web", "", nil))
	good := Record{Hosts: "db", IP: "10.0.0.3"}
	tests := []struct {
		name string
		do   func() error
		bad  string
	}{
		{"add bad ip", func() error { return Add(p, []Record{good, {Hosts: "x", IP: "nope"}}) }, "nope"},
		{"add bad name", func() error { return Add(p, []Record{good, {Hosts: "x_y z!", IP: "10.0.0.4"}}) }, "z!"},
		{"delete bad ip", func() error { return Delete(p, []Record{{Hosts: "web", IP: "1.2.3"}}) }, "1.2.3"},
		{"update bad ip", func() error { return Update(p, "10.0.0.256", "web") }, "10.0.0.256"},
		{"update bad name", func() error { return Update(p, "10.0.0.5", "we b") }, "we b"},
		{"replace bad", func() error { return Replace(p, good, Record{Hosts: "ok", IP: "::g"}) }, "::g"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			require.Error(t, err)
			assert.True(t, types.IsBadRequest(err), "%T %v", err, err)
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", tc.bad))
			assert.Equal(t, defaults+"10.0.0.2\tweb\n", readFile(t, p))
			assertOnlyFile(t, p)
		})
	}
}

func TestEditMissingFile(t *testing.T) {
	p := hostsPath(t)
	for name, do := range map[string]func() error{
		"add":    func() error { return Add(p, []Record{{Hosts: "a", IP: "10.0.0.1"}}) },
		"delete": func() error { return Delete(p, []Record{{Hosts: "a", IP: "10.0.0.1"}}) },
		"update": func() error { return Update(p, "10.0.0.1", "a") },
		"replace": func() error {
			return Replace(p, Record{Hosts: "a", IP: "10.0.0.1"}, Record{Hosts: "b", IP: "10.0.0.1"})
		},
	} {
		err := do()
		assert.True(t, types.IsNotFound(err), "%s: %v", name, err)
		_, statErr := os.Stat(p)
		assert.True(t, errors.Is(statErr, os.ErrNotExist), name)
	}
}

func TestModeKept(t *testing.T) {
	p := hostsPath(t)
	require.NoError(t, Build(p, "10.0.0.2", "web", "", nil))
	require.NoError(t, os.Chmod(p, 0o600))
	require.NoError(t, Add(p, []Record{{Hosts: "db", IP: "10.0.0.3"}}))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.NoError(t, Build(p, "10.0.0.2", "web", "", nil))
	fi, err = os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestFailedWriteKeepsOldFile(t *testing.T) {
	p := hostsPath(t)
	require.NoError(t, Build(p, "10.0.0.2", "web", "", nil))
	want := readFile(t, p)

	var sawTmp string
	atomicfile.TestHookBeforeRename = func(tmp string) error {
		sawTmp = tmp
		// The temporary file is complete and lives next to the target.
		b, err := os.ReadFile(tmp)
		require.NoError(t, err)
		assert.Contains(t, string(b), "10.0.0.3\tdb")
		assert.Equal(t, filepath.Dir(p), filepath.Dir(tmp))
		return errors.New("disk on fire")
	}
	t.Cleanup(func() { atomicfile.TestHookBeforeRename = nil })

	for name, do := range map[string]func() error{
		"build": func() error { return Build(p, "10.0.0.2", "web", "", []Record{{Hosts: "db", IP: "10.0.0.3"}}) },
		"add":   func() error { return Add(p, []Record{{Hosts: "db", IP: "10.0.0.3"}}) },
	} {
		sawTmp = ""
		err := do()
		require.Error(t, err, name)
		assert.True(t, types.IsInternal(err), "%s: %v", name, err)
		assert.Contains(t, err.Error(), "disk on fire")
		assert.True(t, sawTmp != "", name)
		assert.Equal(t, want, readFile(t, p), name)
		assertOnlyFile(t, p)
	}
}

func TestWriteIntoMissingDir(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nodir", "hosts")
	err := Build(p, "", "", "", nil)
	assert.True(t, types.IsNotFound(err), "%v", err)
}

// TestConcurrentEdits runs Add and Delete from many goroutines on one file
// and checks that no update is lost.
func TestConcurrentEdits(t *testing.T) {
	p := hostsPath(t)
	require.NoError(t, Build(p, "10.0.0.2", "web", "", nil))
	require.NoError(t, os.WriteFile(p, []byte(readFile(t, p)+"# user line\n"), 0o644))

	const n = 40
	rec := func(i int) Record { return Record{Hosts: fmt.Sprintf("peer%d", i), IP: fmt.Sprintf("10.1.0.%d", i+1)} }
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Go(func() {
			if err := Add(p, []Record{rec(i)}); err != nil {
				errs <- err
				return
			}
			if i%2 == 1 {
				if err := Delete(p, []Record{rec(i)}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	lines, err := Parse(strings.NewReader(readFile(t, p)))
	require.NoError(t, err)
	got := map[string]bool{}
	for _, l := range lines {
		if l.Record != nil && strings.HasPrefix(l.Record.Hosts, "peer") {
			got[l.Record.Hosts] = true
		}
	}
	want := map[string]bool{}
	for i := 0; i < n; i += 2 {
		want[rec(i).Hosts] = true
	}
	assert.Equal(t, want, got)
	assert.True(t, strings.HasPrefix(readFile(t, p), defaults+"10.0.0.2\tweb\n# user line\n"))
	assertOnlyFile(t, p)
	assert.Equal(t, 0, atomicfile.Locks(), "lock entries left behind")
}

func TestParseRecord(t *testing.T) {
	tests := []struct {
		in      string
		want    Record
		wantErr string
	}{
		{in: "db:10.0.0.3", want: Record{Hosts: "db", IP: "10.0.0.3"}},
		{in: "db.corp:fd00::3", want: Record{Hosts: "db.corp", IP: "fd00::3"}},
		{in: "db:[fd00::3]", want: Record{Hosts: "db", IP: "fd00::3"}},
		{in: "db:::1", want: Record{Hosts: "db", IP: "::1"}},
		{in: "db", wantErr: `"db"`},
		{in: "db:", wantErr: `""`},
		{in: ":10.0.0.3", wantErr: "empty host name"},
		{in: "db:host-gateway", wantErr: `"host-gateway"`},
		{in: "d b:10.0.0.3", wantErr: `"d b"`},
		{in: "db:10.0.0.3:53", wantErr: `"10.0.0.3:53"`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRecord(tc.in)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.True(t, types.IsBadRequest(err))
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.Contains(t, err.Error(), fmt.Sprintf("%q", tc.in))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestValidateRecord(t *testing.T) {
	tests := []struct {
		r  Record
		ok bool
	}{
		{Record{Hosts: "a", IP: "10.0.0.1"}, true},
		{Record{Hosts: "a b.c d-e", IP: "10.0.0.1"}, true},
		{Record{Hosts: "a", IP: "fe80::1%eth0"}, true},
		{Record{Hosts: "A1", IP: "::ffff:10.0.0.1"}, true},
		{Record{Hosts: strings.Repeat("a.", 126) + "a", IP: "10.0.0.1"}, true},
		{Record{Hosts: strings.Repeat("a.", 127) + "a", IP: "10.0.0.1"}, false},
		{Record{Hosts: "a.", IP: "10.0.0.1"}, false},
		{Record{Hosts: "a-", IP: "10.0.0.1"}, false},
		{Record{Hosts: "é", IP: "10.0.0.1"}, false},
		{Record{Hosts: "a#b", IP: "10.0.0.1"}, false},
		{Record{Hosts: "a", IP: " 10.0.0.1"}, false},
		{Record{Hosts: "a", IP: "10.0.0.1/24"}, false},
		{Record{Hosts: "", IP: "10.0.0.1"}, false},
	}
	for _, tc := range tests {
		err := ValidateRecord(tc.r)
		if tc.ok {
			assert.NoError(t, err, "%+v", tc.r)
		} else {
			assert.True(t, types.IsBadRequest(err), "%+v: %v", tc.r, err)
		}
	}
}

func TestParse(t *testing.T) {
	in := "# header\n127.0.0.1\tlocalhost\n\n  10.0.0.3   db  db.corp  # the db\nbogus line\n10.0.0.300 x\n::1\n" +
		"fd00::1 v6\r\n"
	lines, err := Parse(strings.NewReader(in))
	require.NoError(t, err)
	want := []Line{
		{Raw: "# header", Comment: " header"},
		{Raw: "127.0.0.1\tlocalhost", Record: &Record{Hosts: "localhost", IP: "127.0.0.1"}},
		{Raw: ""},
		{Raw: "  10.0.0.3   db  db.corp  # the db", Record: &Record{Hosts: "db db.corp", IP: "10.0.0.3"}, Comment: " the db"},
		{Raw: "bogus line"},
		{Raw: "10.0.0.300 x"},
		{Raw: "::1"},
		{Raw: "fd00::1 v6\r", Record: &Record{Hosts: "v6", IP: "fd00::1"}},
	}
	assert.Equal(t, want, lines)

	var sb strings.Builder
	require.NoError(t, WriteLines(&sb, lines))
	assert.Equal(t, "# header\n127.0.0.1\tlocalhost\n\n10.0.0.3\tdb db.corp # the db\nbogus line\n10.0.0.300 x\n::1\n"+
		"fd00::1\tv6\n", sb.String())

	empty, err := Parse(strings.NewReader(""))
	require.NoError(t, err)
	assert.Equal(t, 0, len(empty))
}
