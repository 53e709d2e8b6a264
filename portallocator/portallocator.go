// Package portallocator hands out host ports per protocol and host IP. A
// port held on the unspecified address (0.0.0.0 or ::) is held for every
// address of that family, and the other way round.
package portallocator

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// Fallback dynamic range, used when the kernel's cannot be read.
const (
	DefaultPortRangeStart = 49153
	DefaultPortRangeEnd   = 65535
)

// EphemeralRangeFile is the kernel's ephemeral port range.
const EphemeralRangeFile = "/proc/sys/net/ipv4/ip_local_port_range"

// Errors to test with errors.Is; the errors returned also carry a types class.
var (
	ErrUnknownProtocol   = errors.New("unknown protocol")          // BadRequest
	ErrPortOutOfRange    = errors.New("port out of range")         // BadRequest
	ErrAllPortsAllocated = errors.New("all ports are allocated")   // Forbidden
	ErrAlreadyAllocated  = errors.New("port is already allocated") // Conflict; see ErrPortAlreadyAllocated
)

// family separates IPv4 and IPv6 addresses: their wildcards do not collide.
type family int

const (
	v4 family = iota
	v6
)

// protoPorts holds the ports of one protocol and family.
type protoPorts struct {
	byIP     map[string]map[int]struct{} // specific IP -> ports
	wildcard map[int]struct{}            // ports held on the unspecified address
	specific map[int]int                 // port -> number of specific IPs holding it
	next     int                         // where the dynamic search resumes
}

func newProtoPorts(start int) *protoPorts {
	return &protoPorts{byIP: map[string]map[int]struct{}{}, wildcard: map[int]struct{}{}, specific: map[int]int{}, next: start}
}

type key struct {
	proto string
	fam   family
}

// PortAllocator hands out host ports. It is safe for concurrent use.
type PortAllocator struct {
	// Begin and End bound the dynamic range (port 0 requests). Set them
	// before the allocator is shared; later changes take effect at the
	// next dynamic request.
	Begin int
	End   int

	mu    sync.Mutex
	ports map[key]*protoPorts
}

var (
	defaultOnce sync.Once
	defaultPA   *PortAllocator
)

// Get returns the process-wide allocator, created on first use with New.
func Get() *PortAllocator {
	defaultOnce.Do(func() { defaultPA = New() })
	return defaultPA
}

// New returns an allocator whose dynamic range is the kernel's ephemeral
// range, or 49153-65535 when that cannot be read.
func New() *PortAllocator {
	begin, end, err := ReadEphemeralRange(EphemeralRangeFile)
	if err != nil {
		logrus.WithError(err).Debugf("portallocator: using dynamic range %d-%d", DefaultPortRangeStart, DefaultPortRangeEnd)
		begin, end = DefaultPortRangeStart, DefaultPortRangeEnd
	}
	pa, _ := NewWithRange(begin, end)
	return pa
}

// NewWithRange returns an allocator with the dynamic range begin-end.
func NewWithRange(begin, end int) (*PortAllocator, error) {
	if begin < 1 || end > 65535 || begin > end {
		return nil, types.BadRequestErrorf("%w: invalid dynamic range %d-%d", ErrPortOutOfRange, begin, end)
	}
	return &PortAllocator{Begin: begin, End: end, ports: map[key]*protoPorts{}}, nil
}

// ReadEphemeralRange reads a range file in the format of
// /proc/sys/net/ipv4/ip_local_port_range ("32768\t60999").
func ReadEphemeralRange(path string) (int, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, types.InternalErrorf("read port range: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0, types.InternalErrorf("port range in %s: unexpected %q", path, strings.TrimSpace(string(b)))
	}
	begin, err1 := strconv.Atoi(f[0])
	end, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || begin < 1 || end > 65535 || begin > end {
		return 0, 0, types.InternalErrorf("port range in %s: invalid %q", path, strings.TrimSpace(string(b)))
	}
	return begin, end, nil
}

// DynamicRange returns the range dynamic ports come from.
func (p *PortAllocator) DynamicRange() (int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Begin, p.End
}

// RequestPort reserves port for ip and proto ("tcp", "udp", "sctp"); a nil
// ip means 0.0.0.0. Port 0 picks a free port of the dynamic range.
func (p *PortAllocator) RequestPort(ip net.IP, proto string, port int) (int, error) {
	return p.RequestPortInRange(ip, proto, port, port)
}

