# cnmkit/libnetwork — build, test, lint, bench, demo.
SHELL := /bin/bash
GOBIN_DIR := $(shell PATH=/usr/local/go/bin:$$PATH go env GOPATH 2>/dev/null || echo /root/go)/bin
export PATH := /usr/local/go/bin:$(GOBIN_DIR):$(PATH)
GO ?= go
PKGS := ./...
BIN := bin

.PHONY: cni-deps all build test test-unit test-integration lint bench demo deps deps-lint clean

all: build

deps:
	@hack/install-deps.sh

# The CNI clients and reference plugins test/integration builds (offline)
# from the module cache: cnitool, bridge, host-local, tuning, portmap.
CNI_VERSION := v1.3.1
CNI_PLUGINS_VERSION := v1.10.0
cni-deps:
	@d=$$(mktemp -d) && GOBIN=$$d $(GO) install github.com/containernetworking/cni/cnitool@$(CNI_VERSION) \
		&& GOBIN=$$d $(GO) install $(foreach p,main/bridge ipam/host-local meta/tuning meta/portmap,github.com/containernetworking/plugins/plugins/$(p)@$(CNI_PLUGINS_VERSION)) \
		&& rm -rf $$d

deps-lint:
	@hack/install-deps.sh --lint

build:
	$(GO) build $(PKGS)
	@mkdir -p $(BIN)
	@for d in cmd/*/; do [ -f "$$d/main.go" ] && $(GO) build -o $(BIN)/$$(basename $$d) ./$$d || true; done

# Every unit and integration test, with the race detector. As root the kernel
# tests run too, each test binary inside network namespaces of its own.
test: deps cni-deps
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

lint: deps-lint
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	staticcheck $(PKGS)

bench: deps cni-deps
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 $(PKGS)

# The dnet demo: a controller, a bridge network, two containers, real
# packets, a published port and DNS, in a throwaway network namespace.
demo: deps
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/dnet ./cmd/dnet && $(BIN)/dnet demo

clean:
	rm -rf $(BIN)
