# tests/go/go.mk - static Go test programs (Debian's golang-go, no cgo), included from the
# top-level Makefile. One multi-mode binary keeps the initramfs small (tests/go/README.md).
#
#   make go-tests   build $(BUILD)/go/gotest (riscv64, static); the initramfs puts it in
#                   /opt/tests/go/

GO ?= go
GO_SRC := $(wildcard tests/go/*.go)
GO_TEST_BIN := $(BUILD)/go/gotest

.PHONY: go-tests
go-tests: $(GO_TEST_BIN)

# Go's build cache (the riscv64 standard library, ~1.5 minutes to compile the first time) lives
# with the package cache, outside the tree; -trimpath and an empty build id make the binary
# depend only on the sources and the Go version.
$(GO_TEST_BIN): $(GO_SRC)
	@mkdir -p $(@D)
	cd tests/go && CGO_ENABLED=0 GOOS=linux GOARCH=riscv64 GOFLAGS= GO111MODULE=off \
	    GOCACHE=$(OPENV_CACHE)/go-build \
	    $(GO) build -trimpath -ldflags='-s -w -buildid=' -o $(abspath $@) gotest.go
