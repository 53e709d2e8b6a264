package resolvconf

import (
	"errors"
	"fmt"
	"github.com/cnmkit/libnetwork/internal/atomicfile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func confPath(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "resolv.conf")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

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
		name                 string
		dns, search, options []string
		want                 string
	}{
		{name: "all", dns: []string{"10.0.0.1", "fd00::1"}, search: []string{"a.example", "b.example"}, options: []string{"ndots:2", "rotate"},
			want: "search a.example b.example\nnameserver 10.0.0.1\nnameserver fd00::1\noptions ndots:2 rotate\n"},
		{name: "no search", dns: []string{"10.0.0.1"}, search: []string{"."}, want: "nameserver 10.0.0.1\n"},
		{name: "nothing", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := confPath(t)
			f, err := Build(p, tc.dns, tc.search, tc.options)
			require.NoError(t, err)
			assert.Equal(t, tc.want, readFile(t, p))
			assert.Equal(t, tc.want, string(f.Content))
			assert.Equal(t, HashData([]byte(tc.want)), f.Hash)
			fi, err := os.Stat(p)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
			assertOnlyFile(t, p)
		})
	}
}

func TestBuildBadInputLeavesFile(t *testing.T) {
	tests := []struct {
		name                 string
		dns, search, options []string
		value                string
	}{
		{name: "dns", dns: []string{"10.0.0.1", "10.0.0.256"}, value: "10.0.0.256"},
		{name: "search", dns: []string{"10.0.0.1"}, search: []string{"a!.example"}, value: "a!.example"},
		{name: "option", dns: []string{"10.0.0.1"}, options: []string{"timeout:1", "bogus"}, value: "bogus"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := confPath(t)
			require.NoError(t, os.WriteFile(p, []byte("nameserver 10.1.1.1\n"), 0o644))
			_, err := Build(p, tc.dns, tc.search, tc.options)
			require.Error(t, err)
			assert.True(t, types.IsBadRequest(err), "%v", err)
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", tc.value))
			assert.Equal(t, "nameserver 10.1.1.1\n", readFile(t, p))
			assertOnlyFile(t, p)
		})
	}
}

func TestWriteIfUnchanged(t *testing.T) {
	p := confPath(t)
	f, err := Build(p, []string{"10.0.0.1"}, nil, nil)
	require.NoError(t, err)
	h := f.Hash

	// Unchanged file: updated.
	h2, ok, err := WriteIfUnchanged(p, []byte("nameserver 10.0.0.2\n"), h)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, HashData([]byte("nameserver 10.0.0.2\n")), h2)
	assert.Equal(t, "nameserver 10.0.0.2\n", readFile(t, p))

	// Same content again: nothing to write, still reported as holding it.
	h3, ok, err := WriteIfUnchanged(p, []byte("nameserver 10.0.0.2\n"), h2)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, h2, h3)

	// A stale hash (the first one) is refused.
	h4, ok, err := WriteIfUnchanged(p, []byte("nameserver 10.0.0.3\n"), h)
	require.NoError(t, err)
	assert.True(t, !ok)
	assert.Equal(t, h, h4)
	assert.Equal(t, "nameserver 10.0.0.2\n", readFile(t, p))

	// The user edits the file: our update is skipped and the edit stays.
	require.NoError(t, os.WriteFile(p, []byte("nameserver 10.0.0.2\nnameserver 192.168.1.1 # mine\n"), 0o644))
	h5, ok, err := WriteIfUnchanged(p, []byte("nameserver 10.0.0.4\n"), h2)
	require.NoError(t, err)
	assert.True(t, !ok)
	assert.Equal(t, h2, h5)
	assert.Equal(t, "nameserver 10.0.0.2\nnameserver 192.168.1.1 # mine\n", readFile(t, p))

	// The user removes the file: it is not recreated.
	require.NoError(t, os.Remove(p))
	_, ok, err = WriteIfUnchanged(p, []byte("nameserver 10.0.0.4\n"), h2)
	require.NoError(t, err)
	assert.True(t, !ok)
	_, err = os.Stat(p)
	assert.True(t, errors.Is(err, os.ErrNotExist))
	assert.Equal(t, 0, atomicfile.Locks())
}

