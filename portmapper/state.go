package portmapper

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// stateFilePrefix starts the name of a portmapper's proxy record in RunDir.
const stateFilePrefix = "portmapper-"

// proxyRecord identifies a running proxy: a process is ours only if its
// command line (and start time, when known) match.
type proxyRecord struct {
	PID       int      `json:"pid"`
	StartTime uint64   `json:"start_time,omitempty"`
	Argv      []string `json:"argv"`
}

// saveState writes the record of the running proxies (atomically).
func (pm *PortMapper) saveState() {
	if pm.state == "" {
		return
	}
	pm.mu.Lock()
	recs := []proxyRecord{}
	for _, m := range pm.mappings {
		if p := m.proxy; p != nil {
			recs = append(recs, proxyRecord{PID: p.cmd.Process.Pid, StartTime: p.startTime, Argv: p.argv})
		}
	}
	pm.mu.Unlock()
	pm.stateMu.Lock()
	defer pm.stateMu.Unlock()
	if err := writeState(pm.state, recs); err != nil {
		logrus.WithError(err).WithField("file", pm.state).Warn("portmapper: cannot record proxies")
	}
}

func writeState(path string, recs []proxyRecord) error {
	if len(recs) == 0 {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	b, err := json.Marshal(recs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// CleanupLeftovers ends the proxies recorded in runDir by portmappers of an
// earlier run. A recorded process is ended only if its command line (and
// start time) still match the record; nothing else is ever signalled.
func CleanupLeftovers(runDir string) error {
	files, err := filepath.Glob(filepath.Join(runDir, stateFilePrefix+"*.json"))
	if err != nil {
		return types.BadRequestErrorf("portmapper: run dir %q: %w", runDir, err)
	}
	var errs []error
	for _, f := range files {
		if err := cleanupStateFile(f); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// cleanupStateFile ends the proxies recorded in path and removes it.
func cleanupStateFile(path string) error {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return types.InternalErrorf("portmapper: read %s: %w", path, err)
	}
	var recs []proxyRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		logrus.WithError(err).WithField("file", path).Warn("portmapper: unreadable proxy record removed")
	}
	for _, r := range recs {
		if !isRecordedProxy(r) {
			continue
		}
		logrus.WithFields(logrus.Fields{"pid": r.PID, "argv": r.Argv}).Info("portmapper: ending a leftover proxy")
		if err := syscall.Kill(r.PID, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
			return types.InternalErrorf("portmapper: end leftover proxy %d: %w", r.PID, err)
		}
		if err := waitGone(r.PID, 5*time.Second); err != nil {
			return err
		}
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return types.InternalErrorf("portmapper: remove %s: %w", path, err)
	}
	return nil
}

// isRecordedProxy reports whether process r.PID is still the recorded proxy.
func isRecordedProxy(r proxyRecord) bool {
	if r.PID <= 1 || len(r.Argv) == 0 || r.PID == os.Getpid() {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(r.PID) + "/cmdline")
	if err != nil {
		return false
	}
	got := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
	if len(got) != len(r.Argv) {
		return false
	}
	for i := range got {
		if got[i] != r.Argv[i] {
			return false
		}
	}
	if r.StartTime != 0 {
		st, err := procStartTime(r.PID)
		if err != nil || st != r.StartTime {
			return false
		}
	}
	return true
}

// procStartTime returns field 22 of /proc/<pid>/stat (start time in ticks).
func procStartTime(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); the start time is field 22.
	if len(f) < 20 {
		return 0, errors.New("short stat")
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// waitGone polls until pid no longer runs (gone or a zombie).
func waitGone(pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return nil
		}
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) && b[i+2] == 'Z' {
			return nil
		}
		if time.Now().After(deadline) {
			return types.TimeoutErrorf("portmapper: leftover proxy %d still runs", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
