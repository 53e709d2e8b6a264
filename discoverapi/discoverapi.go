// Package discoverapi is the contract through which the controller tells
// drivers about nodes, stores and encryption keys.
package discoverapi

// Discover is implemented by drivers that want discovery events.
type Discover interface {
	// DiscoverNew tells the driver of a new node, store or key.
	DiscoverNew(dType DiscoveryType, data interface{}) error
	// DiscoverDelete tells the driver that a node, store or key is gone.
	DiscoverDelete(dType DiscoveryType, data interface{}) error
}

// DiscoveryType says what a discovery event is about.
type DiscoveryType int

const (
	// NodeDiscovery is about a cluster node; data is NodeDiscoveryData.
	NodeDiscovery = iota + 1
	// DatastoreConfig is about a store; data is DatastoreConfigData.
	DatastoreConfig
	// EncryptionKeysConfig sets the encryption keys; data is DriverEncryptionConfig.
	EncryptionKeysConfig
	// EncryptionKeysUpdate rotates the encryption keys; data is DriverEncryptionUpdate.
	EncryptionKeysUpdate
)

// NodeDiscoveryData is the data of a NodeDiscovery event.
type NodeDiscoveryData struct {
	Address     string
	BindAddress string
	Self        bool
}

// DatastoreConfigData is the data of a DatastoreConfig event.
type DatastoreConfigData struct {
	Scope    string
	Provider string
	Address  string
	Config   interface{}
}

// DriverEncryptionConfig is the data of an EncryptionKeysConfig event.
type DriverEncryptionConfig struct {
	Keys [][]byte
	Tags []uint64
}

// DriverEncryptionUpdate is the data of an EncryptionKeysUpdate event.
type DriverEncryptionUpdate struct {
	Key        []byte
	Tag        uint64
	Primary    []byte
	PrimaryTag uint64
	Prune      []byte
	PruneTag   uint64
}
