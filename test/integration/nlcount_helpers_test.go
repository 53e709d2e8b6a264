package integration

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sendCounter counts the process's sendmsg and sendto system calls (every
// netlink request the project makes is one: rtnetlink through nlraw or
// the netlink library, nf_tables through google/nftables) with the
// kernel's syscall tracepoints, on every thread of the process and on the
// threads they start. It needs tracefs, which it mounts in the test's own
// mount namespace.
type sendCounter struct {
	fds []int
}

func newSendCounter(t testing.TB) *sendCounter {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tracefs", dir, "tracefs", 0, ""); err != nil {
		t.Skipf("tracefs: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	var ids []uint64
	for _, ev := range []string{"sys_enter_sendmsg", "sys_enter_sendto"} {
		b, err := os.ReadFile(filepath.Join(dir, "events/syscalls", ev, "id"))
		if err != nil {
			t.Skipf("syscall tracepoint %s: %v", ev, err)
		}
		id, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	c := &sendCounter{}
	t.Cleanup(func() {
		for _, fd := range c.fds {
			unix.Close(fd)
		}
	})
	seen := map[int]bool{}
	// Twice: a thread started by one not yet counted is caught the second time.
	for round := 0; round < 2; round++ {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			tid, err := strconv.Atoi(task.Name())
			if err != nil || seen[tid] {
				continue
			}
			seen[tid] = true
			for _, id := range ids {
				attr := unix.PerfEventAttr{Type: unix.PERF_TYPE_TRACEPOINT, Config: id, Bits: unix.PerfBitInherit}
				attr.Size = uint32(unsafe.Sizeof(attr))
				fd, err := unix.PerfEventOpen(&attr, tid, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
				if err != nil {
					if err == unix.ESRCH {
						continue // the thread ended
					}
					t.Skipf("perf_event_open on thread %d: %v", tid, err)
				}
				c.fds = append(c.fds, fd)
			}
		}
	}
	return c
}

// count returns the calls counted so far.
func (c *sendCounter) count() uint64 {
	var sum uint64
	buf := make([]byte, 8)
	for _, fd := range c.fds {
		if n, err := unix.Read(fd, buf); err == nil && n == 8 {
			sum += binary.NativeEndian.Uint64(buf)
		}
	}
	return sum
}
