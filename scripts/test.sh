#!/usr/bin/env bash
# `make test`: every test, on a machine that may have nothing installed yet.
#
# The servers include a streaming replica of PostgreSQL on 5433, for the read-replica tests.
#
# Setting up is mostly waiting on the network (Debian packages, npm) and compiling is
# all CPU, so they overlap: the servers and chromium (for the browser tests, which must
# run here: SHOPGRAPH_BROWSER_TESTS=require) are installed and started, and the ClickHouse
# SQL is checked on a current engine (scripts/chdb-check.mjs), while Go downloads the
# modules and compiles every package and test with the race detector (go vet -race,
# whose build the tests reuse), and gqlgen, which a test runs. The tests start once both the build and the servers are
# ready. Each step's output is printed when it ends, with how long it took; the script
# fails when any step does.
#
# TEST_FLAGS adds flags to go test (for example TEST_FLAGS='-run Checkout -v').
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
GO=${GO:-go}
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT
start=$SECONDS

# step NAME COMMAND...: runs the command in the background, its output to a log.
declare -A PIDS=()
step() {
	local name=$1
	shift
	(
		t0=$SECONDS
		"$@" >"$LOGS/$name.log" 2>&1
		rc=$?
		echo "$rc $((SECONDS - t0))" >"$LOGS/$name.rc"
		exit "$rc"
	) &
	PIDS[$name]=$!
}

# finish NAME: waits for the step, prints its output and reports how it ended.
failed=()
finish() {
	local name=$1 rc secs
	wait "${PIDS[$name]}"
	read -r rc secs <"$LOGS/$name.rc"
	cat "$LOGS/$name.log"
	if ((rc == 0)); then
		printf '== %s: ok in %ss\n' "$name" "$secs"
	else
		printf '== %s: FAILED (exit %s) after %ss\n' "$name" "$rc" "$secs"
		failed+=("$name")
	fi
	return "$rc"
}

# timed CMD...: runs the command, then says how long it took (the set-up's parts).
timed() {
	local t0=$SECONDS
	"$@" || return
	printf '   (%s: %ss)\n' "$*" "$((SECONDS - t0))"
}
export -f timed
step services bash -c "timed scripts/services.sh packages && timed scripts/services.sh && timed scripts/services.sh postgres-replica-start && timed scripts/services.sh chromium"
step chdb node scripts/chdb-check.mjs
# Beyond the race build, gqlgen is built here with the race detector's flags, as
# TestGeneratedCodeIsFresh runs it. (The three-process test builds shopgraph with the
# race detector too, from the packages compiled here: a plain build would compile every
# package again.)
step build bash -c "timed $GO mod download && timed $GO vet -race ./... &&
	GOFLAGS=-race timed $GO build -o /dev/null github.com/99designs/gqlgen"

finish build
finish services
if ((${#failed[@]} == 0)); then
	t0=$SECONDS
	# shellcheck disable=SC2086 # TEST_FLAGS is a list of flags
	if SHOPGRAPH_BROWSER_TESTS=require $GO test -race -count=1 -timeout 15m ${TEST_FLAGS:-} ./...; then
		printf '== go test: ok in %ss\n' "$((SECONDS - t0))"
	else
		printf '== go test: FAILED after %ss\n' "$((SECONDS - t0))"
		failed+=("go test")
	fi
fi
finish chdb

if ((${#failed[@]})); then
	printf '== make test: FAILED (%s) after %ss\n' "${failed[*]}" "$((SECONDS - start))"
	exit 1
fi
printf '== make test: every step passed in %ss\n' "$((SECONDS - start))"
