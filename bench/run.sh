#!/usr/bin/env bash
# bench/run.sh [WORKLOAD[,WORKLOAD...]|all]: what `make bench` and `make bench-<workload>` run.
#
# Brings up the servers (scripts/services.sh, unless BENCH_SKIP_SERVICES=1), builds
# bin/shopgraph without the race detector, makes sure the database shopgraph_bench
# exists, is migrated and seeded (only when empty) and has the bench's admin, starts
# shopgraph on a free loopback port with that database, Redis database 13 and ClickHouse
# database shopgraph_bench, waits for /readyz, runs the workloads with bench/cmd/bench
# (the table goes to bench/results.md), and stops shopgraph. Its log is in
# bench/.out/shopgraph.log.
#
# Settings: BENCH_PG (postgres://shopgraph:shopgraph@127.0.0.1:5432), BENCH_DATABASE
# (shopgraph_bench), BENCH_REDIS_URL, BENCH_CLICKHOUSE_URL, NATS_URL, BENCH_FLAGS (more
# flags for cmd/bench, such as "-duration 15s -rounds 3"; see `go run ./cmd/bench -help`
# in bench/), BENCH_TIMEOUT (seconds, default 840), BENCH_REF (build shopgraph from this git
# ref, read with `git archive`, instead of the working tree: BENCH_REF=HEAD measures the
# last commit while the tree is being edited), BENCH_PROFILE=1 (after each comparison, one
# more round under pprof from shopgraph's ADMIN_ADDR, into bench/.out/profiles/),
# BENCH_BIN (measure this shopgraph binary instead of building one).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
WORKLOADS=${1:-all}
GO=${GO:-go}
export PATH=$PATH:/usr/local/go/bin
OUT=$ROOT/bench/.out
BIN=$ROOT/bin/shopgraph
mkdir -p "$OUT"

PG=${BENCH_PG:-postgres://shopgraph:shopgraph@127.0.0.1:5432}
DB=${BENCH_DATABASE:-shopgraph_bench}
export DATABASE_URL="$PG/$DB?sslmode=disable"
# The bench gets a Redis database number of its own and the default NATS subjects (its
# order-tracking tap listens on them). One load generator on one address would exhaust a
# caller's query-cost budget at once: the bench measures with the cost rate limit off
# (the per-operation limits stay on).
export QUERY_COST_RATE=0
export REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/13}
export CLICKHOUSE_URL=${BENCH_CLICKHOUSE_URL:-clickhouse://default:@127.0.0.1:9000/shopgraph_bench}
export NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
export JWT_SECRET=bench-only-secret-0123456789abcdef0123456789
export BENCH_ADMIN_EMAIL=bench-admin@shopgraph.example
export BENCH_ADMIN_PASSWORD=bench-admin-password
export SHOPGRAPH_BIN=$BIN

echo "bench: open files limit $(ulimit -n)"
if [[ ${BENCH_SKIP_SERVICES:-0} != 1 ]]; then
	scripts/services.sh
fi
if [[ -n ${BENCH_BIN:-} ]]; then
	BIN=$BENCH_BIN
	echo "bench: measuring the prebuilt $BIN"
	export SHOPGRAPH_BIN=$BIN
elif [[ -n ${BENCH_REF:-} ]]; then
	SRC=$OUT/src
	BIN=$OUT/shopgraph-$(git rev-parse --short "$BENCH_REF")
	echo "bench: building $BENCH_REF (git archive) into ${BIN#"$ROOT"/}, no race detector"
	rm -rf "$SRC" && mkdir -p "$SRC"
	git archive "$BENCH_REF" | tar -x -C "$SRC"
	(cd "$SRC" && $GO build -o "$BIN" .)
	export SHOPGRAPH_BIN=$BIN
else
	echo "bench: building bin/shopgraph (no race detector)"
	$GO build -o "$BIN" .
fi
echo "bench: building the bench tools"
(cd bench && $GO build -o "$OUT/bench" ./cmd/bench)

# shopgraph's ClickHouse migration connects to its database before creating it, so a new
# ClickHouse database is created here.
CH_DB=${CLICKHOUSE_URL##*/}
CH_DB=${CH_DB%%\?*}
if [[ $CH_DB =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && command -v clickhouse-client >/dev/null; then
	clickhouse-client --host 127.0.0.1 --port 9000 --query "CREATE DATABASE IF NOT EXISTS $CH_DB" ||
		echo "bench: could not create ClickHouse database $CH_DB" >&2
fi
"$OUT/bench" prepare

ADDR=$("$OUT/bench" free-addr)
# The admin listener (pprof), on a port of its own: not the default, which another
# shopgraph on this machine may hold. Versions without ADMIN_ADDR ignore it.
export ADMIN_ADDR
ADMIN_ADDR=$("$OUT/bench" free-addr)
echo "bench: starting shopgraph on $ADDR, admin on $ADMIN_ADDR (log: bench/.out/shopgraph.log)"
HTTP_ADDR=$ADDR "$BIN" serve >"$OUT/shopgraph.log" 2>&1 &
SG_PID=$!
stop_shopgraph() {
	if kill -0 "$SG_PID" 2>/dev/null; then
		kill -TERM "$SG_PID" 2>/dev/null || true
		wait "$SG_PID" 2>/dev/null || true
	fi
}
trap stop_shopgraph EXIT

deadline=$((SECONDS + 60))
until curl -fsS -o /dev/null "http://$ADDR/readyz" 2>/dev/null; do
	if ! kill -0 "$SG_PID" 2>/dev/null; then
		echo "bench: shopgraph exited during start-up:" >&2
		tail -n 20 "$OUT/shopgraph.log" >&2
		exit 1
	fi
	if ((SECONDS >= deadline)); then
		echo "bench: shopgraph not ready after 60s:" >&2
		tail -n 20 "$OUT/shopgraph.log" >&2
		exit 1
	fi
	sleep 0.2
done
echo "bench: shopgraph ready (pid $SG_PID)"

FLAGS=(-workload "$WORKLOADS" -url "http://$ADDR" -shopgraph-bin "$BIN" -admin-url "http://$ADMIN_ADDR")
if [[ ${BENCH_PROFILE:-0} == 1 ]]; then
	FLAGS+=(-profile)
fi
# shellcheck disable=SC2086 # BENCH_FLAGS is a list of flags
timeout "${BENCH_TIMEOUT:-840}" "$OUT/bench" "${FLAGS[@]}" ${BENCH_FLAGS:-}
