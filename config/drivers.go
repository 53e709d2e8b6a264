package config

import "github.com/cnmkit/libnetwork/driverapi"

// DriverInit is an in-process network driver of the embedder's: Init
// registers it, as the built-in drivers' Init functions do, with the
// controller's driver callback and the driver's configuration (what
// OptionDriverConfig gave for Type, plus the controller's keys).
type DriverInit struct {
	Type string
	Init func(dc driverapi.DriverCallback, config map[string]interface{}) error
}

// OptionDriver adds an in-process network driver, registered after the
// built-in ones and before the controller restores its networks. Its
// type must not be one of a built-in driver.
func OptionDriver(networkType string, init func(dc driverapi.DriverCallback, config map[string]interface{}) error) Option {
	return func(c *Config) {
		c.Daemon.Drivers = append(c.Daemon.Drivers, DriverInit{Type: networkType, Init: init})
	}
}
