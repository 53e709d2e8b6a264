package etchosts

import (
	"bufio"
	"io"
	"net/netip"
	"strings"

	"github.com/cnmkit/libnetwork/types"
)

// Line is one line of a hosts file.
type Line struct {
	// Raw is the line as read, without its newline.
	Raw string
	// Record is the entry on the line; nil for blank, comment-only and
	// malformed lines (no valid address, or no names after it).
	Record *Record
	// Comment is the text after the first '#', without the '#'.
	Comment string
}

// Parse reads a hosts file and returns its lines: records (with Hosts
// normalised to single spaces), comments and everything else, in order.
// Malformed lines are returned with a nil Record, never as an error.
func Parse(r io.Reader) ([]Line, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, types.InternalErrorf("read hosts file: %w", err)
	}
	raws := splitLines(string(data))
	lines := make([]Line, len(raws))
	for i, raw := range raws {
		lines[i] = parseLine(raw)
	}
	return lines, nil
}

// WriteLines writes lines as a hosts file: a record as "IP<TAB>Hosts",
// followed by " #Comment" when it has a comment; any other line as Raw.
func WriteLines(w io.Writer, lines []Line) error {
	bw := bufio.NewWriter(w)
	for _, l := range lines {
		if l.Record != nil {
			bw.WriteString(l.Record.IP)
			bw.WriteByte('\t')
			bw.WriteString(l.Record.Hosts)
			if l.Comment != "" {
				bw.WriteString(" #")
				bw.WriteString(l.Comment)
			}
		} else {
			bw.WriteString(l.Raw)
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// splitLines splits s into lines; a final newline does not start a line.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n")
}

func parseLine(raw string) Line {
	l := Line{Raw: raw}
	body := raw
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		body, l.Comment = raw[:i], raw[i+1:]
	}
	f := fields(body)
	if len(f) < 2 {
		return l
	}
	if _, err := netip.ParseAddr(f[0]); err != nil {
		return l
	}
	l.Record = &Record{IP: f[0], Hosts: strings.Join(f[1:], " ")}
	return l
}

// recordKey identifies a record exactly: the parsed address (so that
// equivalent spellings of one address match) and the names in order.
type recordKey struct {
	addr  netip.Addr
	hosts string
}

func keyOf(r Record) (recordKey, bool) {
	a, err := netip.ParseAddr(r.IP)
	if err != nil {
		return recordKey{}, false
	}
	return recordKey{addr: a, hosts: strings.Join(fields(r.Hosts), " ")}, true
}

// managedKey returns the key of a line this package may have written: a
// record with no comment. User lines carrying a comment are never touched.
func (l Line) managedKey() (recordKey, bool) {
	if l.Record == nil || strings.Contains(l.Raw, "#") {
		return recordKey{}, false
	}
	return keyOf(*l.Record)
}
