// Package etchosts writes and edits the hosts file of a sandbox.
//
// Build writes the whole file; Add, Delete, Update and Replace change only
// the lines they manage and leave every other line (anything a user wrote by
// hand, comments, blank lines) in place and in order. A managed line is
// identified exactly: a line holding an address and names and no comment,
// whose address (compared as an address, so "::1" matches "0::1") and names
// (compared in order, case-sensitively) equal the record asked for.
//
// Every write is atomic: the new content goes to a temporary file in the same
// directory, which is synced and renamed over the old one, keeping its mode
// (and its owner where the caller may set it). A failed write leaves the old
// file as it was. Read-modify-write cycles on one path are serialised inside
// the process, so concurrent Add and Delete calls never lose an update.
//
// Note for embedders: rename gives the file a new inode. A runtime that
// bind-mounts the file itself (not its directory) into a container keeps
// showing the container the old inode after a change; bind-mount the
// directory, or mount the file again after a change.
package etchosts

import (
	"bytes"
	"errors"
	"github.com/cnmkit/libnetwork/internal/atomicfile"
	"io/fs"
	"os"
	"strings"

	"github.com/cnmkit/libnetwork/types"
)

// defaultContent is the head of every hosts file Build writes.
var defaultContent = []Record{
	{Hosts: "localhost", IP: "127.0.0.1"},
	{Hosts: "localhost ip6-localhost ip6-loopback", IP: "::1"},
	{Hosts: "ip6-localnet", IP: "fe00::0"},
	{Hosts: "ip6-mcastprefix", IP: "ff00::0"},
	{Hosts: "ip6-allnodes", IP: "ff02::1"},
	{Hosts: "ip6-allrouters", IP: "ff02::2"},
}

// Build writes the hosts file at path: the localhost and IPv6 default lines,
// then, when IP is set, the sandbox's own line ("IP hostname", or the FQDN
// and the short name, "IP hostname.domainname hostname" with a domain and
// "IP web.corp web" for a hostname that is an FQDN), then extraContent. It
// replaces the whole file. All input is validated before anything is
// written.
func Build(path, IP, hostname, domainname string, extraContent []Record) error {
	var buf bytes.Buffer
	for _, r := range defaultContent {
		r.WriteTo(&buf)
	}
	if IP != "" {
		own, err := ownRecord(IP, hostname, domainname)
		if err != nil {
			return err
		}
		own.WriteTo(&buf)
	}
	for _, r := range extraContent {
		if err := ValidateRecord(r); err != nil {
			return err
		}
		normalize(r).WriteTo(&buf)
	}
	defer atomicfile.Lock(path)()
	if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
		return ioError("write hosts file", path, err)
	}
	return nil
}

// Add appends the records that the file at path does not already hold
// exactly. It is a no-op for records already present.
func Add(path string, recs []Record) error {
	if err := validateAll(recs); err != nil {
		return err
	}
	return edit(path, func(lines []Line) ([]Line, bool) {
		have := map[recordKey]bool{}
		for _, l := range lines {
			if k, ok := l.managedKey(); ok {
				have[k] = true
			}
		}
		changed := false
		for _, r := range recs {
			k, _ := keyOf(r)
			if have[k] {
				continue
			}
			have[k] = true
			lines = append(lines, managedLine(normalize(r)))
			changed = true
		}
		return lines, changed
	})
}

// Delete removes the lines that exactly match one of recs. Records not in the
// file are ignored.
func Delete(path string, recs []Record) error {
	if err := validateAll(recs); err != nil {
		return err
	}
	del := map[recordKey]bool{}
	for _, r := range recs {
		k, _ := keyOf(r)
		del[k] = true
	}
	return edit(path, func(lines []Line) ([]Line, bool) {
		out := lines[:0:0]
		for _, l := range lines {
			if k, ok := l.managedKey(); ok && del[k] {
				continue
			}
			out = append(out, l)
		}
		return out, len(out) != len(lines)
	})
}

