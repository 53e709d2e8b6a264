package overlay

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"sort"

	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// espKey is one cluster key.
type espKey struct {
	secret []byte
	tag    [4]byte // the first bytes of its SHA-256: names it in SPIs, logs and errors
}

func newESPKey(k []byte) espKey {
	sum := sha256.Sum256(k)
	e := espKey{secret: append([]byte(nil), k...)}
	copy(e.tag[:], sum[:4])
	return e
}

func (k espKey) name() string { return hex.EncodeToString(k.tag[:]) }

// keyName names a key given as bytes (never its material).
func keyName(k []byte) string { return newESPKey(k).name() }

// spi is the SPI of the state from src to dst under key k: the same on
// both hosts, distinct per direction and key, outside the reserved 0-255.
func (k espKey) spi(src, dst net.IP) uint32 {
	h := sha256.New()
	h.Write([]byte("cnmkit-overlay-spi"))
	h.Write(k.tag[:])
	h.Write(src.To16())
	h.Write(dst.To16())
	v := binary.BigEndian.Uint32(h.Sum(nil))
	if v < 0x100 {
		v += 0x100
	}
	return v
}

// material is the AEAD key of the state from src to dst under key k
// (HKDF-SHA256 of the cluster key, bound to the direction).
func (k espKey) material(src, dst net.IP) []byte {
	info := append(append([]byte("cnmkit-overlay-esp "), src.To16()...), dst.To16()...)
	out, err := hkdf.Key(sha256.New, k.secret, []byte("cnmkit-overlay-esp-v1"), string(info), espKeyLen)
	if err != nil {
		panic(err) // only for lengths HKDF cannot produce
	}
	return out
}

// espConfig is what the XFRM state of this host should be.
type espConfig struct {
	keys    []espKey
	primary int
}

func (c espConfig) clone() espConfig {
	return espConfig{keys: append([]espKey(nil), c.keys...), primary: c.primary}
}

func (c espConfig) find(k []byte) int {
	for i, x := range c.keys {
		if bytes.Equal(x.secret, k) {
			return i
		}
	}
	return -1
}

// encryptedPeers returns the tunnel addresses of the remote hosts that
// share a built encrypted network with this host. The caller holds d.espMu
// and no network lock.
func (d *driver) encryptedPeers() map[string]net.IP {
	d.mu.Lock()
	nets := make([]*network, 0, len(d.networks))
	for _, n := range d.networks {
		if n.encrypted {
			nets = append(nets, n)
		}
	}
	d.mu.Unlock()
	peers := map[string]net.IP{}
	for _, n := range nets {
		n.mu.Lock()
		if n.ons != nil && !n.deleted {
			for _, p := range n.peers.peers {
				ip := normIP(p.rec.TunnelIP)
				peers[ip.String()] = ip
			}
		}
		n.mu.Unlock()
	}
	return peers
}

