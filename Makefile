# cnmkit/libnetwork — build, test, lint, bench, demo.
SHELL := /bin/bash
GOBIN_DIR := $(shell PATH=/usr/local/go/bin:$$PATH go env GOPATH 2>/dev/null || echo /root/go)/bin
export PATH := /usr/local/go/bin:$(GOBIN_DIR):$(PATH)
GO ?= go
PKGS := ./...
BIN := bin

.PHONY: all build test test-unit test-integration lint bench demo deps deps-lint clean

all: build

deps:
	@hack/install-deps.sh

deps-lint:
	@hack/install-deps.sh --lint

build:
	$(GO) build $(PKGS)
	@mkdir -p $(BIN)
	@for d in cmd/*/; do [ -f "$$d/main.go" ] && $(GO) build -o $(BIN)/$$(basename $$d) ./$$d || true; done

# Every unit and integration test, with the race detector. As root the kernel
# tests run too, each test binary inside network namespaces of its own.
test: deps
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

lint: deps-lint
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	staticcheck $(PKGS)

bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 $(PKGS)

# The dnet demo: a controller, a bridge network, two containers, real
# packets, a published port and DNS, in a throwaway network namespace.
demo: deps
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/dnet ./cmd/dnet && $(BIN)/dnet demo

clean:
	rm -rf $(BIN)
