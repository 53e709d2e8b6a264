package networkdb

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"
)

// DiagNode is a cluster node in the diagnostics dump.
type DiagNode struct {
	Name   string `json:"name"`
	Addr   string `json:"addr"`
	Status string `json:"status"`
}

// DiagEntry is a table entry in the diagnostics dump.
type DiagEntry struct {
	Table   string `json:"table"`
	Key     string `json:"key"`
	Value   []byte `json:"value,omitempty"`
	Owner   string `json:"owner"`
	LTime   uint64 `json:"ltime"`
	Deleted bool   `json:"deleted,omitempty"`
	Hidden  bool   `json:"hidden,omitempty"`
	ReapIn  string `json:"reapIn,omitempty"`
}

// DiagNetwork is a joined network in the diagnostics dump.
type DiagNetwork struct {
	ID      string      `json:"id"`
	Members []string    `json:"members"`
	Entries []DiagEntry `json:"entries"`
}

// Diagnostics is the state this node dumps for operators.
type Diagnostics struct {
	Node     string        `json:"node"`
	Clock    uint64        `json:"clock"`
	Peers    []DiagNode    `json:"peers"`
	Networks []DiagNetwork `json:"networks"`
}

// Diagnostics returns a snapshot of this node's peers, networks and
// entries; nid and table, when not empty, filter the entries, and
// tombstones and hidden entries are listed only with all.
func (n *NetworkDB) Diagnostics(nid, table string, all bool) *Diagnostics {
	now := time.Now()
	n.RLock()
	defer n.RUnlock()
	d := &Diagnostics{Node: n.self, Clock: n.clock.Time(), Peers: []DiagNode{}, Networks: []DiagNetwork{}}
	for name, p := range n.nodes {
		d.Peers = append(d.Peers, DiagNode{Name: name, Addr: p.node.Address(), Status: p.status.String()})
	}
	sort.Slice(d.Peers, func(i, j int) bool { return d.Peers[i].Name < d.Peers[j].Name })
	for id, t := range n.networks {
		if nid != "" && id != nid {
			continue
		}
		dn := DiagNetwork{ID: id, Members: []string{}, Entries: []DiagEntry{}}
		for m, r := range n.members[id] {
			if !r.leaving {
				dn.Members = append(dn.Members, m)
			}
		}
		sort.Strings(dn.Members)
		for tname, tb := range t.tables {
			if table != "" && tname != table {
				continue
			}
			for key, e := range tb {
				if !all && !e.visible() {
					continue
				}
				de := DiagEntry{Table: tname, Key: key, Value: e.value, Owner: e.owner, LTime: e.ltime, Deleted: e.deleted, Hidden: e.hidden}
				if !e.reapAt.IsZero() {
					de.ReapIn = e.reapAt.Sub(now).Round(time.Millisecond).String()
				}
				dn.Entries = append(dn.Entries, de)
			}
		}
		sort.Slice(dn.Entries, func(i, j int) bool {
			a, b := dn.Entries[i], dn.Entries[j]
			if a.Table != b.Table {
				return a.Table < b.Table
			}
			return a.Key < b.Key
		})
		d.Networks = append(d.Networks, dn)
	}
	sort.Slice(d.Networks, func(i, j int) bool { return d.Networks[i].ID < d.Networks[j].ID })
	return d
}

// DiagnosticsHandler returns an http.Handler that serves Diagnostics as
// JSON. Query parameters: nid and table filter, all=1 adds tombstones and
// hidden entries.
func (n *NetworkDB) DiagnosticsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		q := r.URL.Query()
		d := n.Diagnostics(q.Get("nid"), q.Get("table"), q.Get("all") == "1" || q.Get("all") == "true")
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			n.log.WithError(err).Debug("diagnostics write")
		}
	})
}