// syncESP brings this host's XFRM states and policies to what the keys and
// the peers of its encrypted networks call for: states for every key in
// both directions with every peer, and per peer an outbound policy using
// the primary key's state and an inbound one. Receive states come first,
// then send states, then the policies (the switch to a new key), and what
// is no longer wanted goes last, so a change never leaves a policy
// without its state. The caller holds d.espMu and no network lock.
func (d *driver) syncESP() error {
	if d.xfrm == nil {
		return nil
	}
	tun := d.tunnelAddrs()
	var peers map[string]net.IP
	if tun != nil && len(d.esp.keys) > 0 {
		peers = d.encryptedPeers()
	}
	if len(peers) == 0 && !d.espTouched {
		return nil
	}
	haveSA, err := ourStates(d.xfrm)
	if err != nil {
		return err
	}
	haveSP, err := ourPolicies(d.xfrm)
	if err != nil {
		return err
	}
	wantSA := map[saKey]*netlink.XfrmState{}
	wantSP := map[spKey]*netlink.XfrmPolicy{}
	var inSA, outSA []saKey
	names := make([]string, 0, len(peers))
	for name := range peers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		peer, local := peers[name], normIP(tun.local)
		if (peer.To4() == nil) != (local.To4() == nil) {
			continue
		}
		for _, k := range d.esp.keys {
			in := newSA(peer, local, k.spi(peer, local), k.material(peer, local))
			out := newSA(local, peer, k.spi(local, peer), k.material(local, peer))
			ik, ok := saKey{dst: local.String(), spi: uint32(in.Spi)}, saKey{dst: peer.String(), spi: uint32(out.Spi)}
			wantSA[ik], wantSA[ok] = in, out
			inSA, outSA = append(inSA, ik), append(outSA, ok)
		}
		pk := d.esp.keys[d.esp.primary]
		wantSP[spKey{netlink.XFRM_DIR_OUT, local.String(), peer.String()}] = newSP(netlink.XFRM_DIR_OUT, local, peer, d.espPort, pk.spi(local, peer))
		wantSP[spKey{netlink.XFRM_DIR_IN, peer.String(), local.String()}] = newSP(netlink.XFRM_DIR_IN, peer, local, d.espPort, 0)
	}
	var errs []error
	for _, k := range append(inSA, outSA...) {
		if _, ok := haveSA[k]; ok {
			continue
		}
		d.espTouched = true
		if err := d.xfrm.XfrmStateAdd(wantSA[k]); err != nil {
			errs = append(errs, types.InternalErrorf("overlay: add ESP state %s: %w", saString(wantSA[k]), err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for k, p := range wantSP {
		if h, ok := haveSP[k]; ok && h.Tmpls[0].Spi == p.Tmpls[0].Spi && h.DstPort == p.DstPort {
			continue
		}
		d.espTouched = true
		if err := d.xfrm.XfrmPolicyUpdate(p); err != nil {
			errs = append(errs, types.InternalErrorf("overlay: set XFRM policy %s %s→%s: %w", p.Dir, p.Src, p.Dst, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if d.espKeepOld {
		return nil
	}
	for k, p := range haveSP {
		if _, ok := wantSP[k]; ok {
			continue
		}
		if err := d.xfrm.XfrmPolicyDel(&p); err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, types.InternalErrorf("overlay: delete XFRM policy %s %s→%s: %w", p.Dir, p.Src, p.Dst, err))
		}
	}
	for k, s := range haveSA {
		if _, ok := wantSA[k]; ok {
			continue
		}
		if err := d.xfrm.XfrmStateDel(&s); err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, types.InternalErrorf("overlay: delete ESP state %s: %w", saString(&s), err))
		}
	}
	if len(wantSA) == 0 && len(errs) == 0 {
		d.espTouched = false
	}
	return errors.Join(errs...)
}

// resyncESP runs syncESP, logging a failure (callers whose own work is
// done and must not fail for it).
func (d *driver) resyncESP(nid string) {
	d.espMu.Lock()
	defer d.espMu.Unlock()
	if err := d.syncESP(); err != nil {
		logFor(nid).WithError(err).Warn("overlay: program the encrypted tunnels")
	}
}

// inUseByPeer returns a peer that sent with key k since this host made its
// current primary key primary, and with no other key since: removing k
// would drop its traffic. The caller holds d.espMu.
func (d *driver) inUseByPeer(k espKey) (net.IP, error) {
	tun := d.tunnelAddrs()
	if tun == nil || d.xfrm == nil {
		return nil, nil
	}
	have, err := ourStates(d.xfrm)
	if err != nil {
		return nil, err
	}
	local := normIP(tun.local)
	for _, peer := range d.encryptedPeers() {
		sent := func(x espKey) bool {
			key := saKey{dst: local.String(), spi: x.spi(peer, local)}
			s, ok := have[key]
			return ok && s.Statistics.Packets > d.espSeen[key]
		}
		if !sent(k) {
			continue
		}
		other := false
		for _, x := range d.esp.keys {
			if x.tag != k.tag && sent(x) {
				other = true
			}
		}
		if !other {
			return peer, nil
		}
	}
	return nil, nil
}

// markSeen records the receive counters of every state of ours: inUseByPeer
// looks at what peers send after this point.
func (d *driver) markSeen() {
	d.espSeen = map[saKey]uint64{}
	if d.xfrm == nil {
		return
	}
	have, err := ourStates(d.xfrm)
	if err != nil {
		return
	}
	for k, s := range have {
		d.espSeen[k] = s.Statistics.Packets
	}
}

// setESPConfig installs cfg and programs the kernel after it; on failure
// the previous configuration is programmed again. The caller holds d.espMu.
func (d *driver) setESPConfig(cfg espConfig) error {
	old := d.esp
	d.esp = cfg
	if err := d.syncESP(); err != nil {
		d.esp = old
		if rerr := d.syncESP(); rerr != nil {
			logrus.WithField("driver", networkType).WithError(rerr).Warn("overlay: restore the previous encryption keys")
		}
		return err
	}
	return nil
}
