package testutils

import "github.com/cnmkit/libnetwork/driverapi"

// Registered is a driverapi.DriverCallback that records what a driver's
// Init registered.
type Registered struct {
	Name   string
	Driver driverapi.Driver
	Cap    driverapi.Capability
}

// RegisterDriver records the registration.
func (r *Registered) RegisterDriver(name string, d driverapi.Driver, c driverapi.Capability) error {
	r.Name, r.Driver, r.Cap = name, d, c
	return nil
}
