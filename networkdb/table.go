package networkdb

import (
	"sort"

	"github.com/cnmkit/libnetwork/types"
)

func checkNames(tname, nid, key string) error {
	switch {
	case tname == "":
		return types.BadRequestErrorf("networkdb: empty table name")
	case nid == "":
		return types.BadRequestErrorf("networkdb: empty network id")
	case key == "":
		return types.BadRequestErrorf("networkdb: empty key")
	}
	return nil
}

// joined returns the tables of a joined network. Callers hold n.
func (n *NetworkDB) joined(nid string) (*netTables, error) {
	if n.closed {
		return nil, errClosed()
	}
	t := n.networks[nid]
	if t == nil {
		return nil, types.NotFoundErrorf("networkdb: network %q not joined", nid)
	}
	return t, nil
}

// CreateEntry creates key in table tname of network nid, owned by this
// node, and gossips it to the network's members. The key must not exist.
func (n *NetworkDB) CreateEntry(tname, nid, key string, value []byte) error {
	if err := checkNames(tname, nid, key); err != nil {
		return err
	}
	n.Lock()
	defer n.Unlock()
	t, err := n.joined(nid)
	if err != nil {
		return err
	}
	if t.get(tname, key).visible() {
		return types.ConflictErrorf("networkdb: entry %q already exists in table %q of network %q", key, tname, nid)
	}
	n.localWrite(nid, t, tname, key, clone(value), false)
	return nil
}

// UpdateEntry replaces the value of an existing key; this node becomes
// its owner.
func (n *NetworkDB) UpdateEntry(tname, nid, key string, value []byte) error {
	if err := checkNames(tname, nid, key); err != nil {
		return err
	}
	n.Lock()
	defer n.Unlock()
	t, err := n.joined(nid)
	if err != nil {
		return err
	}
	if !t.get(tname, key).visible() {
		return types.NotFoundErrorf("networkdb: no entry %q in table %q of network %q", key, tname, nid)
	}
	n.localWrite(nid, t, tname, key, clone(value), false)
	return nil
}

// DeleteEntry deletes an existing key everywhere; a tombstone stays for
// the reap interval.
func (n *NetworkDB) DeleteEntry(tname, nid, key string) error {
	if err := checkNames(tname, nid, key); err != nil {
		return err
	}
	n.Lock()
	defer n.Unlock()
	t, err := n.joined(nid)
	if err != nil {
		return err
	}
	if !t.get(tname, key).visible() {
		return types.NotFoundErrorf("networkdb: no entry %q in table %q of network %q", key, tname, nid)
	}
	n.localWrite(nid, t, tname, key, nil, true)
	return nil
}

// GetEntry returns the value of a key.
func (n *NetworkDB) GetEntry(tname, nid, key string) ([]byte, error) {
	if err := checkNames(tname, nid, key); err != nil {
		return nil, err
	}
	n.RLock()
	defer n.RUnlock()
	t, err := n.joined(nid)
	if err != nil {
		return nil, err
	}
	e := t.get(tname, key)
	if !e.visible() {
		return nil, types.NotFoundErrorf("networkdb: no entry %q in table %q of network %q", key, tname, nid)
	}
	return clone(e.value), nil
}

// GetTableByNetwork returns the visible entries of a table in a network,
// by key. It is empty for a network this node did not join.
func (n *NetworkDB) GetTableByNetwork(tname, nid string) map[string]*TableElem {
	n.RLock()
	defer n.RUnlock()
	out := map[string]*TableElem{}
	t := n.networks[nid]
	if t == nil {
		return out
	}
	for key, e := range t.tables[tname] {
		if e.visible() {
			out[key] = &TableElem{Value: clone(e.value), Owner: e.owner}
		}
	}
	return out
}

// WalkEntries calls fn for every visible entry of table tname in every
// joined network, ordered by network and key, until fn returns true. fn
// runs without locks held and may call the NetworkDB. The deleted argument
// is always false; it is kept for the libnetwork signature.
func (n *NetworkDB) WalkEntries(tname string, fn func(nid, key string, value []byte, deleted bool) bool) error {
	if tname == "" {
		return types.BadRequestErrorf("networkdb: empty table name")
	}
	if fn == nil {
		return types.BadRequestErrorf("networkdb: nil walk function")
	}
	type kv struct {
		nid, key string
		value    []byte
	}
	n.RLock()
	if n.closed {
		n.RUnlock()
		return errClosed()
	}
	var all []kv
	for nid, t := range n.networks {
		for key, e := range t.tables[tname] {
			if e.visible() {
				all = append(all, kv{nid, key, clone(e.value)})
			}
		}
	}
	n.RUnlock()
	sort.Slice(all, func(i, j int) bool {
		if all[i].nid != all[j].nid {
			return all[i].nid < all[j].nid
		}
		return all[i].key < all[j].key
	})
	for _, e := range all {
		if fn(e.nid, e.key, e.value, false) {
			break
		}
	}
	return nil
}

// WalkTable calls fn with the network, the key and the value of every
// visible entry of table tname in every joined network, ordered by network
// and key, until fn returns true. fn runs without locks held and may call
// the NetworkDB.
func (n *NetworkDB) WalkTable(tname string, fn func(string, string, []byte) bool) error {
	if fn == nil {
		return types.BadRequestErrorf("networkdb: nil walk function")
	}
	return n.WalkEntries(tname, func(nid, key string, value []byte, _ bool) bool { return fn(nid, key, value) })
}

// visibleCount returns the number of visible entries of a table.
func (n *NetworkDB) visibleCount(tname, nid string) int {
	n.RLock()
	defer n.RUnlock()
	if t := n.networks[nid]; t != nil {
		return t.visible[tname]
	}
	return 0
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
