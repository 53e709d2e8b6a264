// Package types holds the typed error classes and the small value types
// (IP, MAC, ports, routes) shared by every layer of the SDK.
package types

import (
	"errors"
	"fmt"
)

// BadRequestError is an error caused by invalid input from the caller.
type BadRequestError interface {
	error
	BadRequest()
}

// NotFoundError is an error for an object that does not exist.
type NotFoundError interface {
	error
	NotFound()
}

// ForbiddenError is an error for an operation that is not allowed in the
// current state (for example deleting a network that has endpoints).
type ForbiddenError interface {
	error
	Forbidden()
}

// ConflictError is an error for an object that already exists or that was
// modified concurrently (a failed compare-and-swap).
type ConflictError interface {
	error
	Conflict()
}

// NoServiceError is an error for a service (driver, store, plugin) that is
// not available.
type NoServiceError interface {
	error
	NoService()
}

// NotImplementedError is an error for a feature that is not supported.
type NotImplementedError interface {
	error
	NotImplemented()
}

// TimeoutError is an error for an operation that did not complete in time.
type TimeoutError interface {
	error
	Timeout()
}

// InternalError is an error caused by a failure inside the SDK or the kernel.
type InternalError interface {
	error
	Internal()
}

// RetryError is an error for an operation that may succeed if retried.
type RetryError interface {
	error
	Retry()
}

// MaskableError is an internal error whose detail a caller may hide from its
// own users (it still says what failed).
type MaskableError interface {
	error
	Maskable()
}

// classed carries the wrapped error; the class types embed it.
type classed struct{ err error }

func (c classed) Error() string { return c.err.Error() }
func (c classed) Unwrap() error { return c.err }

type badRequest struct{ classed }
type notFound struct{ classed }
type forbidden struct{ classed }
type conflict struct{ classed }
type noService struct{ classed }
type notImpl struct{ classed }
type timeout struct{ classed }
type internal struct{ classed }
type retry struct{ classed }
type maskInternal struct{ internal }

func (badRequest) BadRequest()    {}
func (notFound) NotFound()        {}
func (forbidden) Forbidden()      {}
func (conflict) Conflict()        {}
func (noService) NoService()      {}
func (notImpl) NotImplemented()   {}
func (timeout) Timeout()          {}
func (internal) Internal()        {}
func (retry) Retry()              {}
func (maskInternal) Maskable()    {}
func (timeout) Temporary() bool   { return true }
func (retry) Temporary() bool     { return true }
func (noService) Temporary() bool { return false }

// BadRequestErrorf returns a BadRequestError; %w in format keeps a cause.
func BadRequestErrorf(format string, a ...interface{}) error {
	return badRequest{classed{fmt.Errorf(format, a...)}}
}

// NotFoundErrorf returns a NotFoundError; %w in format keeps a cause.
func NotFoundErrorf(format string, a ...interface{}) error {
	return notFound{classed{fmt.Errorf(format, a...)}}
}

// ForbiddenErrorf returns a ForbiddenError; %w in format keeps a cause.
func ForbiddenErrorf(format string, a ...interface{}) error {
	return forbidden{classed{fmt.Errorf(format, a...)}}
}

// ConflictErrorf returns a ConflictError; %w in format keeps a cause.
func ConflictErrorf(format string, a ...interface{}) error {
	return conflict{classed{fmt.Errorf(format, a...)}}
}

// NoServiceErrorf returns a NoServiceError; %w in format keeps a cause.
func NoServiceErrorf(format string, a ...interface{}) error {
	return noService{classed{fmt.Errorf(format, a...)}}
}

// NotImplementedErrorf returns a NotImplementedError; %w in format keeps a cause.
func NotImplementedErrorf(format string, a ...interface{}) error {
	return notImpl{classed{fmt.Errorf(format, a...)}}
}

// TimeoutErrorf returns a TimeoutError; %w in format keeps a cause.
func TimeoutErrorf(format string, a ...interface{}) error {
	return timeout{classed{fmt.Errorf(format, a...)}}
}

// InternalErrorf returns an InternalError; %w in format keeps a cause.
func InternalErrorf(format string, a ...interface{}) error {
	return internal{classed{fmt.Errorf(format, a...)}}
}

// InternalMaskableErrorf returns an InternalError that is also a
// MaskableError; %w in format keeps a cause.
func InternalMaskableErrorf(format string, a ...interface{}) error {
	return maskInternal{internal{classed{fmt.Errorf(format, a...)}}}
}

// RetryErrorf returns a RetryError; %w in format keeps a cause.
func RetryErrorf(format string, a ...interface{}) error {
	return retry{classed{fmt.Errorf(format, a...)}}
}

// IsBadRequest reports whether err or any error it wraps is a BadRequestError.
func IsBadRequest(err error) bool { var e BadRequestError; return errors.As(err, &e) }

// IsNotFound reports whether err or any error it wraps is a NotFoundError.
func IsNotFound(err error) bool { var e NotFoundError; return errors.As(err, &e) }

// IsForbidden reports whether err or any error it wraps is a ForbiddenError.
func IsForbidden(err error) bool { var e ForbiddenError; return errors.As(err, &e) }

// IsConflict reports whether err or any error it wraps is a ConflictError.
func IsConflict(err error) bool { var e ConflictError; return errors.As(err, &e) }

// IsNoService reports whether err or any error it wraps is a NoServiceError.
func IsNoService(err error) bool { var e NoServiceError; return errors.As(err, &e) }

// IsNotImplemented reports whether err or any error it wraps is a NotImplementedError.
func IsNotImplemented(err error) bool { var e NotImplementedError; return errors.As(err, &e) }

// IsTimeout reports whether err or any error it wraps is a TimeoutError.
func IsTimeout(err error) bool { var e TimeoutError; return errors.As(err, &e) }

// IsInternal reports whether err or any error it wraps is an InternalError.
func IsInternal(err error) bool { var e InternalError; return errors.As(err, &e) }

// IsMaskable reports whether err or any error it wraps is a MaskableError.
func IsMaskable(err error) bool { var e MaskableError; return errors.As(err, &e) }

// IsRetry reports whether err or any error it wraps is a RetryError.
func IsRetry(err error) bool { var e RetryError; return errors.As(err, &e) }
