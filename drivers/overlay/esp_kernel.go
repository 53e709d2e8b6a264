package overlay

import (
	"errors"
	"fmt"
	"net"

	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

const (
	// espReqid marks every XFRM state and policy template of this driver
	// ("cnmk"): restart and shutdown cleanup remove exactly these.
	espReqid = 0x636e6d6b
	// espAEAD is the ESP transform: AES-128-GCM (RFC 4106), 16-byte ICV.
	espAEAD   = "rfc4106(gcm(aes))"
	espICVLen = 128
	// espKeyLen is the AEAD key material: 16 bytes of AES key, 4 of salt.
	espKeyLen = 20
	// espOverhead bounds what ESP adds to a VXLAN packet (8 header, 8 IV,
	// up to 3 padding, 2 trailer, 16 ICV), rounded up.
	espOverhead = 40
	// espPolicyPriority is the priority of this driver's policies.
	espPolicyPriority = 100
)

// saKey names one XFRM state: destination, SPI (the protocol is ESP).
type saKey struct {
	dst string
	spi uint32
}

// spKey names one XFRM policy: direction and the two hosts.
type spKey struct {
	dir      netlink.Dir
	src, dst string
}

func hostNet(ip net.IP) *net.IPNet {
	if v4 := ip.To4(); v4 != nil {
		return &net.IPNet{IP: v4, Mask: net.CIDRMask(32, 32)}
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(128, 128)}
}

// newSA is the transport-mode ESP state from src to dst.
func newSA(src, dst net.IP, spi uint32, key []byte) *netlink.XfrmState {
	return &netlink.XfrmState{Src: src, Dst: dst, Proto: netlink.XFRM_PROTO_ESP, Mode: netlink.XFRM_MODE_TRANSPORT,
		Spi: int(spi), Reqid: espReqid, ReplayWindow: 64,
		Aead: &netlink.XfrmStateAlgo{Name: espAEAD, Key: key, ICVLen: espICVLen}}
}

// newSP is the policy carrying UDP to port between src and dst in ESP; an
// outbound policy names the state (spi) it uses, an inbound one takes any
// state of ours.
func newSP(dir netlink.Dir, src, dst net.IP, port int, spi uint32) *netlink.XfrmPolicy {
	return &netlink.XfrmPolicy{Src: hostNet(src), Dst: hostNet(dst), Proto: netlink.Proto(unix.IPPROTO_UDP), DstPort: port,
		Dir: dir, Priority: espPolicyPriority,
		Tmpls: []netlink.XfrmPolicyTmpl{{Src: src, Dst: dst, Proto: netlink.XFRM_PROTO_ESP, Mode: netlink.XFRM_MODE_TRANSPORT,
			Spi: int(spi), Reqid: espReqid}}}
}

// ourStates lists this driver's XFRM states of the host namespace.
func ourStates(h *netlink.Handle) (map[saKey]netlink.XfrmState, error) {
	all, err := h.XfrmStateList(netlink.FAMILY_ALL)
	if err != nil {
		return nil, types.InternalErrorf("overlay: list XFRM states: %w", err)
	}
	out := map[saKey]netlink.XfrmState{}
	for _, s := range all {
		if s.Reqid == espReqid {
			out[saKey{dst: s.Dst.String(), spi: uint32(s.Spi)}] = s
		}
	}
	return out, nil
}

// ourPolicies lists this driver's XFRM policies of the host namespace.
func ourPolicies(h *netlink.Handle) (map[spKey]netlink.XfrmPolicy, error) {
	all, err := h.XfrmPolicyList(netlink.FAMILY_ALL)
	if err != nil {
		return nil, types.InternalErrorf("overlay: list XFRM policies: %w", err)
	}
	out := map[spKey]netlink.XfrmPolicy{}
	for _, p := range all {
		if len(p.Tmpls) == 1 && p.Tmpls[0].Reqid == espReqid && p.Src != nil && p.Dst != nil {
			out[spKey{dir: p.Dir, src: p.Src.IP.String(), dst: p.Dst.IP.String()}] = p
		}
	}
	return out, nil
}

// removeOurs deletes every XFRM policy and state of this driver.
func removeOurs(h *netlink.Handle) error {
	var errs []error
	sps, err := ourPolicies(h)
	if err != nil {
		return err
	}
	for _, p := range sps {
		if err := h.XfrmPolicyDel(&p); err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, err)
		}
	}
	sas, err := ourStates(h)
	if err != nil {
		return err
	}
	for _, s := range sas {
		if err := h.XfrmStateDel(&s); err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return types.InternalErrorf("overlay: remove XFRM state: %w", errors.Join(errs...))
	}
	return nil
}

