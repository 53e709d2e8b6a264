package portmapper

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"

	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// hostKey returns the key of the mapping published at host. No host IP
// means the default host IP (0.0.0.0 when none is set).
func (pm *PortMapper) hostKey(host net.Addr) (string, error) {
	proto, ip, port, err := splitAddr(host)
	if err != nil {
		return "", err
	}
	if len(ip) == 0 {
		ip = pm.opts.DefaultHostIP
		if ip == nil {
			ip = net.IPv4zero
		}
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	return mappingKey(proto, ip, port), nil
}

// Unmap removes the mapping published at host: its rules, its proxy (ended
// and reaped) and its host port. An unknown address is a NotFound error.
// If its rules cannot be removed the mapping stays and the error says so.
func (pm *PortMapper) Unmap(host net.Addr) error {
	key, err := pm.hostKey(host)
	if err != nil {
		return err
	}
	pm.life.RLock()
	defer pm.life.RUnlock()
	found, err := pm.unmapKeys([]string{key})
	if err != nil {
		return err
	}
	if found == 0 {
		return types.NotFoundErrorf("portmapper: %w: %s", ErrPortNotMapped, key)
	}
	return nil
}

// UnmapMany removes the mappings published at hosts as Unmap does for each,
// deleting all their rules with one transaction (nf_tables) or one
// iptables-restore call per IP family.
// Addresses with no mapping are skipped. An address of an unknown protocol
// is a BadRequest error and nothing is removed. When rules cannot be
// removed, the mappings that still have some stay (unmapping them again
// finishes the job), the others are removed, and the error names the kept.
func (pm *PortMapper) UnmapMany(hosts []net.Addr) error {
	keys := make([]string, 0, len(hosts))
	for _, h := range hosts {
		key, err := pm.hostKey(h)
		if err != nil {
			return err
		}
		keys = append(keys, key)
	}
	pm.life.RLock()
	defer pm.life.RUnlock()
	_, err := pm.unmapKeys(keys)
	return err
}

// UnmapAll removes every mapping, as UnmapMany.
func (pm *PortMapper) UnmapAll() error {
	pm.life.RLock()
	defer pm.life.RUnlock()
	return pm.unmapAll()
}

// unmapAll removes every mapping. The caller holds pm.life.
func (pm *PortMapper) unmapAll() error {
	pm.mu.Lock()
	keys := make([]string, 0, len(pm.mappings))
	for k := range pm.mappings {
		keys = append(keys, k)
	}
	pm.mu.Unlock()
	_, err := pm.unmapKeys(keys)
	return err
}

// unmapKeys removes the mappings of keys that exist and returns how many
// it found. It is the one implementation of Unmap, UnmapMany and UnmapAll.
// The caller holds pm.life.
func (pm *PortMapper) unmapKeys(keys []string) (int, error) {
	// Claim the mappings: a concurrent unmap of the same key finds nothing.
	pm.mu.Lock()
	var ms []*mapping
	for _, k := range keys {
		if m := pm.mappings[k]; m != nil {
			delete(pm.mappings, k)
			ms = append(ms, m)
		}
	}
	pm.mu.Unlock()
	if len(ms) == 0 {
		return 0, nil
	}
	var chained, own []*mapping
	for _, m := range ms {
		if m.chain != nil {
			chained = append(chained, m)
		} else {
			own = append(own, m)
		}
	}
	gone, kept, err := pm.delRulesOf(own)
	if len(chained) > 0 {
		g, k, cerr := pm.unforwardChains(chained)
		gone, kept, err = append(gone, g...), append(kept, k...), errors.Join(err, cerr)
	}
	if len(kept) > 0 {
		pm.mu.Lock()
		for _, m := range kept {
			pm.mappings[m.key()] = m
		}
		pm.mu.Unlock()
	}
	return len(ms), errors.Join(err, pm.release(gone))
}

// delPlan is the deletion batch of one IP family.
type delPlan struct {
	f       *family
	b       *ruleBatch
	ms      []*mapping
	del     [][]rule   // per mapping: the rules this batch deletes for it
	counted [][]string // per mapping: its shared rules' ids
	err     error
}

// delRulesOf deletes the rules of ms with one batch per family and returns
// the mappings whose rules are gone and those that keep some (on failure).
func (pm *PortMapper) delRulesOf(ms []*mapping) (gone, kept []*mapping, err error) {
	unlock := pm.lockCtrs(ms)
	defer unlock()

	var plans []*delPlan
	byFam := map[*family]*delPlan{}
	pm.mu.Lock()
	dropping := map[string]int{} // shared counts this batch drops
	for _, m := range ms {
		f := pm.familyOf(m.ctrIP)
		if f == nil {
			gone = append(gone, m)
			continue
		}
		p := byFam[f]
		if p == nil {
			p = &delPlan{f: f, b: f.newBatch()}
			byFam[f] = p
			plans = append(plans, p)
		}
		var del []rule
		var counted []string
		for _, r := range f.rules(m) {
			if r.shared {
				id := r.id()
				counted = append(counted, id)
				// Only the last holder deletes a shared rule.
				if dropping[id]++; pm.shared[id]-dropping[id] > 0 {
					continue
				}
			}
			del = append(del, r)
			p.b.del(r)
		}
		p.ms = append(p.ms, m)
		p.del = append(p.del, del)
		p.counted = append(p.counted, counted)
	}
	pm.mu.Unlock()

	// The families' commands are independent: run them together.
	if len(plans) == 1 {
		plans[0].err = plans[0].b.commit()
	} else {
		var wg sync.WaitGroup
		for _, p := range plans {
			wg.Go(func() { p.err = p.b.commit() })
		}
		wg.Wait()
	}

	var errs []error
	for _, p := range plans {
		var left map[string]bool
		if p.err != nil {
			left = p.f.recorded()
		}
		var keptHere []string
		pm.mu.Lock()
		for i, m := range p.ms {
			if p.err != nil && (left == nil || anyLeft(p.del[i], left)) {
				kept = append(kept, m)
				keptHere = append(keptHere, m.key())
				continue
			}
			for _, id := range p.counted[i] {
				pm.unshare(id)
			}
			gone = append(gone, m)
		}
		pm.mu.Unlock()
		if p.err != nil {
			sort.Strings(keptHere)
			// The cause is a typed iptables error; its class stays.
			errs = append(errs, fmt.Errorf("portmapper: remove the rules of %d mapping(s), kept %d [%s]: %w",
				len(p.ms), len(keptHere), strings.Join(keptHere, " "), p.err))
		}
	}
	return gone, kept, errors.Join(errs...)
}

func anyLeft(rs []rule, left map[string]bool) bool {
	for _, r := range rs {
		if left[r.id()] {
			return true
		}
	}
	return false
}

// recorded returns the ids of the rules recorded in f's chains. With
// nf_tables, whose failed batches change nothing, nil: the caller counts
// every rule of the batch as left.
func (f *family) recorded() map[string]bool {
	if f.nft != nil {
		return nil
	}
	out := map[string]bool{}
	for _, c := range f.chains() {
		for _, args := range f.ipt.Rules(c.t, c.chain) {
			out[rule{table: c.t, chain: c.chain, args: args}.id()] = true
		}
	}
	return out
}

// lockCtrs takes the container locks of ms, in key order so that batches
// sharing container ports cannot deadlock, and returns their release.
func (pm *PortMapper) lockCtrs(ms []*mapping) func() {
	seen := map[string]bool{}
	var keys []string
	for _, m := range ms {
		if k := m.ctrKey(); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	unlocks := make([]func(), 0, len(keys))
	for _, k := range keys {
		unlocks = append(unlocks, pm.lockCtr(k))
	}
	return func() {
		for i := len(unlocks) - 1; i >= 0; i-- {
			unlocks[i]()
		}
	}
}

// release lets go of what ms hold besides their rules: route_localnet
// references, proxies (ended together, reaped, the record saved once),
// held sockets and host ports.
func (pm *PortMapper) release(ms []*mapping) error {
	if len(ms) == 0 {
		return nil
	}
	pm.mu.Lock()
	for _, m := range ms {
		pm.releaseLocalnet(m.localnet)
	}
	pm.mu.Unlock()
	var wg sync.WaitGroup
	proxies := 0
	for _, m := range ms {
		if p := m.proxy; p != nil {
			proxies++
			wg.Go(p.stop)
		}
	}
	wg.Wait()
	if proxies > 0 {
		pm.saveState()
	}
	var errs []error
	for _, m := range ms {
		m.hold.close()
		if err := m.alloc.ReleasePort(m.hostIP, m.proto, m.hostPort); err != nil {
			errs = append(errs, err)
			continue
		}
		logrus.WithFields(logrus.Fields{"host": m.host}).Debug("portmapper: unmapped")
	}
	return errors.Join(errs...)
}
