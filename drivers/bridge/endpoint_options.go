package bridge

import (
	"net"

	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
)

type endpointOptions struct {
	mac      net.HardwareAddr
	bindings []types.PortBinding
	exposed  []types.TransportPort
}

// parseEndpointOptions reads netlabel.MacAddress (net.HardwareAddr or its
// string form), netlabel.PortMap ([]types.PortBinding) and
// netlabel.ExposedPorts ([]types.TransportPort).
func parseEndpointOptions(eid string, opts map[string]interface{}) (endpointOptions, error) {
	var o endpointOptions
	if v, ok := opts[netlabel.MacAddress]; ok && v != nil {
		switch m := v.(type) {
		case net.HardwareAddr:
			o.mac = types.GetMacCopy(m)
		case string:
			mac, err := net.ParseMAC(m)
			if err != nil {
				return o, types.BadRequestErrorf("bridge: endpoint %s: invalid MAC address %q", eid, m)
			}
			o.mac = mac
		default:
			return o, wrongType(netlabel.MacAddress, v, "MAC address")
		}
		if err := validMAC(o.mac); err != nil {
			return o, types.BadRequestErrorf("bridge: endpoint %s: %w", eid, err)
		}
	}
	var err error
	if o.bindings, o.exposed, err = parseConnectivity(eid, opts); err != nil {
		return o, err
	}
	return o, nil
}

// parseConnectivity reads and checks netlabel.PortMap and netlabel.ExposedPorts.
func parseConnectivity(eid string, opts map[string]interface{}) ([]types.PortBinding, []types.TransportPort, error) {
	var bindings []types.PortBinding
	var exposed []types.TransportPort
	if v, ok := opts[netlabel.PortMap]; ok && v != nil {
		pbs, ok := v.([]types.PortBinding)
		if !ok {
			return nil, nil, wrongType(netlabel.PortMap, v, "[]types.PortBinding")
		}
		for _, pb := range pbs {
			if err := validBinding(pb); err != nil {
				return nil, nil, types.BadRequestErrorf("bridge: endpoint %s: %w", eid, err)
			}
			bindings = append(bindings, pb.GetCopy())
		}
	}
	if v, ok := opts[netlabel.ExposedPorts]; ok && v != nil {
		tps, ok := v.([]types.TransportPort)
		if !ok {
			return nil, nil, wrongType(netlabel.ExposedPorts, v, "[]types.TransportPort")
		}
		for _, tp := range tps {
			if err := validProto(tp.Proto); err != nil {
				return nil, nil, types.BadRequestErrorf("bridge: endpoint %s: exposed port %s: %w", eid, tp, err)
			}
		}
		exposed = append(exposed, tps...)
	}
	return bindings, exposed, nil
}

func validProto(p types.Protocol) error {
	switch p {
	case types.TCP, types.UDP, types.SCTP:
		return nil
	}
	return types.BadRequestErrorf("unsupported protocol: %w", types.ErrInvalidProtocolBinding(p.String()))
}

// validBinding checks a requested port binding. Its errors wrap the seed's
// ErrInvalidPort, ErrInvalidAddressBinding or types.ErrInvalidProtocolBinding.
func validBinding(pb types.PortBinding) error {
	if err := validProto(pb.Proto); err != nil {
		return types.BadRequestErrorf("port binding %s: %w", pb, err)
	}
	bad := ErrInvalidPort(pb.String())
	if pb.Port == 0 {
		return types.BadRequestErrorf("port binding %s: container port 0: %w", pb, bad)
	}
	if pb.HostPortEnd != 0 && pb.HostPortEnd < pb.HostPort {
		return types.BadRequestErrorf("port binding %s: host port range %d-%d ends before it starts: %w", pb, pb.HostPort, pb.HostPortEnd, bad)
	}
	if pb.HostPortEnd != 0 && pb.HostPort == 0 {
		return types.BadRequestErrorf("port binding %s: host port range has no start: %w", pb, bad)
	}
	if pb.HostIP != nil && pb.HostIP.To4() == nil && pb.HostIP.To16() == nil {
		return types.BadRequestErrorf("port binding %s: %w", pb, ErrInvalidAddressBinding(pb.HostIP.String()))
	}
	return nil
}
