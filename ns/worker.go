package ns

import (
	"runtime"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
)

// Worker runs functions on one OS thread that entered a namespace once and
// stays there: for frequent work that depends on the calling thread's
// namespace (such as /proc/sys/net files), without switching per call.
type Worker struct {
	work chan func()
	quit chan struct{}
}

// NewWorker starts a worker in the namespace h.
func NewWorker(h netns.NsHandle) (*Worker, error) {
	w := &Worker{work: make(chan func()), quit: make(chan struct{})}
	errc := make(chan error, 1)
	go func() {
		// The thread never leaves the namespace: it ends with the
		// goroutine, still locked.
		runtime.LockOSThread()
		if err := netns.Set(h); err != nil {
			errc <- types.InternalErrorf("enter netns %s: %w", h, err)
			return
		}
		errc <- nil
		for {
			select {
			case fn := <-w.work:
				fn()
			case <-w.quit:
				return
			}
		}
	}()
	if err := <-errc; err != nil {
		return nil, err
	}
	return w, nil
}

// Do runs fn on the worker's thread and returns its error. After Close it
// is a NoService error.
func (w *Worker) Do(fn func() error) error {
	errc := make(chan error, 1)
	select {
	case w.work <- func() { errc <- fn() }:
		return <-errc
	case <-w.quit:
		return types.NoServiceErrorf("namespace worker closed")
	}
}

// Close stops the worker; its thread exits.
func (w *Worker) Close() { close(w.quit) }
