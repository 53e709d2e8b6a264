package etchosts

import (
	"fmt"
	"testing"
)

// BenchmarkAddDelete measures one Add and one Delete on a hosts file that
// already holds 100 peer records.
func BenchmarkAddDelete(b *testing.B) {
	p := b.TempDir() + "/hosts"
	var peers []Record
	for i := range 100 {
		peers = append(peers, Record{Hosts: fmt.Sprintf("peer%d peer%d.net", i, i), IP: fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)})
	}
	if err := Build(p, "10.0.0.2", "web", "corp", peers); err != nil {
		b.Fatal(err)
	}
	r := []Record{{Hosts: "new new.net", IP: "10.2.0.1"}}
	b.ReportAllocs()
	for b.Loop() {
		if err := Add(p, r); err != nil {
			b.Fatal(err)
		}
		if err := Delete(p, r); err != nil {
			b.Fatal(err)
		}
	}
}
