package datastore

// Meta is the store bookkeeping of a record: embed it for Index, SetIndex
// and Exists. The zero value is a record not read or written yet.
type Meta struct {
	index  uint64
	exists bool
}

// Index is the store index of the record's last write.
func (m *Meta) Index() uint64 { return m.index }

// SetIndex records the store index and marks the record as existing.
func (m *Meta) SetIndex(i uint64) { m.index, m.exists = i, true }

// Exists reports whether the record was read from or written to the store.
func (m *Meta) Exists() bool { return m.exists }

// LocalMeta is Meta for records of the local scope that are always written.
type LocalMeta struct{ Meta }

// DataScope is LocalScope.
func (LocalMeta) DataScope() string { return LocalScope }

// Skip is false.
func (LocalMeta) Skip() bool { return false }
