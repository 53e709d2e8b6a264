package driverapi

import "fmt"

// ErrNoNetwork is returned when a driver does not know the network named.
type ErrNoNetwork string

// Error names the missing network.
func (enn ErrNoNetwork) Error() string {
	return fmt.Sprintf("No network (%s) exists", string(enn))
}

// NotFound marks ErrNoNetwork as a not-found error.
func (enn ErrNoNetwork) NotFound() {}

// ErrEndpointExists is returned when a driver is asked for a second endpoint
// where it allows only one.
type ErrEndpointExists string

// Error names the endpoint that already exists.
func (ee ErrEndpointExists) Error() string {
	return fmt.Sprintf("Endpoint (%s) already exists (Only one endpoint allowed)", string(ee))
}

// Forbidden marks ErrEndpointExists as a forbidden error.
func (ee ErrEndpointExists) Forbidden() {}

// ErrNotImplemented is returned by a driver for an operation it does not support.
type ErrNotImplemented struct{}

// Error says the operation is not implemented.
func (eni *ErrNotImplemented) Error() string {
	return "The API is not implemented yet"
}

// NotImplemented marks ErrNotImplemented as a not-implemented error.
func (eni *ErrNotImplemented) NotImplemented() {}

// ErrNoEndpoint is returned when a driver does not know the endpoint named.
type ErrNoEndpoint string

// Error names the missing endpoint.
func (ene ErrNoEndpoint) Error() string {
	return fmt.Sprintf("No endpoint (%s) exists", string(ene))
}

// NotFound marks ErrNoEndpoint as a not-found error.
func (ene ErrNoEndpoint) NotFound() {}

// ErrActiveRegistration is returned when a driver registers for a network
// type that already has a driver.
type ErrActiveRegistration string

// Error names the network type already registered.
func (ar ErrActiveRegistration) Error() string {
	return fmt.Sprintf("Driver already registered for type %q", string(ar))
}

// Forbidden marks ErrActiveRegistration as a forbidden error.
func (ar ErrActiveRegistration) Forbidden() {}
