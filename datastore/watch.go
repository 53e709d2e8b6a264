package datastore

import (
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
	"github.com/sirupsen/logrus"
)

// Watch sends o's states (made with o.New) as the backend reports them:
// typically the current state first, then each change. Deletion is not
// reported. When the backend ends the watch (its connection is lost) the
// store is marked inactive and the watch waits for RestartWatch, then
// watches the key again on the same channel. The channel closes when
// stopCh closes or the store is closed. Only a watchable (global) store
// supports Watch; others return ErrNotImplmented.
func (d *datastore) Watch(o KVObject, stopCh <-chan struct{}) (<-chan KVObject, error) {
	if o == nil {
		return nil, types.BadRequestErrorf("datastore watch: nil object")
	}
	key := Key(o.Key()...)
	if !d.watchable {
		return nil, types.NotImplementedErrorf("datastore watch %s: %s store %s does not support watch: %w", key, d.scope, d.provider, ErrNotImplmented)
	}
	inner, src, err := d.watchKey(key)
	if err != nil {
		return nil, err
	}
	out := make(chan KVObject)
	go d.forward(key, o, src, inner, out, stopCh)
	return out, nil
}

// watchKey starts one backend watch of key; closing inner ends it.
func (d *datastore) watchKey(key string) (chan struct{}, <-chan *store.KVPair, error) {
	inner := make(chan struct{})
	src, err := bounded(d, "watch", key, func() (<-chan *store.KVPair, error) { return d.store.Watch(key, inner) })
	if err != nil {
		close(inner) // frees a backend watch that starts after the bound
		return nil, nil, err
	}
	return inner, src, nil
}

// RestartWatch marks the store active and re-arms the watches that the
// backend ended.
func (d *datastore) RestartWatch() {
	d.wmx.Lock()
	defer d.wmx.Unlock()
	d.unreachable.Store(false)
	close(d.restart)
	d.restart = make(chan struct{})
}

// restartCh is the channel the next RestartWatch closes.
func (d *datastore) restartCh() <-chan struct{} {
	d.wmx.Lock()
	defer d.wmx.Unlock()
	return d.restart
}

// forward turns the backend's pairs into objects until stopCh closes or
// the store is closed, re-watching after RestartWatch when the backend
// ends the watch.
func (d *datastore) forward(key string, kind KVObject, src <-chan *store.KVPair, inner chan struct{}, out chan<- KVObject, stopCh <-chan struct{}) {
	defer close(out)
	log := logrus.WithFields(logrus.Fields{"scope": d.scope, "key": key})
	for {
		restart := d.restartCh()
		if !d.pump(log, kind, src, out, stopCh) {
			close(inner)
			return
		}
		close(inner)
		if d.closed.Load() {
			return
		}
		d.unreachable.Store(true)
		log.Debug("datastore watch ended by the backend; waiting for RestartWatch")
		for {
			select {
			case <-stopCh:
				return
			case <-d.done:
				return
			case <-restart:
			}
			var err error
			inner, src, err = d.watchKey(key)
			if err == nil {
				break
			}
			log.WithError(err).Warn("datastore watch could not be restarted")
			restart = d.restartCh()
		}
	}
}

// pump forwards src to out. It returns false when stopCh closes, true
// when the backend ends src.
func (d *datastore) pump(log *logrus.Entry, kind KVObject, src <-chan *store.KVPair, out chan<- KVObject, stopCh <-chan struct{}) bool {
	for {
		select {
		case <-stopCh:
			return false
		case p, ok := <-src:
			if !ok || p == nil {
				return true
			}
			o := kind.New()
			if err := o.SetValue(p.Value); err != nil {
				log.WithError(err).Warn("datastore watch: undecodable value skipped")
				continue
			}
			o.SetIndex(p.LastIndex)
			select {
			case out <- o:
			case <-stopCh:
				return false
			}
		}
	}
}
