package libnetwork

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// ExternalKeySocketDir is where a controller with the default exec root
// (/run/cnmkit) listens for SetExternalKey calls, one unix socket per
// controller named by the first 16 characters of its ID. A controller with another exec root
// listens in EXECROOT/setkey: reach it with SetExternalKeyAt.
var ExternalKeySocketDir = "/run/cnmkit/setkey"

// externalKeyDir is the socket dir of a controller whose exec root is execRoot.
func externalKeyDir(execRoot string) string {
	if execRoot == "" || filepath.Clean(execRoot) == filepath.Dir(ExternalKeySocketDir) {
		return ExternalKeySocketDir
	}
	return filepath.Join(execRoot, "setkey")
}

// externalKeyTimeout bounds one SetExternalKey exchange.
const externalKeyTimeout = 30 * time.Second

// setKeyData is the request on the external-key socket.
type setKeyData struct {
	ContainerID string
	Key         string
}

// setKeyReply is the answer: an empty Err means the key was set; Class is
// the error's types class (notfound, badrequest, forbidden or internal).
type setKeyReply struct {
	Err   string `json:",omitempty"`
	Class string `json:",omitempty"`
}

// SetExternalKey hands the network namespace at key (for example
// /proc/PID/ns/net of a container's first process) to the sandbox of
// containerID in the controller controllerID running on this host: the
// sandbox must have been created with OptionUseExternalKey.
func SetExternalKey(controllerID string, containerID string, key string) error {
	return SetExternalKeyAt("", controllerID, containerID, key)
}

// SetExternalKeyAt is SetExternalKey for a controller whose exec root
// (config.OptionExecRoot) is execRoot; "" is the default.
func SetExternalKeyAt(execRoot, controllerID, containerID, key string) error {
	if controllerID == "" || strings.ContainsAny(controllerID, "/\x00") {
		return types.BadRequestErrorf("invalid controller ID %q", controllerID)
	}
	if containerID == "" || key == "" {
		return types.BadRequestErrorf("set external key: container ID %q and key %q must not be empty", containerID, key)
	}
	path := externalKeySocket(execRoot, controllerID)
	conn, err := net.DialTimeout("unix", path, externalKeyTimeout)
	if err != nil {
		return types.NoServiceErrorf("controller %s is not listening on %s: %w", controllerID, path, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(externalKeyTimeout))
	if err := json.NewEncoder(conn).Encode(setKeyData{ContainerID: containerID, Key: key}); err != nil {
		return types.InternalErrorf("send key of container %s to controller %s: %w", containerID, controllerID, err)
	}
	var r setKeyReply
	if err := json.NewDecoder(conn).Decode(&r); err != nil {
		return types.InternalErrorf("read reply of controller %s for container %s: %w", controllerID, containerID, err)
	}
	if r.Err == "" {
		return nil
	}
	switch r.Class {
	case "notfound":
		return types.NotFoundErrorf("controller %s: %s", controllerID, r.Err)
	case "badrequest":
		return types.BadRequestErrorf("controller %s: %s", controllerID, r.Err)
	case "forbidden":
		return types.ForbiddenErrorf("controller %s: %s", controllerID, r.Err)
	default:
		return types.InternalErrorf("controller %s: %s", controllerID, r.Err)
	}
}

// externalKeySocket is the socket of controllerID: named by the ID's first
// 16 characters, which keeps the path within a unix socket's 107 bytes.
func externalKeySocket(execRoot, controllerID string) string {
	name := controllerID
	if len(name) > 16 {
		name = name[:16]
	}
	return filepath.Join(externalKeyDir(execRoot), name+".sock")
}

// sweepDeadSockets removes the sockets in dir nobody listens on any more
// (a controller killed before it could remove its own).
func sweepDeadSockets(dir string) {
	socks, _ := filepath.Glob(filepath.Join(dir, "*.sock"))
	for _, p := range socks {
		c, err := net.DialTimeout("unix", p, time.Second)
		if err == nil {
			c.Close()
			continue
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			_ = os.Remove(p)
		}
	}
}

// externalKeyListener serves SetExternalKey calls for one controller.
type externalKeyListener struct {
	l    net.Listener
	path string
	wg   sync.WaitGroup
}

// startExternalKeyListener listens on the controller's socket.
func (c *controller) startExternalKeyListener() (*externalKeyListener, error) {
	dir := externalKeyDir(c.execRoot())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, types.InternalErrorf("external key socket dir %s: %w", dir, err)
	}
	sweepDeadSockets(dir)
	path := externalKeySocket(c.execRoot(), c.id)
	_ = os.Remove(path) // the IDs are random: a file here is a dead socket
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, types.InternalErrorf("external key socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, types.InternalErrorf("external key socket %s: %w", path, err)
	}
	kl := &externalKeyListener{l: l, path: path}
	kl.wg.Add(1)
	go func() {
		defer kl.wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					logrus.WithError(err).Warn("external key socket")
				}
				return
			}
			kl.wg.Add(1)
			go func() {
				defer kl.wg.Done()
				c.serveExternalKey(conn)
			}()
		}
	}()
	return kl, nil
}

// close stops the listener, waits for calls in progress and removes the
// socket file.
func (kl *externalKeyListener) close() {
	if kl == nil {
		return
	}
	_ = kl.l.Close() // a unix listener unlinks its path on Close
	kl.wg.Wait()
	_ = os.Remove(kl.path)
}

func (c *controller) serveExternalKey(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(externalKeyTimeout))
	var req setKeyData
	var reply setKeyReply
	if err := json.NewDecoder(io.LimitReader(conn, 64<<10)).Decode(&req); err != nil {
		reply = setKeyReply{Err: fmt.Sprintf("bad request: %v", err), Class: "badrequest"}
	} else {
		reply = c.setExternalKey(req)
	}
	_ = json.NewEncoder(conn).Encode(reply)
}

func (c *controller) setExternalKey(req setKeyData) setKeyReply {
	sb := c.sandboxByContainer(req.ContainerID)
	if sb == nil {
		return setKeyReply{Err: fmt.Sprintf("no sandbox for container %s", req.ContainerID), Class: "notfound"}
	}
	if err := sb.SetKey(req.Key); err != nil {
		return setKeyReply{Err: err.Error(), Class: errorClass(err)}
	}
	return setKeyReply{}
}

// errorClass names err's types class for the wire.
func errorClass(err error) string {
	switch {
	case types.IsNotFound(err):
		return "notfound"
	case types.IsBadRequest(err):
		return "badrequest"
	case types.IsForbidden(err):
		return "forbidden"
	default:
		return "internal"
	}
}
