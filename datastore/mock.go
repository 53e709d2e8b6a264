package datastore

import (
	"github.com/cnmkit/libnetwork/datastore/memkv"
)

// MockData is a value held by a MockStore with the index of its last write.
type MockData = memkv.Item

// MockStore is an in-memory libkv store.Store for tests: every write
// raises the store's index and compare-and-swap is decided by index. It
// is one client of its own memkv server, so it supports watches and locks.
type MockStore struct {
	*memkv.Store
}

// NewMockStore returns an empty MockStore.
func NewMockStore() *MockStore {
	return &MockStore{Store: memkv.NewServer().Client()}
}
