package ipam

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/sirupsen/logrus"

	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/types"
)

// PoolFilter vetoes a candidate pool of the automatic choice in the
// LocalDefault address space: a non-nil error refuses the pool, and the
// choice goes on with the next candidate.
type PoolFilter func(pool *net.IPNet) error

// HostPoolFilter refuses a pool that overlaps a route or a link address of
// the calling thread's network namespace or holds a nameserver of
// /etc/resolv.conf (netutils.CheckAvailableNetworkAt); NewAllocator's
// allocators use it.
func HostPoolFilter(pool *net.IPNet) error {
	return netutils.CheckAvailableNetworkAt(nil, "", pool)
}

// SetPoolFilter makes f (nil: none) the filter of the automatic pool choice
// in LocalDefault. It is never asked about an explicitly requested pool, nor
// about a pool of GlobalDefault or of another address space.
func (a *Allocator) SetPoolFilter(f PoolFilter) {
	a.Lock()
	a.filter = f
	a.Unlock()
}

// errCheckPool stops a choice whose candidate the filter has not judged.
var errCheckPool = errors.New("candidate pool not checked")

// choosePool reserves the first predefined pool of the family (v4) of
// addressSpace that overlaps no pool in use and that the filter accepts.
// The filter runs without a.Mutex, so a slow host check never delays the
// address requests of other pools; its verdicts hold for this request.
func (a *Allocator) choosePool(addressSpace string, v4 bool, fam string) (*poolEntry, error) {
	refused := map[netip.Prefix]bool{}
	accepted := map[netip.Prefix]bool{}
	for {
		e, cand, filter, err := a.tryChoose(addressSpace, v4, fam, refused, accepted)
		if err != nil || e != nil {
			return e, err
		}
		if ferr := filter(toIPNet(cand.Addr(), cand.Bits())); ferr != nil {
			refused[cand] = true
			logrus.WithFields(logrus.Fields{"pool": cand.String(), "space": addressSpace}).WithError(ferr).Debug("ipam: predefined pool refused by the pool filter")
			continue
		}
		accepted[cand] = true
	}
}

// tryChoose reserves the first candidate not refused, or returns it with
// the filter when the filter has still to judge it.
func (a *Allocator) tryChoose(addressSpace string, v4 bool, fam string, refused, accepted map[netip.Prefix]bool) (*poolEntry, netip.Prefix, PoolFilter, error) {
	a.Lock()
	defer a.Unlock()
	s, err := a.space(addressSpace)
	if err != nil {
		return nil, netip.Prefix{}, nil, err
	}
	filter := a.filter
	if addressSpace != LocalDefaultAddressSpace {
		filter = nil
	}
	var e *poolEntry
	var cand netip.Prefix
	err = a.update(s, func() (func(), error) {
		p, ok := s.choose(v4, refused)
		if !ok {
			return nil, noFreePool(fam, addressSpace, len(refused))
		}
		if filter != nil && !accepted[p] {
			cand = p
			return nil, errCheckPool
		}
		var undo func()
		var err error
		e, undo, err = a.reserve(s, p, netip.Prefix{})
		return undo, err
	})
	if errors.Is(err, errCheckPool) {
		return nil, cand, filter, nil
	}
	return e, netip.Prefix{}, nil, err
}

// noFreePool is the error of an automatic pool request that no predefined
// pool can serve. It is Forbidden, not the sentinel's NoService: asking
// again does not help until a pool is freed or one is requested by subnet.
func noFreePool(fam, addressSpace string, refused int) error {
	why := ""
	if refused > 0 {
		why = fmt.Sprintf(" (%d refused by the pool filter)", refused)
	}
	return types.ForbiddenErrorf("no free predefined %s pool in address space %s%s: request a subnet explicitly: %w",
		fam, addressSpace, why, ipamapi.ErrNoAvailablePool)
}
