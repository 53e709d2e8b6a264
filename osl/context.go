package osl

import (
	"runtime"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/sirupsen/logrus"
)

// InitOSContext locks the calling goroutine to its OS thread and makes sure
// the thread is in the process's initial network namespace. It returns the
// function that unlocks the thread again:
//
//	defer osl.InitOSContext()()
func InitOSContext() func() {
	runtime.LockOSThread()
	if err := ns.EnterInitial(); err != nil {
		logrus.WithError(err).Error("osl: move thread to the initial network namespace")
	}
	return runtime.UnlockOSThread
}
