# Một Cửa Xã — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

GOBIN   := $(shell go env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)
TAGS    := desktop,production,webkit2_41
BIN     := build/bin/motcua
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
DATA    ?=

.PHONY: setup frontend build run serve dev test test-go test-fuzz test-frontend test-e2e test-desktop screenshots \
	fuzz-long crash-long hub clean

setup:
	@build/scripts/setup.sh

frontend: setup
	cd frontend && npm run build --silent

# The desktop binary also serves the LAN/browser mode (`motcua serve`).
build: frontend
	go build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o $(BIN) .

# Opens the desktop window on the default data dir (DATA=dir to override).
run: build
	./$(BIN) $(if $(DATA),--data $(DATA))

serve: build
	./$(BIN) serve --listen 127.0.0.1:8080 $(if $(DATA),--data $(DATA))

dev: setup
	wails dev -tags webkit2_41

test: build test-go test-fuzz test-frontend test-e2e test-desktop
	@echo "make test: all suites passed"

test-go:
	go vet ./...
	go test -count=1 ./...

# Every fuzz target for a few seconds (FUZZTIME), after go test replayed the
# committed seed corpora.
test-fuzz:
	FUZZTIME=$${FUZZTIME:-5s} build/scripts/fuzz.sh

# The long modes, for a nightly run.
fuzz-long:
	FUZZTIME=5m build/scripts/fuzz.sh
crash-long:
	MOTCUA_CRASH_ROUNDS=300 go test -count=1 -run Crash -timeout 2h ./app/cli

test-frontend:
	cd frontend && npm run check --silent && npm test --silent

test-e2e:
	cd frontend && MOTCUA_BIN=../$(BIN) npm run e2e --silent

test-desktop:
	build/scripts/desktop-smoke.sh $(BIN)

# Refreshes the screenshots the README shows.
screenshots: build
	cd frontend && MOTCUA_BIN=../$(BIN) MOTCUA_SHOTS=../docs/screenshots npm run e2e --silent
	SMOKE_SHOT=docs/screenshots/desktop.png build/scripts/desktop-smoke.sh $(BIN)

clean:
	rm -rf build/bin frontend/dist/assets frontend/dist/index.html
