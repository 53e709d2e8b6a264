package etchosts

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics on any input and that
// parse → write → parse gives the same records and comments, and that
// writing is then a fixed point.
// Seed corpus: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := Parse(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if l.Record != nil {
				if l.Record.IP == "" || l.Record.Hosts == "" {
					t.Fatalf("record with an empty field: %+v", l)
				}
			}
		}
		var out1 bytes.Buffer
		if err := WriteLines(&out1, lines); err != nil {
			t.Fatal(err)
		}
		again, err := Parse(bytes.NewReader(out1.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != len(lines) {
			t.Fatalf("line count %d, then %d", len(lines), len(again))
		}
		for i := range lines {
			if !reflect.DeepEqual(lines[i].Record, again[i].Record) || lines[i].Comment != again[i].Comment {
				t.Fatalf("line %d changed:\n%#v\n%#v", i, lines[i], again[i])
			}
		}
		var out2 bytes.Buffer
		if err := WriteLines(&out2, again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out1.Bytes(), out2.Bytes()) {
			t.Fatalf("write not stable:\n%q\n%q", out1.Bytes(), out2.Bytes())
		}
	})
}

// FuzzEdit checks that adding a record to any file and deleting it again
// gives back every line of the file as it was: user lines are never lost.
// Seed corpus: testdata/fuzz/FuzzEdit.
func FuzzEdit(f *testing.F) {
	rec := Record{Hosts: "fuzz-peer fuzz-peer.net", IP: "10.99.0.1"}
	key, _ := keyOf(rec)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := splitLines(string(data))
		for _, raw := range orig {
			if k, ok := parseLine(raw).managedKey(); ok && k == key {
				return // the record is already there: deleting it is right
			}
		}
		p := filepath.Join(dir, "hosts")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := Add(p, []Record{rec}); err != nil {
			t.Fatal(err)
		}
		if err := Delete(p, []Record{rec}); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(splitLines(string(got)), orig) {
			t.Fatalf("lines changed:\n%q\n%q", data, got)
		}
	})
}
