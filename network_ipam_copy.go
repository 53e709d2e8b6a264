package libnetwork

import (
	"encoding/json"

	"github.com/cnmkit/libnetwork/types"
)

// CopyTo deep-copies c into dstC.
func (c *IpamConf) CopyTo(dstC *IpamConf) error {
	if dstC == nil {
		return types.BadRequestErrorf("copy IPAM configuration: nil destination")
	}
	*dstC = *copyIpamConfs([]*IpamConf{c})[0]
	return nil
}

// CopyTo deep-copies i into dstI.
func (i *IpamInfo) CopyTo(dstI *IpamInfo) error {
	if dstI == nil {
		return types.BadRequestErrorf("copy IPAM info: nil destination")
	}
	*dstI = *copyIpamInfo(i)
	return nil
}

// ipamInfoJSON is IpamInfo's JSON form: the pool ID, its meta data and the
// IPAM data (driverapi.IPAMData's own JSON).
type ipamInfoJSON struct {
	PoolID   string
	Meta     map[string]string `json:",omitempty"`
	IPAMData json.RawMessage
}

// MarshalJSON encodes the pool ID and meta data with the IPAM data.
func (i *IpamInfo) MarshalJSON() ([]byte, error) {
	d, err := json.Marshal(&i.IPAMData)
	if err != nil {
		return nil, err
	}
	return json.Marshal(ipamInfoJSON{PoolID: i.PoolID, Meta: i.Meta, IPAMData: d})
}

// UnmarshalJSON decodes what MarshalJSON encodes (the IPAM data may also be
// a JSON string holding it, as libnetwork wrote it).
func (i *IpamInfo) UnmarshalJSON(data []byte) error {
	var v ipamInfoJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return types.BadRequestErrorf("decode IPAM info %s: %w", data, err)
	}
	d := []byte(v.IPAMData)
	var s string
	if json.Unmarshal(d, &s) == nil {
		d = []byte(s)
	}
	var out IpamInfo
	if len(d) > 0 && string(d) != "null" {
		if err := out.IPAMData.UnmarshalJSON(d); err != nil {
			return types.BadRequestErrorf("decode IPAM data of pool %s: %w", v.PoolID, err)
		}
	}
	out.PoolID, out.Meta = v.PoolID, v.Meta
	*i = out
	return nil
}
