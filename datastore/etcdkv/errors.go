package etcdkv

import (
	"context"
	"errors"

	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fail classifies an etcd client error of operation op on key. Errors of
// unavailability wrap store.ErrNotReachable and name the endpoints.
func (s *Store) fail(op, key string, err error) error {
	if err == nil {
		return nil
	}
	code := codes.Unknown
	if st, ok := status.FromError(err); ok {
		code = st.Code()
	}
	if ee, ok := err.(rpctypes.EtcdError); ok {
		code = ee.Code()
	}
	switch {
	case s.ctx.Err() != nil:
		return types.NoServiceErrorf("etcd %s %q: client of %s is closed: %w: %w", op, key, s.addr, store.ErrNotReachable, err)
	case errors.Is(err, context.DeadlineExceeded), code == codes.DeadlineExceeded,
		errors.Is(err, rpctypes.ErrTimeout), errors.Is(err, rpctypes.ErrTimeoutDueToLeaderFail),
		errors.Is(err, rpctypes.ErrTimeoutDueToConnectionLost):
		return types.TimeoutErrorf("etcd %s %q: %s did not answer within %v: %w: %w", op, key, s.addr, s.timeout, store.ErrNotReachable, err)
	case code == codes.Unavailable, errors.Is(err, clientv3.ErrNoAvailableEndpoints),
		errors.Is(err, rpctypes.ErrNoLeader), errors.Is(err, rpctypes.ErrStopped):
		return types.NoServiceErrorf("etcd %s %q: %s unavailable: %w: %w", op, key, s.addr, store.ErrNotReachable, err)
	case code == codes.PermissionDenied, code == codes.Unauthenticated:
		return types.ForbiddenErrorf("etcd %s %q on %s: %w", op, key, s.addr, err)
	case code == codes.InvalidArgument, code == codes.OutOfRange:
		return types.BadRequestErrorf("etcd %s %q on %s: %w", op, key, s.addr, err)
	}
	return types.InternalErrorf("etcd %s %q on %s: %w", op, key, s.addr, err)
}