// probeESP adds and removes an ESP state of ours between two documentation
// addresses: a kernel without ESP or the AEAD refuses it. The error is a
// NotImplementedError naming what is missing.
func probeESP(h *netlink.Handle) error {
	if h == nil {
		return types.NotImplementedErrorf("overlay: encryption needs the kernel's XFRM netlink interface, which this host namespace does not answer")
	}
	src, dst := net.ParseIP("192.0.2.1").To4(), net.ParseIP("192.0.2.2").To4()
	sa := newSA(src, dst, 0xff, make([]byte, espKeyLen))
	if err := h.XfrmStateAdd(sa); err != nil {
		if errors.Is(err, unix.EEXIST) {
			// A probe of an earlier run left behind: ESP works.
			_ = h.XfrmStateDel(sa)
			return nil
		}
		if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EPROTONOSUPPORT) ||
			errors.Is(err, unix.EAFNOSUPPORT) || errors.Is(err, unix.EOPNOTSUPP) {
			return types.NotImplementedErrorf("overlay: encryption needs IPsec ESP in the kernel (esp4/esp6 with the %s AEAD): adding an ESP state failed: %w", espAEAD, err)
		}
		return types.InternalErrorf("overlay: probe for IPsec ESP: %w", err)
	}
	if err := h.XfrmStateDel(sa); err != nil {
		return types.InternalErrorf("overlay: remove the ESP probe state: %w", err)
	}
	return nil
}

func saString(s *netlink.XfrmState) string {
	return fmt.Sprintf("%s→%s spi 0x%08x", s.Src, s.Dst, uint32(s.Spi))
}

// openXfrm opens the XFRM netlink handle of the host namespace and notes
// states an earlier run left (kept until the restart grace). Without XFRM
// netlink, encrypted networks are refused later.
func (d *driver) openXfrm() {
	h, err := netlink.NewHandleAt(d.hostNS, unix.NETLINK_XFRM)
	if err != nil {
		logrus.WithField("driver", networkType).WithError(err).Info("overlay: no XFRM netlink: encrypted networks are refused")
		return
	}
	d.xfrm = h
	sas, err1 := ourStates(h)
	sps, err2 := ourPolicies(h)
	if err1 == nil && err2 == nil && len(sas)+len(sps) > 0 {
		d.espTouched, d.espKeepOld = true, true
	}
}

// closeXfrm releases the XFRM handle; with teardown every state and policy
// of ours goes first.
func (d *driver) closeXfrm(teardown bool) {
	d.espMu.Lock()
	defer d.espMu.Unlock()
	if d.xfrm == nil {
		return
	}
	if teardown {
		if err := removeOurs(d.xfrm); err != nil {
			logrus.WithField("driver", networkType).WithError(err).Warn("overlay: remove the encrypted tunnels")
		}
	}
	d.xfrm.Close()
	d.xfrm = nil
}

// endKeepOld ends the restart grace of the states of an earlier run: what
// is not wanted now is removed.
func (d *driver) endKeepOld() {
	d.espMu.Lock()
	defer d.espMu.Unlock()
	if !d.espKeepOld {
		return
	}
	d.espKeepOld = false
	if err := d.syncESP(); err != nil {
		logrus.WithField("driver", networkType).WithError(err).Warn("overlay: remove the encrypted tunnels of an earlier run")
	}
}
