package datastore

// Key prefixes (first key component) of the controller's objects.
const (
	// NetworkKeyPrefix is the first key component of a network.
	NetworkKeyPrefix = "network"
	// EndpointKeyPrefix is the first key component of an endpoint.
	EndpointKeyPrefix = "endpoint"
)
