//go:build !race

package integration

// dnetRace builds the dnet binary under test with the race detector when
// the tests run with it.
const dnetRace = false
