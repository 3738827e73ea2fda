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
test: ## bring up the servers and chromium (installing them if missing) and run every test, browser tests too (race detector on)
	@GO=$(GO) scripts/test.sh

.PHONY: web
web: ## rebuild the browser clients into web/dist from web/ (npm ci, codegen, type check, esbuild); commit the result
	cd web && npm ci --no-audit --no-fund && npm run build

# Plain `go test` (and so `make test`) runs every fuzz target on its seed corpus and on the
# failing inputs saved under its package's testdata/fuzz/. `make fuzz` explores: each
# target for FUZZTIME, one after the other, against the real servers; a failing input is
# saved under testdata/fuzz/ (commit it with the fix, as a regression case). It goes on
# after a failure and lists the failed targets at the end.
FUZZTIME ?= 30s

.PHONY: fuzz
fuzz: services ## run every fuzz target for FUZZTIME (default 30s), one after the other
	@failed=""; \
	for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		grep -qs '^func Fuzz' $$dir/*_test.go || continue; \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$pkg || failed="$$failed $$pkg.$$target"; \
		done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed"; exit 1; fi; echo "fuzz: every target passed"

.PHONY: test-chdb
test-chdb: ## run the ClickHouse migrations and dashboard queries on a current ClickHouse (chdb, npm; cached outside the checkout)
	node scripts/chdb-check.mjs

.PHONY: generate
generate: ## regenerate graph/ from schema.graphqls and gqlgen.yml
	$(GQLGEN) generate

.PHONY: lint
lint: ## go vet and staticcheck, generated code excluded
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@2025.1.1 $$($(GO) list ./... | grep -v '/graph$$')

# The bench's workloads open thousands of connections: raise the open-files limit.
BENCH_ULIMIT := ulimit -n 65536 2>/dev/null || ulimit -n $$(ulimit -Hn);
BENCH := $(BENCH_ULIMIT) BENCH_SKIP_SERVICES=1 bench/run.sh

.PHONY: bench
bench: services ## run every bench/ workload against a fresh shopgraph on a seeded shopgraph_bench database (table in bench/results.md)
	@$(BENCH) all

.PHONY: bench-product-page bench-product-list bench-mixed bench-checkout bench-order-tracking bench-abuse bench-analytics-ingest bench-dashboard
bench-product-page: services ## bench: product(slug:) against a plain pgx baseline
	@$(BENCH) product-page
bench-product-list: services ## bench: products(first: 50) with categories and parents, SQL statements per request
	@$(BENCH) product-list
bench-mixed: services ## bench: a mixed storefront session
	@$(BENCH) mixed
bench-checkout: services ## bench: concurrent checkouts, spread and on one hot product, oversell checks
	@$(BENCH) checkout
bench-order-tracking: services ## bench: WebSocket order tracking: delivery latency, loss, memory per watcher
	@$(BENCH) order-tracking
bench-abuse: services ## bench: an over-priced nested query must be refused fast
	@$(BENCH) abuse
bench-analytics-ingest: services ## bench: 10M events through JetStream and the ingester into ClickHouse vs a raw insert; lag
	@$(BENCH) analytics-ingest
bench-dashboard: services ## bench: each dashboard field over the loaded events, cold and cached
	@$(BENCH) dashboard

.PHONY: clean
clean: ## remove build output
	rm -rf bin
