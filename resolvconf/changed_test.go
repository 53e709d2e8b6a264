package resolvconf

import (
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnmkit/libnetwork/types"
)

func TestChangeTracker(t *testing.T) {
	p := confPath(t)
	var c changeTracker
	assert.Empty(t, c.last().Content, "nothing read yet")
	assert.Empty(t, c.last().Hash)

	require.NoError(t, os.WriteFile(p, []byte("nameserver 10.0.0.1\n"), 0o644))
	f, err := c.ifChanged(p)
	require.NoError(t, err)
	require.NotNil(t, f, "the first read is a change")
	assert.Equal(t, "nameserver 10.0.0.1\n", string(f.Content))
	assert.Equal(t, HashData(f.Content), f.Hash)
	assert.Equal(t, f, c.last())

	f2, err := c.ifChanged(p)
	require.NoError(t, err)
	assert.Nil(t, f2, "unchanged file")

	require.NoError(t, os.WriteFile(p, []byte("nameserver 10.0.0.2\n"), 0o644))
	f3, err := c.ifChanged(p)
	require.NoError(t, err)
	require.NotNil(t, f3)
	assert.Equal(t, "nameserver 10.0.0.2\n", string(f3.Content))
	assert.Equal(t, f3, c.last())

	// The caller cannot change what is remembered.
	f3.Content[0] = 'X'
	assert.Equal(t, "nameserver 10.0.0.2\n", string(c.last().Content))

	// A missing file is an error and leaves the last content.
	require.NoError(t, os.Remove(p))
	_, err = c.ifChanged(p)
	assert.True(t, types.IsNotFound(err), "%v", err)
	assert.Contains(t, err.Error(), p)
	assert.Equal(t, "nameserver 10.0.0.2\n", string(c.last().Content))
}

func TestChangeTrackerConcurrent(t *testing.T) {
	p := confPath(t)
	require.NoError(t, os.WriteFile(p, []byte("nameserver 10.0.0.1\n"), 0o644))
	var c changeTracker
	var wg sync.WaitGroup
	changes := make(chan *File, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := c.ifChanged(p)
			assert.NoError(t, err)
			if f != nil {
				changes <- f
			}
		}()
	}
	wg.Wait()
	close(changes)
	assert.Len(t, changes, 1, "one reader sees the change")
}

// TestGetIfChanged reads the host's file (never writes it).
func TestGetIfChanged(t *testing.T) {
	want, err := os.ReadFile(Path())
	if err != nil {
		t.Skipf("no host resolv.conf: %v", err)
	}
	first, err := GetIfChanged()
	require.NoError(t, err)
	if first != nil {
		assert.Equal(t, string(want), string(first.Content))
	}
	again, err := GetIfChanged()
	require.NoError(t, err)
	assert.Nil(t, again, "nothing changed between two reads")
	last := GetLastModified()
	assert.Equal(t, string(want), string(last.Content))
	assert.Equal(t, HashData(want), last.Hash)
}