// TestWriteIfUnchangedRace starts many writers from one hash: exactly one
// wins, the others see the file changed.
func TestWriteIfUnchangedRace(t *testing.T) {
	p := confPath(t)
	f, err := Build(p, []string{"10.0.0.1"}, nil, nil)
	require.NoError(t, err)
	const n = 32
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := []string{}
	for i := range n {
		wg.Go(func() {
			content := fmt.Sprintf("nameserver 10.0.1.%d\n", i+1)
			_, ok, err := WriteIfUnchanged(p, []byte(content), f.Hash)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				mu.Lock()
				winners = append(winners, content)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, len(winners))
	if len(winners) == 1 {
		assert.Equal(t, winners[0], readFile(t, p))
	}
	assertOnlyFile(t, p)
	assert.Equal(t, 0, atomicfile.Locks())
}

func TestConcurrentWrites(t *testing.T) {
	p := confPath(t)
	const n = 32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := Write(p, fmt.Appendf(nil, "nameserver 10.0.2.%d\n", i+1)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got := Parse([]byte(readFile(t, p)))
	assert.Equal(t, 1, len(got.Nameservers))
	assert.Equal(t, 0, len(got.Other))
	assertOnlyFile(t, p)
}

func TestFailedWriteKeepsOldFile(t *testing.T) {
	p := confPath(t)
	f, err := Build(p, []string{"10.0.0.1"}, nil, nil)
	require.NoError(t, err)
	atomicfile.TestHookBeforeRename = func(string) error { return errors.New("disk on fire") }
	t.Cleanup(func() { atomicfile.TestHookBeforeRename = nil })

	_, err = Build(p, []string{"10.0.0.2"}, nil, nil)
	assert.True(t, types.IsInternal(err), "%v", err)
	_, err = Write(p, []byte("nameserver 10.0.0.3\n"))
	assert.True(t, types.IsInternal(err), "%v", err)
	h, ok, err := WriteIfUnchanged(p, []byte("nameserver 10.0.0.4\n"), f.Hash)
	assert.True(t, types.IsInternal(err), "%v", err)
	assert.True(t, !ok)
	assert.Equal(t, "", h)
	assert.Equal(t, "nameserver 10.0.0.1\n", readFile(t, p))
	assertOnlyFile(t, p)
}

func TestModeKept(t *testing.T) {
	p := confPath(t)
	f, err := Build(p, []string{"10.0.0.1"}, nil, nil)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(p, 0o640))
	_, ok, err := WriteIfUnchanged(p, []byte("nameserver 10.0.0.2\n"), f.Hash)
	require.NoError(t, err)
	assert.True(t, ok)
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
}

func TestGetSpecific(t *testing.T) {
	p := confPath(t)
	require.NoError(t, os.WriteFile(p, []byte("nameserver 10.0.0.1\n"), 0o644))
	f, err := GetSpecific(p)
	require.NoError(t, err)
	assert.Equal(t, "nameserver 10.0.0.1\n", string(f.Content))
	assert.Equal(t, "sha256:26b7ec5d3f6903fc698862c9796667f6e50676d464b50974c82fb03a047a47c0", f.Hash)

	_, err = GetSpecific(filepath.Join(t.TempDir(), "missing"))
	assert.True(t, types.IsNotFound(err), "%v", err)
}

func TestPathFrom(t *testing.T) {
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc-resolv.conf")
	resolved := filepath.Join(dir, "run-resolv.conf")

	assert.Equal(t, etc, pathFrom(etc, resolved)) // neither exists

	require.NoError(t, os.WriteFile(etc, []byte("nameserver 127.0.0.53\noptions edns0\n"), 0o644))
	assert.Equal(t, etc, pathFrom(etc, resolved)) // stub, but no upstream file

	require.NoError(t, os.WriteFile(resolved, []byte("nameserver 10.0.0.1\n"), 0o644))
	assert.Equal(t, resolved, pathFrom(etc, resolved))

	require.NoError(t, os.WriteFile(etc, []byte("nameserver 127.0.0.53\nnameserver 10.0.0.9\n"), 0o644))
	assert.Equal(t, etc, pathFrom(etc, resolved)) // not only the stub
}

// TestSandboxFlow follows a sandbox's file from the host's through the
// options, the embedded server, an update and a user edit.
func TestSandboxFlow(t *testing.T) {
	host := []byte("# Generated by NetworkManager\nsearch lan\nnameserver 127.0.0.53\nnameserver 192.168.1.1\nnameserver fd00::1\noptions edns0\n")
	p := confPath(t)

	filtered, err := FilterResolvDNSWithFallback(host, false, "10.9.0.1")
	require.NoError(t, err)
	assert.Equal(t, "# Generated by NetworkManager\nsearch lan\nnameserver 192.168.1.1\noptions edns0\n", string(filtered.Content))

	conf, err := Parse(filtered.Content).Override(nil, []string{"corp.example"}, nil)
	require.NoError(t, err)
	emb, upstreams, err := conf.ForEmbeddedDNS("", []string{"ndots:0"})
	require.NoError(t, err)
	assert.Equal(t, []string{"192.168.1.1"}, upstreams)
	f, err := Write(p, emb.Bytes())
	require.NoError(t, err)
	want := "# Generated by NetworkManager\nsearch corp.example\nnameserver 127.0.0.11\noptions edns0 ndots:0\n"
	assert.Equal(t, want, readFile(t, p))

	// The embedder changes the search list: the file is updated.
	conf2, err := Parse(filtered.Content).Override(nil, []string{"new.example"}, nil)
	require.NoError(t, err)
	emb2, _, err := conf2.ForEmbeddedDNS("", []string{"ndots:0"})
	require.NoError(t, err)
	h, ok, err := WriteIfUnchanged(p, emb2.Bytes(), f.Hash)
	require.NoError(t, err)
	assert.True(t, ok)
	want = "# Generated by NetworkManager\nsearch new.example\nnameserver 127.0.0.11\noptions edns0 ndots:0\n"
	assert.Equal(t, want, readFile(t, p))

	// The user edits the file; the next update leaves it alone.
	edited := want + "options rotate\n"
	require.NoError(t, os.WriteFile(p, []byte(edited), 0o644))
	_, ok, err = WriteIfUnchanged(p, emb.Bytes(), h)
	require.NoError(t, err)
	assert.True(t, !ok)
	assert.Equal(t, edited, readFile(t, p))
	assertOnlyFile(t, p)
}