// Update sets the address of the sandbox's own line after an address change:
// every line whose names are exactly "hostname" or "hostname.<domain>
// hostname" (the shapes Build writes) and that has no comment gets address
// IP. Other lines are untouched; with no such line it does nothing.
func Update(path, IP, hostname string) error {
	if _, err := parseAddr(IP); err != nil {
		return err
	}
	if err := validateHostname(hostname); err != nil {
		return err
	}
	return edit(path, func(lines []Line) ([]Line, bool) {
		changed := false
		for i, l := range lines {
			if _, ok := l.managedKey(); !ok || !isOwnLine(l.Record.Hosts, hostname) {
				continue
			}
			if l.Record.IP == IP {
				continue
			}
			lines[i] = managedLine(Record{Hosts: l.Record.Hosts, IP: IP})
			changed = true
		}
		return lines, changed
	})
}

// Replace puts to in place of every line that exactly matches from, for
// example the sandbox's own line after a hostname change. With no such line
// it does nothing.
func Replace(path string, from, to Record) error {
	if err := validateAll([]Record{from, to}); err != nil {
		return err
	}
	ko, _ := keyOf(from)
	return edit(path, func(lines []Line) ([]Line, bool) {
		changed := false
		for i, l := range lines {
			if k, ok := l.managedKey(); ok && k == ko {
				lines[i] = managedLine(normalize(to))
				changed = true
			}
		}
		return lines, changed
	})
}

// Drop forgets any state kept for path. Locks are released as soon as no call
// holds them, so there is nothing to drop; Drop exists for callers written
// against libnetwork.
func Drop(path string) {}

// edit runs fn on the lines of path under the path's lock and writes the
// result atomically when fn reports a change.
func edit(path string, fn func([]Line) ([]Line, bool)) error {
	defer atomicfile.Lock(path)()
	data, err := os.ReadFile(path)
	if err != nil {
		return ioError("read hosts file", path, err)
	}
	raws := splitLines(string(data))
	lines := make([]Line, len(raws))
	for i, raw := range raws {
		lines[i] = parseLine(raw)
	}
	lines, changed := fn(lines)
	if !changed {
		return nil
	}
	var buf bytes.Buffer
	for _, l := range lines {
		buf.WriteString(l.Raw)
		buf.WriteByte('\n')
	}
	if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
		return ioError("write hosts file", path, err)
	}
	return nil
}

func ownRecord(IP, hostname, domainname string) (Record, error) {
	if _, err := parseAddr(IP); err != nil {
		return Record{}, err
	}
	if hostname == "" {
		return Record{}, types.BadRequestErrorf("hosts file for address %q: empty host name", IP)
	}
	if err := validateHostname(hostname); err != nil {
		return Record{}, err
	}
	fqdn := hostname
	if domainname != "" {
		if err := validateHostname(domainname); err != nil {
			return Record{}, types.BadRequestErrorf("invalid domain name %q: %w", domainname, err)
		}
		fqdn = hostname + "." + domainname
	}
	hosts := fqdn
	if short := shortName(fqdn); short != fqdn {
		hosts = fqdn + " " + short
	}
	return Record{Hosts: hosts, IP: IP}, nil
}

// shortName is name up to its first dot.
func shortName(name string) string {
	short, _, _ := strings.Cut(name, ".")
	return short
}

// isOwnLine reports whether hosts is a shape Build writes for hostname:
// "hostname", or its FQDN (hostname itself or hostname.domain) then its
// short name.
func isOwnLine(hosts, hostname string) bool {
	f := fields(hosts)
	switch len(f) {
	case 1:
		return f[0] == hostname
	case 2:
		return f[1] == shortName(hostname) && f[0] != f[1] &&
			(f[0] == hostname || strings.HasPrefix(f[0], hostname+"."))
	}
	return false
}

func validateAll(recs []Record) error {
	for _, r := range recs {
		if err := ValidateRecord(r); err != nil {
			return err
		}
	}
	return nil
}

func normalize(r Record) Record {
	return Record{Hosts: strings.Join(fields(r.Hosts), " "), IP: r.IP}
}

func managedLine(r Record) Line {
	return Line{Raw: r.IP + "\t" + r.Hosts, Record: &Record{Hosts: r.Hosts, IP: r.IP}}
}

// ioError classes a file-system error: a missing file is NotFound, anything
// else Internal.
func ioError(op, path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return types.NotFoundErrorf("%s %s: %w", op, path, err)
	}
	return types.InternalErrorf("%s %s: %w", op, path, err)
}
