package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// handlerFunc is a route: it returns the status and body of a successful
// answer, or an error whose class gives the status.
type handlerFunc func(r *http.Request) (int, interface{}, error)

// serve adapts a handlerFunc to net/http.
func serve(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		status, body, err := h(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, status, body)
	}
}

func writeJSON(w http.ResponseWriter, status int, body interface{}) {
	if status == http.StatusNoContent || body == nil {
		w.WriteHeader(status)
		return
	}
	b, err := json.MarshalIndent(body, "", "  ")
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(api.ErrorResponse{Message: "encode answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusOf(err)
	resp := api.ErrorResponse{Message: err.Error()}
	var fe *fieldError
	if errors.As(err, &fe) {
		resp.Field = fe.field
	}
	log := logrus.WithFields(logrus.Fields{"method": r.Method, "path": r.URL.Path, "status": status})
	if status >= 500 {
		log.WithError(err).Warn("API request failed")
	} else {
		log.WithError(err).Debug("API request refused")
	}
	writeJSON(w, status, resp)
}

// StatusOf maps an error to the HTTP status of its types class: the
// outermost error in the chain that has a class decides. An error of two
// classes (a name already in use is both Forbidden and Conflict) takes the
// more specific one.
func StatusOf(err error) int {
	for _, e := range chain(err) {
		if s := classStatus(e); s != 0 {
			return s
		}
	}
	return http.StatusInternalServerError
}

func classStatus(e error) int {
	switch {
	case has[bodyTooLarge](e):
		return http.StatusRequestEntityTooLarge
	case has[types.ConflictError](e):
		return http.StatusConflict
	case has[types.NotFoundError](e):
		return http.StatusNotFound
	case has[types.BadRequestError](e):
		return http.StatusBadRequest
	case has[types.ForbiddenError](e):
		return http.StatusForbidden
	case has[types.NotImplementedError](e):
		return http.StatusNotImplemented
	case has[types.NoServiceError](e):
		return http.StatusServiceUnavailable
	case has[types.TimeoutError](e), has[types.InternalError](e), has[types.RetryError](e):
		return http.StatusInternalServerError
	}
	return 0
}

// has reports whether e itself (not what it wraps) implements T.
func has[T any](e error) bool {
	_, ok := e.(T)
	return ok
}

// chain lists err and the errors it wraps, depth first.
func chain(err error) []error {
	var out []error
	var walk func(error)
	walk = func(e error) {
		if e == nil || len(out) > 64 {
			return
		}
		out = append(out, e)
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}
