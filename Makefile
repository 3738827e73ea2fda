# shopgraph: `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
GQLGEN := $(GO) run github.com/99designs/gqlgen
BIN := bin/shopgraph
export PATH := $(PATH):/usr/local/go/bin

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-12s %s\n", $$1, $$2}'

.PHONY: services
services: ## bring up PostgreSQL, Redis, NATS and ClickHouse on loopback (installing them if missing)
	@scripts/services.sh

.PHONY: build
build: ## build bin/shopgraph
	$(GO) build -o $(BIN) .

.PHONY: run
run: services build ## bring up the servers, migrate, seed the demo shop when empty, serve on :8080
	$(BIN) seed
	$(BIN) serve

.PHONY: test
test: services ## bring up the servers and run every test (race detector on)
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 15m ./...

.PHONY: generate
generate: ## regenerate graph/ from schema.graphqls and gqlgen.yml
	$(GQLGEN) generate

.PHONY: lint
lint: ## go vet and staticcheck, generated code excluded
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@2025.1.1 $$($(GO) list ./... | grep -v '/graph$$')

.PHONY: bench
bench: services ## run the Go benchmarks against the real servers
	$(GO) test -run '^$$' -bench . -benchmem ./...

.PHONY: clean
clean: ## remove build output
	rm -rf bin
