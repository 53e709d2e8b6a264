package types

// QosPolicy is an endpoint's quality-of-service limits.
type QosPolicy struct {
	// MaxEgressBandwidth caps outgoing traffic, in bytes per second (0: none).
	MaxEgressBandwidth uint64
}

// UUID is a universally unique identifier in its string form.
type UUID string
