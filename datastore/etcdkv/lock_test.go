package etcdkv

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/libkv/store"
)

// TestLockMutualExclusion: two clients take the same lock in turns; never
// both inside, and the key holds the holder's value.
func TestLockMutualExclusion(t *testing.T) {
	e, a := server(t)
	b := open(t, e.ClientAddr, nil)
	var inside, entries atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i, c := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			val := []byte{'A' + byte(i)}
			for r := 0; r < 10; r++ {
				l, err := c.NewLock("locks/m", &store.LockOptions{Value: val, TTL: 5 * time.Second})
				if err != nil {
					errs <- err
					return
				}
				if _, err := l.Lock(nil); err != nil {
					errs <- err
					return
				}
				if n := inside.Add(1); n != 1 {
					errs <- errors.New("two holders at once")
				}
				entries.Add(1)
				if p, err := c.Get("locks/m"); err != nil || string(p.Value) != string(val) {
					errs <- errors.New("lock key does not hold the holder's value")
				}
				inside.Add(-1)
				if err := l.Unlock(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if entries.Load() != 20 {
		t.Fatalf("%d critical sections, want 20", entries.Load())
	}
	if ok, _ := a.Exists("locks/m"); ok {
		t.Fatal("lock key left after the last Unlock")
	}
}

// TestLockHolderDies: the holder's client closes without unlocking; the
// waiter gets the lock once the lease expires, and the holder's lost
// channel closes.
func TestLockHolderDies(t *testing.T) {
	e, a := server(t)
	b := open(t, e.ClientAddr, nil)
	const ttl = 2 * time.Second
	la, _ := a.NewLock("locks/d", &store.LockOptions{TTL: ttl})
	lost, err := la.Lock(nil)
	if err != nil {
		t.Fatal(err)
	}
	// While a holds it, b's Lock waits; a stop ends the wait.
	lb, _ := b.NewLock("locks/d", &store.LockOptions{TTL: ttl})
	stop := make(chan struct{})
	res := make(chan error, 1)
	go func() { _, err := lb.Lock(stop); res <- err }()
	close(stop)
	if err := <-res; !errors.Is(err, store.ErrCannotLock) {
		t.Fatalf("stopped Lock: %v, want ErrCannotLock", err)
	}

	lb2, _ := b.NewLock("locks/d", &store.LockOptions{TTL: ttl})
	got := make(chan time.Time, 1)
	go func() {
		if _, err := lb2.Lock(nil); err != nil {
			t.Error(err)
		}
		got <- time.Now()
	}()
	died := time.Now()
	a.Close() // no Unlock, no revoke: the lease must expire
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("holder's lost channel not closed after its client closed")
	}
	select {
	case at := <-got:
		if d := at.Sub(died); d < ttl/2 {
			t.Fatalf("waiter got the lock %v after the holder died, before the %v TTL could pass", d, ttl)
		}
		t.Logf("waiter got the lock %v after the holder's client closed (TTL %v)", at.Sub(died), ttl)
	case <-time.After(ttl + 10*time.Second):
		t.Fatal("waiter did not get the lock after the holder's lease expired")
	}
	if err := lb2.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := lb2.Unlock(); !errors.Is(err, store.ErrCannotLock) {
		t.Fatalf("second Unlock: %v, want ErrCannotLock", err)
	}
}

// TestLockRenewStop: closing RenewLock stops the keep-alive: the holder
// is told at once, and another client gets the lock when the lease runs
// out.
func TestLockRenewStop(t *testing.T) {
	e, s := server(t)
	other := open(t, e.ClientAddr, nil)
	renew := make(chan struct{})
	l, _ := s.NewLock("locks/r", &store.LockOptions{TTL: 2 * time.Second, RenewLock: renew})
	lost, err := l.Lock(nil)
	if err != nil {
		t.Fatal(err)
	}
	close(renew)
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("lost channel not closed after RenewLock closed")
	}
	lo, _ := other.NewLock("locks/r", nil)
	done := make(chan error, 1)
	go func() { _, err := lo.Lock(nil); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("lock not free after RenewLock closed and the TTL passed")
	}
	if err := lo.Unlock(); err != nil {
		t.Fatal(err)
	}
}
