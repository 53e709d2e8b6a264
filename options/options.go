// Package options holds generic option maps and their conversion into the
// typed structs that drivers declare.
package options

import (
	"fmt"
	"reflect"

	"github.com/cnmkit/libnetwork/types"
)

// Generic is a map of option names to values.
type Generic map[string]interface{}

// NewGeneric returns an empty Generic.
func NewGeneric() Generic { return make(Generic) }

// NoSuchFieldError is returned when an option names no field of the model.
type NoSuchFieldError struct {
	Field string
	Type  string
}

func (e NoSuchFieldError) Error() string {
	return fmt.Sprintf("no field %q in type %q", e.Field, e.Type)
}

// BadRequest marks the error as caused by the caller.
func (NoSuchFieldError) BadRequest() {}

// CannotSetFieldError is returned when a field of the model cannot be set.
type CannotSetFieldError struct {
	Field string
	Type  string
}

func (e CannotSetFieldError) Error() string {
	return fmt.Sprintf("cannot set field %q of type %q", e.Field, e.Type)
}

// BadRequest marks the error as caused by the caller.
func (CannotSetFieldError) BadRequest() {}

// TypeMismatchError is returned when an option's value has the wrong type.
type TypeMismatchError struct {
	Field      string
	ExpectType string
	ActualType string
}

func (e TypeMismatchError) Error() string {
	return fmt.Sprintf("type mismatch: option %q wants type %q, got %q", e.Field, e.ExpectType, e.ActualType)
}

// BadRequest marks the error as caused by the caller.
func (TypeMismatchError) BadRequest() {}

var _ types.BadRequestError = TypeMismatchError{}

// GenerateFromModel returns a new value of model's type (model is a struct or
// a pointer to one) with the fields named in options set. The result has the
// same kind as model: a pointer when model is a pointer.
func GenerateFromModel(options Generic, model interface{}) (interface{}, error) {
	mt := reflect.TypeOf(model)
	if mt == nil {
		return nil, types.BadRequestErrorf("nil model")
	}
	isPtr := mt.Kind() == reflect.Ptr
	if isPtr {
		mt = mt.Elem()
	}
	if mt.Kind() != reflect.Struct {
		return nil, types.BadRequestErrorf("model of type %s is not a struct", mt)
	}
	res := reflect.New(mt)
	for name, value := range options {
		field := res.Elem().FieldByName(name)
		if !field.IsValid() {
			return nil, NoSuchFieldError{name, mt.String()}
		}
		if !field.CanSet() {
			return nil, CannotSetFieldError{name, mt.String()}
		}
		v := reflect.ValueOf(value)
		if !v.IsValid() {
			continue
		}
		if v.Type() != field.Type() {
			if !v.Type().ConvertibleTo(field.Type()) || v.Kind() != field.Kind() {
				return nil, TypeMismatchError{name, field.Type().String(), v.Type().String()}
			}
			v = v.Convert(field.Type())
		}
		field.Set(v)
	}
	if isPtr {
		return res.Interface(), nil
	}
	return res.Elem().Interface(), nil
}
