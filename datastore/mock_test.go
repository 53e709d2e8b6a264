package datastore_test

import (
	"errors"
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/docker/libkv/store"
)

var _ store.Store = datastore.NewMockStore()

func TestMockStoreCAS(t *testing.T) {
	s := datastore.NewMockStore()
	defer s.Close()
	ok, p1, err := s.AtomicPut("k", []byte("v1"), nil, nil)
	if err != nil || !ok {
		t.Fatalf("create: %v %v", ok, err)
	}
	if _, _, err := s.AtomicPut("k", []byte("x"), nil, nil); !errors.Is(err, store.ErrKeyExists) {
		t.Fatalf("create over existing key: %v, want ErrKeyExists", err)
	}
	_, p2, err := s.AtomicPut("k", []byte("v2"), p1, nil)
	if err != nil || p2.LastIndex <= p1.LastIndex {
		t.Fatalf("update: %+v %v", p2, err)
	}
	if _, _, err := s.AtomicPut("k", []byte("x"), p1, nil); !errors.Is(err, store.ErrKeyModified) {
		t.Fatalf("update with a stale index: %v, want ErrKeyModified", err)
	}
	if _, err := s.AtomicDelete("k", p1); !errors.Is(err, store.ErrKeyModified) {
		t.Fatalf("delete with a stale index: %v, want ErrKeyModified", err)
	}
	got, err := s.Get("k")
	if err != nil || string(got.Value) != "v2" || got.LastIndex != p2.LastIndex {
		t.Fatalf("get: %+v %v", got, err)
	}
	if ok, err := s.AtomicDelete("k", p2); err != nil || !ok {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if ok, _ := s.Exists("k"); ok {
		t.Fatal("key exists after delete")
	}
}
