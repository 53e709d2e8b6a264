package ipam

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"

	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/types"
)

// SubnetKey names a pool: its address space, its subnet and, for a pool
// restricted to a sub-pool, the sub-pool. Its string form is the pool ID.
type SubnetKey struct {
	AddressSpace string
	Subnet       string
	ChildSubnet  string
}

// AddressRange is the part of a pool dynamic addresses come from: a
// sub-pool and the offsets of its first and last address in the pool.
type AddressRange struct {
	Sub        *net.IPNet
	Start, End uint64
}

// PoolData is a pool in use as kept in the datastore: a pool (no parent,
// RefCount the pool IDs on it) or a pool ID restricted to a sub-pool
// (ParentKey its pool, Range its sub-pool).
type PoolData struct {
	ParentKey SubnetKey
	Pool      *net.IPNet
	Range     *AddressRange `json:",omitempty"`
	RefCount  int
}

// String returns "AddressSpace/Subnet" or "AddressSpace/Subnet/ChildSubnet".
func (s *SubnetKey) String() string {
	k := s.AddressSpace + "/" + s.Subnet
	if s.ChildSubnet != "" {
		k += "/" + s.ChildSubnet
	}
	return k
}

// FromString parses the form String returns. Anything else is a
// BadRequestError naming str, and leaves s unchanged.
func (s *SubnetKey) FromString(str string) error {
	parts := strings.Split(str, "/")
	if !wellFormedID(str) {
		return types.BadRequestErrorf("invalid subnet key %q: want AddressSpace/Subnet or AddressSpace/Subnet/ChildSubnet: %w", str, ipamapi.ErrInvalidRequest)
	}
	k := SubnetKey{AddressSpace: parts[0], Subnet: parts[1] + "/" + parts[2]}
	if len(parts) == 5 {
		k.ChildSubnet = parts[3] + "/" + parts[4]
	}
	*s = k
	return nil
}

// String describes the range.
func (r *AddressRange) String() string {
	return fmt.Sprintf("Sub: %v, range [%d, %d]", r.Sub, r.Start, r.End)
}

type jsonRange struct {
	Sub        string
	Start, End uint64
}

// MarshalJSON returns the range with its sub-pool as a CIDR string.
func (r *AddressRange) MarshalJSON() ([]byte, error) {
	j := jsonRange{Start: r.Start, End: r.End}
	if r.Sub != nil {
		j.Sub = r.Sub.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON restores the form MarshalJSON returns; on error r is unchanged.
func (r *AddressRange) UnmarshalJSON(data []byte) error {
	var j jsonRange
	if err := json.Unmarshal(data, &j); err != nil {
		return types.BadRequestErrorf("invalid address range %s: %w", data, err)
	}
	sub, err := parseCIDRField("address range sub-pool", j.Sub)
	if err != nil {
		return err
	}
	*r = AddressRange{Sub: sub, Start: j.Start, End: j.End}
	return nil
}

// String describes the pool data.
func (p *PoolData) String() string {
	return fmt.Sprintf("ParentKey: %s, Pool: %v, Range: %v, RefCount: %d", p.ParentKey.String(), p.Pool, p.Range, p.RefCount)
}

type jsonPool struct {
	ParentKey SubnetKey
	Pool      string        `json:",omitempty"`
	Range     *AddressRange `json:",omitempty"`
	RefCount  int
}

// MarshalJSON returns the pool data with its pool as a CIDR string.
func (p *PoolData) MarshalJSON() ([]byte, error) {
	j := jsonPool{ParentKey: p.ParentKey, Range: p.Range, RefCount: p.RefCount}
	if p.Pool != nil {
		j.Pool = p.Pool.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON restores the form MarshalJSON returns; on error p is unchanged.
func (p *PoolData) UnmarshalJSON(data []byte) error {
	var j jsonPool
	if err := json.Unmarshal(data, &j); err != nil {
		return types.BadRequestErrorf("invalid pool data %s: %w", data, err)
	}
	pool, err := parseCIDRField("pool", j.Pool)
	if err != nil {
		return err
	}
	*p = PoolData{ParentKey: j.ParentKey, Pool: pool, Range: j.Range, RefCount: j.RefCount}
	return nil
}

// CopyTo copies p into dstP, sharing no memory with p.
func (p *PoolData) CopyTo(dstP *PoolData) error {
	if dstP == nil {
		return types.BadRequestErrorf("copy of pool data %s into nil", p)
	}
	out := PoolData{ParentKey: p.ParentKey, Pool: types.GetIPNetCopy(p.Pool), RefCount: p.RefCount}
	if p.Range != nil {
		out.Range = &AddressRange{Sub: types.GetIPNetCopy(p.Range.Sub), Start: p.Range.Start, End: p.Range.End}
	}
	*dstP = out
	return nil
}

// parseCIDRField parses an optional CIDR of a stored value.
func parseCIDRField(what, s string) (*net.IPNet, error) {
	if s == "" {
		return nil, nil
	}
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, types.BadRequestErrorf("invalid %s %q: %w", what, s, err)
	}
	return n, nil
}
