package options

import (
	"errors"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

type model struct {
	Name   string
	MTU    int
	Enable bool
	hidden int
}

func TestGenerateFromModel(t *testing.T) {
	got, err := GenerateFromModel(Generic{"Name": "br0", "MTU": 1400, "Enable": true}, model{})
	if err != nil {
		t.Fatal(err)
	}
	m := got.(model)
	if m.Name != "br0" || m.MTU != 1400 || !m.Enable || m.hidden != 0 {
		t.Fatalf("got %+v", m)
	}
	p, err := GenerateFromModel(Generic{"Name": "x"}, &model{})
	if err != nil || p.(*model).Name != "x" {
		t.Fatalf("pointer model: %v %v", p, err)
	}
	cases := []struct {
		opts Generic
		want interface{}
	}{
		{Generic{"Nope": 1}, NoSuchFieldError{}},
		{Generic{"hidden": 1}, CannotSetFieldError{}},
		{Generic{"MTU": "1400"}, TypeMismatchError{}},
	}
	for _, c := range cases {
		_, err := GenerateFromModel(c.opts, model{})
		if !types.IsBadRequest(err) {
			t.Errorf("%v: %v is not a BadRequest error", c.opts, err)
		}
		switch c.want.(type) {
		case NoSuchFieldError:
			var e NoSuchFieldError
			if !errors.As(err, &e) || e.Field != "Nope" {
				t.Errorf("want NoSuchFieldError, got %v", err)
			}
		case TypeMismatchError:
			var e TypeMismatchError
			if !errors.As(err, &e) || e.Field != "MTU" {
				t.Errorf("want TypeMismatchError, got %v", err)
			}
			if !strings.HasPrefix(err.Error(), "type mismatch") {
				t.Errorf("TypeMismatchError text %q does not say \"type mismatch\"", err)
			}
		}
	}
	if _, err := GenerateFromModel(Generic{}, 3); !types.IsBadRequest(err) {
		t.Fatal("non-struct model accepted")
	}
}
