package datastore_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
)

// Writers holding the same version race; exactly one wins each round.
func TestConcurrentCASOneWinner(t *testing.T) {
	const writers, rounds = 8, 20
	for _, sc := range scopes {
		t.Run(sc.name, func(t *testing.T) {
			ds := sc.open(t)
			if err := ds.PutObjectAtomic(newObj("a", 0)); err != nil {
				t.Fatal(err)
			}
			for r := 0; r < rounds; r++ {
				base := mustGet(t, ds, "a")
				var (
					wg      sync.WaitGroup
					mu      sync.Mutex
					winners []int
					start   = make(chan struct{})
				)
				for w := 0; w < writers; w++ {
					o := newObj("a", 0)
					if err := base.CopyTo(o); err != nil {
						t.Fatal(err)
					}
					o.Count = w
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						err := ds.PutObjectAtomic(o)
						switch {
						case err == nil:
							mu.Lock()
							winners = append(winners, o.Count)
							mu.Unlock()
						case !errors.Is(err, datastore.ErrKeyModified):
							t.Errorf("writer %d: %v", o.Count, err)
						}
					}()
				}
				close(start)
				wg.Wait()
				if len(winners) != 1 {
					t.Fatalf("round %d: %d winners %v, want 1", r, len(winners), winners)
				}
				if got := mustGet(t, ds, "a"); got.Count != winners[0] {
					t.Fatalf("round %d: stored count %d, winner wrote %d", r, got.Count, winners[0])
				}
			}
		})
	}
}

// Read-modify-write loops that retry on conflict lose no update.
func TestConcurrentIncrements(t *testing.T) {
	const workers, each = 6, 30
	for _, sc := range scopes {
		t.Run(sc.name, func(t *testing.T) {
			ds := sc.open(t)
			if err := ds.PutObjectAtomic(newObj("n", 0)); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; {
						o, err := get(t, ds, "n")
						if err != nil {
							t.Error(err)
							return
						}
						o.Count++
						err = ds.PutObjectAtomic(o)
						if errors.Is(err, datastore.ErrKeyModified) {
							continue
						}
						if err != nil {
							t.Error(err)
							return
						}
						i++
					}
				}()
			}
			// Readers and listers run alongside (for -race).
			stop := make(chan struct{})
			var rg sync.WaitGroup
			rg.Add(1)
			go func() {
				defer rg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := ds.List(datastore.Key("obj"), newObj("", 0)); err != nil {
						t.Error(err)
						return
					}
				}
			}()
			wg.Wait()
			close(stop)
			rg.Wait()
			if got := mustGet(t, ds, "n"); got.Count != workers*each {
				t.Fatalf("count %d, want %d", got.Count, workers*each)
			}
		})
	}
}
