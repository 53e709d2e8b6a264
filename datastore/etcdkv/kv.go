package etcdkv

import (
	"math"
	"strings"

	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// canon is the etcd key of a libkv key: the path without leading or
// trailing slashes.
func canon(key string) string { return strings.Trim(key, "/") }

// dirPrefix is the prefix of the keys under directory d (canonical); ""
// is the whole keyspace.
func dirPrefix(d string) string {
	if d == "" {
		return ""
	}
	return d + "/"
}

// styled returns etcd key k in the style of the directory argument dir:
// with its leading and trailing slash, if it has them.
func styled(dir, k string) string {
	if strings.HasPrefix(dir, "/") {
		k = "/" + k
	}
	if canon(dir) != "" && strings.HasSuffix(dir, "/") {
		k += "/"
	}
	return k
}

func pair(key string, kv *mvccpb.KeyValue) *store.KVPair {
	return &store.KVPair{Key: key, Value: kv.Value, LastIndex: uint64(kv.ModRevision)}
}

// keyOf checks and canonicalises a single key.
func keyOf(op, key string) (string, error) {
	k := canon(key)
	if k == "" {
		return "", types.BadRequestErrorf("etcd %s: empty key %q", op, key)
	}
	return k, nil
}

// leaseOpts grants a lease for a write with a TTL.
func (s *Store) leaseOpts(op, key string, o *store.WriteOptions) ([]clientv3.OpOption, clientv3.LeaseID, error) {
	if o == nil || o.TTL <= 0 {
		return nil, 0, nil
	}
	ttl := int64(math.Ceil(o.TTL.Seconds()))
	ctx, cancel := s.call()
	defer cancel()
	l, err := s.cli.Grant(ctx, ttl)
	if err != nil {
		return nil, 0, s.fail(op+" lease", key, err)
	}
	return []clientv3.OpOption{clientv3.WithLease(l.ID)}, l.ID, nil
}

// revoke drops a lease granted for a write that did not happen.
func (s *Store) revoke(id clientv3.LeaseID) {
	if id == 0 {
		return
	}
	ctx, cancel := s.call()
	defer cancel()
	_, _ = s.cli.Revoke(ctx, id)
}

// Put writes value at key; options.TTL puts it on a lease.
func (s *Store) Put(key string, value []byte, options *store.WriteOptions) error {
	k, err := keyOf("put", key)
	if err != nil {
		return err
	}
	opts, lease, err := s.leaseOpts("put", key, options)
	if err != nil {
		return err
	}
	ctx, cancel := s.call()
	defer cancel()
	if _, err := s.cli.Put(ctx, k, string(value), opts...); err != nil {
		s.revoke(lease)
		return s.fail("put", key, err)
	}
	return nil
}

// Get returns key's pair or store.ErrKeyNotFound.
func (s *Store) Get(key string) (*store.KVPair, error) {
	k, err := keyOf("get", key)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.call()
	defer cancel()
	resp, err := s.cli.Get(ctx, k)
	if err != nil {
		return nil, s.fail("get", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, store.ErrKeyNotFound
	}
	return pair(key, resp.Kvs[0]), nil
}

// Delete removes key; a missing key is store.ErrKeyNotFound.
func (s *Store) Delete(key string) error {
	k, err := keyOf("delete", key)
	if err != nil {
		return err
	}
	ctx, cancel := s.call()
	defer cancel()
	resp, err := s.cli.Delete(ctx, k)
	if err != nil {
		return s.fail("delete", key, err)
	}
	if resp.Deleted == 0 {
		return store.ErrKeyNotFound
	}
	return nil
}

// Exists reports whether key is present.
func (s *Store) Exists(key string) (bool, error) {
	k, err := keyOf("exists", key)
	if err != nil {
		return false, err
	}
	ctx, cancel := s.call()
	defer cancel()
	resp, err := s.cli.Get(ctx, k, clientv3.WithCountOnly())
	if err != nil {
		return false, s.fail("exists", key, err)
	}
	return resp.Count > 0, nil
}

// List returns the pairs below directory, sorted by key; none is
// store.ErrKeyNotFound.
func (s *Store) List(directory string) ([]*store.KVPair, error) {
	list, _, err := s.list("list", directory)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, store.ErrKeyNotFound
	}
	return list, nil
}

// list reads the pairs below directory and the revision of the read.
func (s *Store) list(op, directory string) ([]*store.KVPair, int64, error) {
	ctx, cancel := s.call()
	defer cancel()
	resp, err := s.cli.Get(ctx, dirPrefix(canon(directory)), clientv3.WithPrefix(),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return nil, 0, s.fail(op, directory, err)
	}
	out := make([]*store.KVPair, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		out = append(out, pair(styled(directory, string(kv.Key)), kv))
	}
	return out, resp.Header.Revision, nil
}

// DeleteTree removes directory and every key below it, in one
// transaction; nothing to delete is not an error.
func (s *Store) DeleteTree(directory string) error {
	d := canon(directory)
	ops := []clientv3.Op{clientv3.OpDelete(dirPrefix(d), clientv3.WithPrefix())}
	if d != "" {
		ops = append(ops, clientv3.OpDelete(d))
	}
	ctx, cancel := s.call()
	defer cancel()
	if _, err := s.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
		return s.fail("delete tree", directory, err)
	}
	return nil
}

