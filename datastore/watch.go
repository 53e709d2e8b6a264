package datastore

import (
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
	"github.com/sirupsen/logrus"
)

// Watch sends o's states (made with o.New) as the backend reports them:
// typically the current state first, then each change. The channel closes
// when stopCh closes or when the backend ends the watch (for example when
// the store is closed or its connection is lost); the caller may then
// watch again. Deletion is not reported. Only a watchable (global) store
// supports Watch; others return a types.NotImplementedError.
func (d *datastore) Watch(o KVObject, stopCh <-chan struct{}) (<-chan KVObject, error) {
	if o == nil {
		return nil, types.BadRequestErrorf("datastore watch: nil object")
	}
	key := Key(o.Key()...)
	if !d.watchable {
		return nil, types.NotImplementedErrorf("datastore watch %s: %s store %s does not support watch", key, d.scope, d.provider)
	}
	inner := make(chan struct{})
	src, err := bounded(d, "watch", key, func() (<-chan *store.KVPair, error) { return d.store.Watch(key, inner) })
	if err != nil {
		close(inner) // frees a backend watch that starts after the bound
		return nil, err
	}
	out := make(chan KVObject)
	go d.forward(key, o, src, out, inner, stopCh)
	return out, nil
}

// forward turns the backend's pairs into objects until stopCh closes or
// src ends.
func (d *datastore) forward(key string, kind KVObject, src <-chan *store.KVPair, out chan<- KVObject, inner chan struct{}, stopCh <-chan struct{}) {
	defer close(out)
	defer close(inner)
	log := logrus.WithFields(logrus.Fields{"scope": d.scope, "key": key})
	for {
		select {
		case <-stopCh:
			return
		case p, ok := <-src:
			if !ok || p == nil {
				log.Debug("datastore watch ended by the backend")
				return
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
				return
			}
		}
	}
}
