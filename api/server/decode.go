package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBody bounds a request body.
const maxBody = 1 << 20

// fieldError is a bad request naming the field of the request at fault.
type fieldError struct {
	field string
	msg   string
}

func (e *fieldError) Error() string {
	if e.field == "" {
		return e.msg
	}
	return e.field + ": " + e.msg
}

// BadRequest marks the error's class.
func (e *fieldError) BadRequest() {}

func badField(field, format string, a ...interface{}) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, a...)}
}

// bodyTooLarge refuses a body over maxBody (HTTP 413).
type bodyTooLarge struct{}

func (bodyTooLarge) Error() string {
	return fmt.Sprintf("request body is larger than %d bytes", maxBody)
}

// BadRequest marks the error's class.
func (bodyTooLarge) BadRequest() {}

// decode reads r's body strictly into v: one JSON object, no unknown
// fields, nothing after it.
func decode(r *http.Request, v interface{}) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(data) > maxBody {
		return bodyTooLarge{}
	}
	if err != nil {
		return badField("", "read request body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return badField("", "request body is empty: want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return badField("", "malformed JSON: unexpected data after the object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badField("", "malformed JSON: unexpected data after the object")
	}
	return nil
}

// decodeError turns a JSON decoding error into a bad request, naming the
// field when the decoder knows it.
func decodeError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return badField("", "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return badField("", "malformed JSON: want an object, got %s", te.Value)
		}
		return badField(field, "want a value of type %s, got %s", jsonKind(te.Type.Kind().String()), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return badField("", "malformed JSON: unexpected end of the body")
	}
	const unknown = "json: unknown field "
	if msg := err.Error(); strings.HasPrefix(msg, unknown) {
		name := strings.Trim(strings.TrimPrefix(msg, unknown), `"`)
		return badField(name, "unknown field")
	}
	return badField("", "malformed JSON: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "int32", "uint16", "uint32", "uint64", "float64":
		return "number"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	case "map", "struct":
		return "object"
	}
	return goKind
}