// revision is a libkv index as an etcd revision; indexes beyond etcd's
// range match no key.
func revision(i uint64) int64 {
	if i > math.MaxInt64 {
		return -1
	}
	return int64(i)
}

// present is the compare of an atomic call: k exists at previous's index.
func present(k string, previous *store.KVPair) []clientv3.Cmp {
	return []clientv3.Cmp{
		clientv3.Compare(clientv3.CreateRevision(k), ">", 0),
		clientv3.Compare(clientv3.ModRevision(k), "=", revision(previous.LastIndex)),
	}
}

// AtomicPut writes value if key is at previous's ModRevision (previous
// nil: if key is absent). Errors: store.ErrKeyExists, ErrKeyNotFound,
// ErrKeyModified.
func (s *Store) AtomicPut(key string, value []byte, previous *store.KVPair, options *store.WriteOptions) (bool, *store.KVPair, error) {
	k, err := keyOf("atomic put", key)
	if err != nil {
		return false, nil, err
	}
	cmps := []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(k), "=", 0)}
	if previous != nil {
		cmps = present(k, previous)
	}
	opts, lease, err := s.leaseOpts("atomic put", key, options)
	if err != nil {
		return false, nil, err
	}
	ctx, cancel := s.call()
	defer cancel()
	resp, err := s.cli.Txn(ctx).If(cmps...).Then(clientv3.OpPut(k, string(value), opts...)).Else(clientv3.OpGet(k, clientv3.WithCountOnly())).Commit()
	if err != nil {
		s.revoke(lease)
		return false, nil, s.fail("atomic put", key, err)
	}
	if !resp.Succeeded {
		s.revoke(lease)
		switch {
		case previous == nil:
			return false, nil, store.ErrKeyExists
		case resp.Responses[0].GetResponseRange().Count == 0:
			return false, nil, store.ErrKeyNotFound
		}
		return false, nil, store.ErrKeyModified
	}
	v := make([]byte, len(value))
	copy(v, value)
	return true, &store.KVPair{Key: key, Value: v, LastIndex: uint64(resp.Header.Revision)}, nil
}

// AtomicDelete removes key if it is at previous's ModRevision.
func (s *Store) AtomicDelete(key string, previous *store.KVPair) (bool, error) {
	if previous == nil {
		return false, store.ErrPreviousNotSpecified
	}
	k, err := keyOf("atomic delete", key)
	if err != nil {
		return false, err
	}
	ctx, cancel := s.call()
	defer cancel()
	resp, err := s.cli.Txn(ctx).If(present(k, previous)...).
		Then(clientv3.OpDelete(k)).Else(clientv3.OpGet(k, clientv3.WithCountOnly())).Commit()
	if err != nil {
		return false, s.fail("atomic delete", key, err)
	}
	if !resp.Succeeded {
		if resp.Responses[0].GetResponseRange().Count == 0 {
			return false, store.ErrKeyNotFound
		}
		return false, store.ErrKeyModified
	}
	return true, nil
}
