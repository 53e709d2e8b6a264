package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/networkdb"
	"github.com/cnmkit/libnetwork/types"
)

// TestDiagnosticsWire: what networkdb's handler writes decodes into
// api.Diagnostics with nothing unknown and nothing lost.
func TestDiagnosticsWire(t *testing.T) {
	in := networkdb.Diagnostics{Node: "h1", Clock: 7,
		Peers: []networkdb.DiagNode{{Name: "h1", Addr: "192.168.1.1", Status: "alive"}},
		Networks: []networkdb.DiagNetwork{{ID: "n1", Members: []string{"h1", "h2"}, Entries: []networkdb.DiagEntry{
			{Table: "t", Key: "k", Value: []byte{1, 2}, Owner: "h2", LTime: 3, Deleted: true, Hidden: true, ReapIn: "1s"},
		}}}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var out api.Diagnostics
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	b2, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Fatalf("round trip lost data:\n%s\n%s", b, b2)
	}
}

func TestNetworkID(t *testing.T) {
	ok := api.NetworkCreate{ID: "ov1", Name: "n", Driver: "overlay"}
	if _, _, err := validateNetworkCreate(&ok); err != nil {
		t.Fatal(err)
	}
	ok.ID = strings.Repeat("a", 64)
	if _, _, err := validateNetworkCreate(&ok); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{strings.Repeat("a", 65), "-x", "a/b", "a b", ".."} {
		req := api.NetworkCreate{ID: id, Name: "n", Driver: "overlay"}
		_, _, err := validateNetworkCreate(&req)
		fe, isField := err.(*fieldError)
		if !isField || fe.field != "id" || !types.IsBadRequest(err) || !strings.Contains(err.Error(), id) {
			t.Errorf("id %q: %v, want a bad request naming the id", id, err)
		}
	}
}
