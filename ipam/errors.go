package ipam

import (
	"fmt"

	"github.com/cnmkit/libnetwork/types"
)

// wrap returns an error of the same class as sentinel (an ipamapi error)
// whose message starts with the formatted text and which wraps sentinel.
func wrap(sentinel error, format string, a ...interface{}) error {
	msg := fmt.Sprintf(format, a...)
	switch {
	case types.IsBadRequest(sentinel):
		return types.BadRequestErrorf("%s: %w", msg, sentinel)
	case types.IsNotFound(sentinel):
		return types.NotFoundErrorf("%s: %w", msg, sentinel)
	case types.IsForbidden(sentinel):
		return types.ForbiddenErrorf("%s: %w", msg, sentinel)
	case types.IsNoService(sentinel):
		return types.NoServiceErrorf("%s: %w", msg, sentinel)
	}
	return types.InternalErrorf("%s: %w", msg, sentinel)
}
