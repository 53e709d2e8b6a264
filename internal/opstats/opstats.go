// Package opstats counts the controller's operations: calls, errors by
// class and a latency histogram per operation, with atomic counters only,
// so that recording costs a clock read and a few atomic adds.
package opstats

import (
	"sync/atomic"
	"time"

	"github.com/cnmkit/libnetwork/types"
)

// Op is a counted operation.
type Op int

// The operations counted.
const (
	NetworkCreate Op = iota
	NetworkDelete
	EndpointCreate
	EndpointDelete
	Join
	Leave
	SandboxCreate
	SandboxDelete
	numOps
)

var opNames = [numOps]string{
	"network_create", "network_delete", "endpoint_create", "endpoint_delete",
	"join", "leave", "sandbox_create", "sandbox_delete",
}

// Ops lists every operation, in order.
func Ops() []Op {
	out := make([]Op, numOps)
	for i := range out {
		out[i] = Op(i)
	}
	return out
}

// String returns the operation's metric label ("network_create"...).
func (o Op) String() string {
	if o < 0 || o >= numOps {
		return "unknown"
	}
	return opNames[o]
}

const numBuckets = 16

// Buckets are the upper bounds, in seconds, of the latency histogram.
var Buckets = [numBuckets]float64{
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// bucketNanos are Buckets in nanoseconds.
var bucketNanos = func() [numBuckets]int64 {
	var out [numBuckets]int64
	for i, b := range Buckets {
		out[i] = int64(b * 1e9)
	}
	return out
}()

// Error classes, by the types package's error classes.
const (
	ClassBadRequest = iota
	ClassNotFound
	ClassForbidden
	ClassConflict
	ClassNoService
	ClassNotImplemented
	ClassTimeout
	ClassInternal
	ClassOther
	numClasses
)

var classNames = [numClasses]string{
	"bad_request", "not_found", "forbidden", "conflict", "no_service",
	"not_implemented", "timeout", "internal", "other",
}

// ClassName returns the label of error class c.
func ClassName(c int) string {
	if c < 0 || c >= numClasses {
		return "other"
	}
	return classNames[c]
}

// Classes returns the number of error classes.
func Classes() int { return numClasses }

// Classify returns the class of err.
func Classify(err error) int {
	switch {
	case types.IsBadRequest(err):
		return ClassBadRequest
	case types.IsNotFound(err):
		return ClassNotFound
	case types.IsConflict(err): // before Forbidden: conflicts are both
		return ClassConflict
	case types.IsForbidden(err):
		return ClassForbidden
	case types.IsNoService(err):
		return ClassNoService
	case types.IsNotImplemented(err):
		return ClassNotImplemented
	case types.IsTimeout(err):
		return ClassTimeout
	case types.IsInternal(err):
		return ClassInternal
	}
	return ClassOther
}

type opCounters struct {
	count   atomic.Uint64
	sumNano atomic.Int64
	// buckets[i] counts the calls at most Buckets[i]; the +Inf bucket is
	// count.
	buckets [numBuckets]atomic.Uint64
	errors  [numClasses]atomic.Uint64
}

// Recorder holds the counters of one controller. The zero value is ready.
type Recorder struct {
	ops [numOps]opCounters
}

// Done records a call of op that began at start and returned err.
func (r *Recorder) Done(op Op, start time.Time, err error) {
	if r == nil || op < 0 || op >= numOps {
		return
	}
	d := int64(time.Since(start))
	c := &r.ops[op]
	c.count.Add(1)
	c.sumNano.Add(d)
	for i, b := range bucketNanos {
		if d <= b {
			c.buckets[i].Add(1)
			break
		}
	}
	if err != nil {
		c.errors[Classify(err)].Add(1)
	}
}

// Snapshot is what a Recorder counted for one operation.
type Snapshot struct {
	Count uint64
	Sum   time.Duration
	// Cumulative[i] counts the calls at most Buckets[i] seconds.
	Cumulative []uint64
	// Errors counts the failed calls by class (ClassName).
	Errors []uint64
}

// Snapshot returns the counters of op. Counters read while calls end may
// be off by those calls; each is exact once calls stop.
func (r *Recorder) Snapshot(op Op) Snapshot {
	c := &r.ops[op]
	s := Snapshot{Cumulative: make([]uint64, len(Buckets)), Errors: make([]uint64, numClasses)}
	var acc uint64
	for i := range Buckets {
		acc += c.buckets[i].Load()
		s.Cumulative[i] = acc
	}
	for i := range s.Errors {
		s.Errors[i] = c.errors[i].Load()
	}
	s.Sum = time.Duration(c.sumNano.Load())
	s.Count = c.count.Load()
	if s.Count < acc {
		s.Count = acc
	}
	return s
}

// End is Done with the error read through errp when End runs: deferred as
// defer r.End(op, time.Now(), &err), it records the call's final error.
func (r *Recorder) End(op Op, start time.Time, errp *error) {
	var err error
	if errp != nil {
		err = *errp
	}
	r.Done(op, start, err)
}
