// Package etcdkv is a libkv backend (store.Store) on the etcd v3 API,
// registered with libkv under the provider name "etcd" (Register; the
// datastore package registers it), so that a global scope configured with
// config.OptionKVProvider("etcd") and
// config.OptionKVProviderURL("h1:2379,h2:2379") is kept in etcd.
//
// # Keys
//
// libkv keys are "/"-separated paths. Leading and trailing slashes are not
// significant: "/a/b/", "a/b" and "a/b/" name the etcd key "a/b". A
// directory is the keys under "dir/": List and WatchTree return every key
// below it (not dir itself), sorted; DeleteTree removes dir and everything
// below it. Pairs of a List or WatchTree carry their keys in the style of
// the directory argument (with its leading and trailing slash, if any), so
// that callers who write "a/b/" read back "a/b/". List of a directory with
// no keys is store.ErrKeyNotFound, as is Get or Delete of a missing key.
//
// # Indexes
//
// KVPair.LastIndex is the key's etcd ModRevision. AtomicPut with a nil
// previous creates the key only if it is absent (else store.ErrKeyExists);
// with a previous it writes only if the key's ModRevision is still
// previous.LastIndex (else store.ErrKeyModified, or store.ErrKeyNotFound
// if the key is gone). AtomicDelete is the same compare on delete. Each is
// one etcd transaction. WriteOptions.TTL puts the key on a lease of that
// many seconds (rounded up).
//
// # Watches
//
// Watch and WatchTree read the current state first (so a store that is
// down fails the call) and send it: Watch the key's value if it exists,
// WatchTree the directory's list, possibly empty. Then Watch sends every
// new value (deletion is not reported) and WatchTree the whole list after
// every change, both from the revision after the one read, so nothing is
// missed. When the etcd connection breaks the client reconnects and the
// watch resumes at the last seen revision + 1. If those revisions were
// compacted meanwhile (ErrCompacted), the state is read again and sent if
// it differs, and the watch resumes from that read's revision: a watcher
// may skip intermediate values but always ends with the final state, and
// never sees a value older than one it saw. The channel closes when stopCh
// closes or the Store is closed.
//
// # Locks
//
// NewLock is a mutex of the etcd client's concurrency package on a lease
// of LockOptions.TTL (DefaultLockTTL if zero; etcd raises very short TTLs
// to its minimum), kept alive while held. While held, the key itself holds
// LockOptions.Value; the mutex's waiters queue under "key/". Lock blocks
// until held (store.ErrCannotLock when stopChan closes first) and returns a
// channel closed when the lock is lost or no longer kept alive: its lease
// ended, RenewLock closed (the lease then lapses after its TTL) or the
// Store closed. Unlock revokes the lease. A
// holder that dies or is cut off loses the lock when its lease expires,
// TTL after its last keep-alive.
//
// # Endpoints, TLS and time limits
//
// Addresses are host[:port] (port 2379 by default) or http://, https:// or
// etcd:// URLs, several in one list or comma-separated. store.Config.TLS
// and ClientTLS (CA, cert and key files) turn on TLS; Username and Password
// turn on etcd authentication. A bad address or unreadable TLS file is a
// types.BadRequestError naming it. New does not wait for etcd: the client
// connects in the background and reconnects by itself. Every call is
// bounded by store.Config.ConnectionTimeout (DefaultTimeout if zero); a
// call that etcd does not answer in time is a types.TimeoutError, one it
// cannot be reached for a types.NoServiceError; both name the endpoints
// and wrap store.ErrNotReachable.
package etcdkv