// RequestPortInRange reserves the first free port of start-end for ip and
// proto; 0-0 means the dynamic range, start == end an explicit port.
func (p *PortAllocator) RequestPortInRange(ip net.IP, proto string, start, end int) (int, error) {
	k, ipKey, err := parse(ip, proto)
	if err != nil {
		return 0, err
	}
	if start < 0 || end < 0 || start > 65535 || end > 65535 || (start == 0) != (end == 0) || start > end {
		return 0, types.BadRequestErrorf("%w: %d-%d", ErrPortOutOfRange, start, end)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pp := p.ports[k]
	if pp == nil {
		pp = newProtoPorts(p.Begin)
		p.ports[k] = pp
	}
	if start != 0 && start == end {
		if pp.taken(ipKey, start) {
			return 0, newErrPortAlreadyAllocated(displayIP(ip, k.fam), start, k.proto)
		}
		pp.hold(ipKey, start)
		return start, nil
	}
	if start == 0 {
		if p.Begin < 1 || p.End > 65535 || p.Begin > p.End {
			return 0, types.BadRequestErrorf("%w: invalid dynamic range %d-%d", ErrPortOutOfRange, p.Begin, p.End)
		}
		return pp.dynamic(ipKey, p.Begin, p.End, displayIP(ip, k.fam), k.proto)
	}
	for port := start; port <= end; port++ {
		if !pp.taken(ipKey, port) {
			pp.hold(ipKey, port)
			return port, nil
		}
	}
	return 0, types.ForbiddenErrorf("%w: no free %s port in %d-%d for %s", ErrAllPortsAllocated, k.proto, start, end, displayIP(ip, k.fam))
}

// ReleasePort frees port for ip and proto. Freeing a port that is not held
// is not an error.
func (p *PortAllocator) ReleasePort(ip net.IP, proto string, port int) error {
	k, ipKey, err := parse(ip, proto)
	if err != nil {
		return err
	}
	if port < 1 || port > 65535 {
		return types.BadRequestErrorf("%w: %d", ErrPortOutOfRange, port)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pp := p.ports[k]; pp != nil {
		pp.release(ipKey, port)
	}
	return nil
}

// ReleaseAll frees every port. It always succeeds; the error is the seed's
// signature.
func (p *PortAllocator) ReleaseAll() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ports = map[key]*protoPorts{}
	return nil
}

func parse(ip net.IP, proto string) (key, string, error) {
	proto = strings.ToLower(proto)
	switch proto {
	case "tcp", "udp", "sctp":
	default:
		return key{}, "", types.BadRequestErrorf("%w %q", ErrUnknownProtocol, proto)
	}
	if ip == nil || ip.Equal(net.IPv4zero) {
		return key{proto, v4}, "", nil
	}
	if ip4 := ip.To4(); ip4 != nil {
		return key{proto, v4}, ip4.String(), nil
	}
	if len(ip) != net.IPv6len {
		return key{}, "", types.BadRequestErrorf("portallocator: invalid IP %v", ip)
	}
	if ip.IsUnspecified() {
		return key{proto, v6}, "", nil
	}
	return key{proto, v6}, ip.String(), nil
}

func displayIP(ip net.IP, f family) net.IP {
	if ip != nil {
		return ip
	}
	if f == v6 {
		return net.IPv6unspecified
	}
	return net.IPv4zero
}

// taken reports whether port is held for ipKey ("" = wildcard).
func (pp *protoPorts) taken(ipKey string, port int) bool {
	if _, ok := pp.wildcard[port]; ok {
		return true
	}
	if ipKey == "" {
		return pp.specific[port] > 0
	}
	_, ok := pp.byIP[ipKey][port]
	return ok
}

func (pp *protoPorts) hold(ipKey string, port int) {
	if ipKey == "" {
		pp.wildcard[port] = struct{}{}
		return
	}
	m := pp.byIP[ipKey]
	if m == nil {
		m = map[int]struct{}{}
		pp.byIP[ipKey] = m
	}
	m[port] = struct{}{}
	pp.specific[port]++
}

func (pp *protoPorts) release(ipKey string, port int) {
	if ipKey == "" {
		delete(pp.wildcard, port)
		return
	}
	m := pp.byIP[ipKey]
	if _, ok := m[port]; !ok {
		return
	}
	delete(m, port)
	if len(m) == 0 {
		delete(pp.byIP, ipKey)
	}
	if pp.specific[port]--; pp.specific[port] <= 0 {
		delete(pp.specific, port)
	}
}

// dynamic picks the next free port of begin-end after the last one handed
// out, so that a released port is not reused at once.
func (pp *protoPorts) dynamic(ipKey string, begin, end int, ip net.IP, proto string) (int, error) {
	if pp.next < begin || pp.next > end {
		pp.next = begin
	}
	port := pp.next
	for i := 0; i <= end-begin; i++ {
		if !pp.taken(ipKey, port) {
			pp.hold(ipKey, port)
			pp.next = port + 1
			return port, nil
		}
		if port++; port > end {
			port = begin
		}
	}
	return 0, types.ForbiddenErrorf("%w: no free %s port in %d-%d for %s", ErrAllPortsAllocated, proto, begin, end, ip)
}
