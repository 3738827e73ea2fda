#!/usr/bin/env bash
# Bring up the servers shopgraph needs, on loopback, without systemd or Docker.
# Used by `make run`, `make test` and `make bench`; safe to run any number of times.
#
#   scripts/services.sh                    all four servers
#   scripts/services.sh postgres-start     only PostgreSQL  (127.0.0.1:5432)
#   scripts/services.sh postgres-replica-start   a streaming replica of it (127.0.0.1:5433)
#   scripts/services.sh postgres-replica-stop    stop the replica (it catches up when started again)
#   scripts/services.sh postgres-replica-remove  stop it, delete its data and replication slot
#   scripts/services.sh redis-start        only Redis       (127.0.0.1:6379)
#   scripts/services.sh nats-start         only NATS + JetStream (127.0.0.1:4222)
#   scripts/services.sh clickhouse-start   only ClickHouse  (127.0.0.1:9000 native, 8123 http)
#   scripts/services.sh chromium           install Debian's chromium for the browser tests
#   scripts/services.sh packages           install, in one apt-get run, every missing package
#                                          that the servers and the browser tests need
#
# A server that already answers is left alone. Otherwise its Debian package is
# installed if missing (as root; one `apt-get update` per run at most) and it is
# started in the background, then the script waits up to SERVICES_WAIT_SECS
# (default 60) seconds for it to answer.
#
# With no argument, SKIP_POSTGRES=1, SKIP_REDIS=1, SKIP_NATS=1 or SKIP_CLICKHOUSE=1
# leave that server out.
#
# ClickHouse runs with the project's own config (deploy/clickhouse/config.xml):
# data in /var/lib/shopgraph/clickhouse/, logs in /var/log/shopgraph/, and the pid
# of a server started here in /var/lib/shopgraph/clickhouse-server.pid (a test can
# `kill "$(cat /var/lib/shopgraph/clickhouse-server.pid)"`, then call clickhouse-start).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WAIT_SECS=${SERVICES_WAIT_SECS:-60}
LOG_DIR=/var/log/shopgraph
APT_LOG=$LOG_DIR/apt.log

CH_CONFIG=$ROOT/deploy/clickhouse/config.xml
CH_DATA=/var/lib/shopgraph/clickhouse
CH_PIDFILE=/var/lib/shopgraph/clickhouse-server.pid
CH_OUT=$LOG_DIR/clickhouse.out
CH_PID=""

export DEBIAN_FRONTEND=noninteractive

# ---------------------------------------------------------------- helpers

die() {
	printf 'services.sh: %s\n' "$1" >&2
	shift
	local f
	for f in "$@"; do
		if [[ -s $f ]]; then
			printf -- '--- last lines of %s:\n' "$f" >&2
			tail -n 15 "$f" >&2 || true
		fi
	done
	exit 1
}

need_root() {
	[[ $EUID -eq 0 ]] || die "$1: must run as root to $2"
}

# tcp_open PORT: something accepts connections on 127.0.0.1:PORT.
tcp_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_for NAME CHECK_FUNCTION PID LOGFILE...: poll CHECK_FUNCTION until it
# succeeds; fail after WAIT_SECS, or at once if PID (when not empty) has exited.
wait_for() {
	local name=$1 check=$2 pid=$3
	shift 3
	local deadline=$((SECONDS + WAIT_SECS))
	until "$check"; do
		if [[ -n $pid ]] && ! pid_running "$pid"; then
			die "$name: the server exited during start-up" "$@"
		fi
		if ((SECONDS >= deadline)); then
			die "$name: still not answering on 127.0.0.1 after ${WAIT_SECS}s" "$@"
		fi
		sleep 0.2
	done
}

pkg_installed() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

APT_UPDATED=0
POLICY_RC_D_CREATED=0

cleanup() {
	if ((POLICY_RC_D_CREATED)); then
		rm -f /usr/sbin/policy-rc.d
	fi
}
trap cleanup EXIT

# apt_install NAME PACKAGE...: install the packages that are missing. The
# packages' maintainer scripts are kept from starting the servers with the
# distribution's config (policy-rc.d): this script starts them itself.
apt_install() {
	local name=$1 p missing=()
	shift
	for p in "$@"; do
		pkg_installed "$p" || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	need_root "$name" "install ${missing[*]}"
	command -v apt-get >/dev/null || die "$name: apt-get not found; install ${missing[*]} by hand"
	mkdir -p "$LOG_DIR"
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		POLICY_RC_D_CREATED=1
	fi
	local apt=(apt-get -q -o DPkg::Lock::Timeout=600)
	if ((!APT_UPDATED)); then
		"${apt[@]}" update >>"$APT_LOG" 2>&1 || die "$name: apt-get update failed" "$APT_LOG"
		APT_UPDATED=1
	fi
	# C.UTF-8: a PostgreSQL cluster created by the package gets UTF8 encoding.
	LANG=C.UTF-8 LC_ALL=C.UTF-8 "${apt[@]}" install -y --no-install-recommends "${missing[@]}" \
		>>"$APT_LOG" 2>&1 || die "$name: apt-get install ${missing[*]} failed" "$APT_LOG"
	INSTALLED=1
}

INSTALLED=0
# report NAME STARTED [EXTRA]: the one line printed per server.
report() {
	local what="already running"
	if (($2)); then
		what=started
		((INSTALLED)) && what="installed and started"
	fi
	printf '%s: %s%s\n' "$1" "$what" "${3:+ ($3)}"
	INSTALLED=0
}

# ---------------------------------------------------------------- PostgreSQL

pg_bin() { # newest installed server's binary directory
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[[ -n $d ]] && printf '%s\n' "$d"
}

pg_ready() {
	local bin
	if bin=$(pg_bin) && [[ -x $bin/pg_isready ]]; then
		"$bin/pg_isready" -q -h 127.0.0.1 -p 5432 -t 2
	else
		tcp_open 5432
	fi
}

# Role and database shopgraph, through the local socket as the postgres OS user
# (peer auth on a stock Debian; trust works as well). Prints what it created.
pg_ensure_role_db() {
	if [[ $EUID -ne 0 ]] || ! id postgres >/dev/null 2>&1 || ! command -v psql >/dev/null; then
		echo "role/database not checked: needs root and a local postgres user"
		return 0
	fi
	local out
	out=$(cd / && su -s /bin/sh postgres -c \
		'exec env -i PATH=/usr/bin:/bin LANG=C.UTF-8 psql -X -q -A -t -v ON_ERROR_STOP=1 -h /var/run/postgresql -p 5432 -U postgres -d postgres' \
		2>&1 <<'SQL'
SELECT 'created role shopgraph' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shopgraph');
SELECT 'CREATE ROLE shopgraph LOGIN CREATEDB PASSWORD ''shopgraph'''
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shopgraph') \gexec
SELECT 'ALTER ROLE shopgraph LOGIN CREATEDB' FROM pg_roles
 WHERE rolname = 'shopgraph' AND NOT (rolcanlogin AND rolcreatedb) \gexec
SELECT 'ALTER ROLE shopgraph PASSWORD ''shopgraph''' FROM pg_authid
 WHERE rolname = 'shopgraph' AND rolpassword IS NULL \gexec
SELECT 'created database shopgraph' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'shopgraph');
SELECT CASE WHEN (SELECT encoding FROM pg_database WHERE datname = 'template1') = pg_char_to_encoding('UTF8')
            THEN 'CREATE DATABASE shopgraph OWNER shopgraph'
            ELSE 'CREATE DATABASE shopgraph OWNER shopgraph TEMPLATE template0 ENCODING ''UTF8'' LOCALE ''C.UTF-8'''
       END
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'shopgraph') \gexec
SELECT 'ALTER DATABASE shopgraph OWNER TO shopgraph' FROM pg_database
 WHERE datname = 'shopgraph' AND datdba <> (SELECT oid FROM pg_roles WHERE rolname = 'shopgraph') \gexec
SQL
	) || die "postgres: creating role/database shopgraph failed: $out"
	printf '%s\n' "${out//$'\n'/, }"
}

postgres_start() {
	local started=0 ver log
	if ! pg_ready; then
		if ! tcp_open 5432; then
			need_root postgres "start PostgreSQL"
			if [[ -z $(pg_bin) ]] || ! command -v pg_ctlcluster >/dev/null; then
				apt_install postgres postgresql
			fi
			ver=$(ls /etc/postgresql 2>/dev/null | sort -V | head -n 1)
			if [[ -z $ver || ! -d /etc/postgresql/$ver/main ]]; then
				[[ -n $ver ]] || ver=$(basename "$(dirname "$(pg_bin)")")
				LANG=C.UTF-8 LC_ALL=C.UTF-8 pg_createcluster "$ver" main >/dev/null 2>&1 ||
					die "postgres: pg_createcluster $ver main failed"
			fi
			log=/var/log/postgresql/postgresql-$ver-main.log
			# Fails with "already running" if it is up on another port: the wait reports it.
			pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 || true
		fi
		wait_for postgres pg_ready "" ${log:+"$log"}
		started=1
	fi
	local extra
	extra=$(pg_ensure_role_db) || exit 1
	report postgres "$started" "$extra"
}

# ---------------------------------------------------------------- PostgreSQL replica

# A hot standby of the local PostgreSQL (port 5432), made by pg_basebackup into its own
# data directory and streaming from a physical replication slot, so that it catches up
# after being stopped. It has no config of its own in /etc: its postgresql.conf sits in
# its data directory, with the primary's hba rules copied beside it.
REPLICA_DATA=/var/lib/shopgraph/pg-replica
REPLICA_PORT=5433
REPLICA_LOG=$LOG_DIR/pg-replica.log
REPLICA_SLOT=shopgraph_replica
REPLICA_ROLE=shopgraph_replicator
REPLICA_PASSWORD=shopgraph_replicator

# as_postgres COMMAND...: runs the command as the postgres OS user, from /.
as_postgres() {
	(cd / && su -s /bin/bash postgres -c "$(printf '%q ' "$@")")
}

# primary_sql SQL: runs SQL on the primary as the postgres superuser, prints the rows.
primary_sql() {
	as_postgres env -i PATH=/usr/bin:/bin LANG=C.UTF-8 psql -X -q -A -t -v ON_ERROR_STOP=1 \
		-h /var/run/postgresql -p 5432 -U postgres -d postgres -c "$1"
}

replica_ready() {
	"$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$REPLICA_PORT" -t 2
}

# The replication role, its hba rule (a stock Debian cluster's rules do not cover the
# replication pseudo-database over TCP), and the slot.
replica_prepare_primary() {
	primary_sql "DO \$\$ BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$REPLICA_ROLE') THEN
			CREATE ROLE $REPLICA_ROLE LOGIN REPLICATION PASSWORD '$REPLICA_PASSWORD';
		END IF; END \$\$" >/dev/null || die "postgres-replica: creating role $REPLICA_ROLE failed"
	local hba
	hba=$(primary_sql 'SHOW hba_file') || die "postgres-replica: cannot read hba_file"
	if ! grep -Eq "^host[[:space:]]+replication[[:space:]]+$REPLICA_ROLE[[:space:]]" "$hba"; then
		# Before the other rules: the first matching line decides.
		local tmp
		tmp=$(mktemp)
		{
			printf '# shopgraph streaming replica (scripts/services.sh)\n'
			printf 'host replication %s 127.0.0.1/32 scram-sha-256\n' "$REPLICA_ROLE"
			cat "$hba"
		} >"$tmp"
		cat "$tmp" >"$hba" && rm -f "$tmp"
		primary_sql 'SELECT pg_reload_conf()' >/dev/null || die "postgres-replica: reloading the primary's config failed"
	fi
}

replica_create() {
	local bin
	bin=$(pg_bin)
	replica_prepare_primary
	mkdir -p "$(dirname "$REPLICA_DATA")" "$LOG_DIR"
	rm -rf "$REPLICA_DATA.tmp"
	install -d -o postgres -g postgres -m 700 "$REPLICA_DATA.tmp"
	local slot_flags=(-C -S "$REPLICA_SLOT")
	if [[ $(primary_sql "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$REPLICA_SLOT'") != 0 ]]; then
		slot_flags=(-S "$REPLICA_SLOT")
	fi
	# --checkpoint=fast: the default spreads the backup's checkpoint over most of
	# checkpoint_timeout, which kept a fresh machine's first `make test` waiting 4.5 minutes.
	as_postgres env -i PATH=/usr/bin:/bin PGPASSWORD="$REPLICA_PASSWORD" "$bin/pg_basebackup" \
		-h 127.0.0.1 -p 5432 -U "$REPLICA_ROLE" -D "$REPLICA_DATA.tmp" -X stream -R --checkpoint=fast "${slot_flags[@]}" \
		>>"$REPLICA_LOG" 2>&1 || die "postgres-replica: pg_basebackup failed" "$REPLICA_LOG"
	# A hot standby needs at least the primary's values of these.
	local settings
	settings=$(primary_sql "SELECT name || ' = ' || setting FROM pg_settings WHERE name IN
		('max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction')") ||
		die "postgres-replica: reading the primary's settings failed"
	cp "$(primary_sql 'SHOW hba_file')" "$REPLICA_DATA.tmp/pg_hba.conf"
	cp "$(primary_sql 'SHOW ident_file')" "$REPLICA_DATA.tmp/pg_ident.conf"
	cat >"$REPLICA_DATA.tmp/postgresql.conf" <<CONF
# shopgraph's streaming replica of the local PostgreSQL (scripts/services.sh).
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '/var/run/postgresql'
hot_standby = on
hot_standby_feedback = on
shared_buffers = 128MB
hba_file = '$REPLICA_DATA/pg_hba.conf'
ident_file = '$REPLICA_DATA/pg_ident.conf'
$settings
CONF
	chown -R postgres:postgres "$REPLICA_DATA.tmp"
	mv "$REPLICA_DATA.tmp" "$REPLICA_DATA"
}

postgres_replica_start() {
	local started=0
	need_root postgres-replica "start the replica"
	pg_ready || postgres_start >/dev/null
	if ! replica_ready; then
		[[ -s $REPLICA_DATA/standby.signal || -s $REPLICA_DATA/PG_VERSION ]] || replica_create
		[[ -e $REPLICA_DATA/standby.signal ]] || die "postgres-replica: $REPLICA_DATA is not a standby's data directory"
		if ! tcp_open "$REPLICA_PORT"; then
			mkdir -p "$LOG_DIR"
			touch "$REPLICA_LOG" && chown postgres:postgres "$REPLICA_LOG"
			as_postgres "$(pg_bin)/pg_ctl" -D "$REPLICA_DATA" -l "$REPLICA_LOG" -w -t "$WAIT_SECS" start >/dev/null ||
				die "postgres-replica: pg_ctl start failed" "$REPLICA_LOG"
		fi
		wait_for postgres-replica replica_ready "" "$REPLICA_LOG"
		started=1
	fi
	report postgres-replica "$started" "port $REPLICA_PORT, data $REPLICA_DATA"
}

postgres_replica_stop() {
	need_root postgres-replica "stop the replica"
	if [[ -e $REPLICA_DATA/postmaster.pid ]]; then
		as_postgres "$(pg_bin)/pg_ctl" -D "$REPLICA_DATA" -m fast -w -t "$WAIT_SECS" stop >/dev/null ||
			die "postgres-replica: pg_ctl stop failed" "$REPLICA_LOG"
		echo "postgres-replica: stopped"
	else
		echo "postgres-replica: not running"
	fi
}

postgres_replica_remove() {
	postgres_replica_stop
	rm -rf "$REPLICA_DATA" "$REPLICA_DATA.tmp"
	if pg_ready; then
		primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$REPLICA_SLOT'" >/dev/null || true
	fi
	echo "postgres-replica: removed"
}

# ---------------------------------------------------------------- Redis

redis_ready() {
	if command -v redis-cli >/dev/null; then
		[[ $(timeout 5 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null) == PONG ]]
	else
		(
			exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 &&
				IFS= read -r -t 3 line <&3 && [[ $line == +PONG* ]]
		) 2>/dev/null
	fi
}

redis_start() {
	local started=0
	if ! redis_ready; then
		if ! tcp_open 6379; then
			need_root redis "start Redis"
			command -v redis-server >/dev/null || apt_install redis redis-server
			mkdir -p /var/lib/redis /var/log/redis
			redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
				--dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null ||
				die "redis: redis-server failed to start" /var/log/redis/ci.log
		fi
		wait_for redis redis_ready "" /var/log/redis/ci.log
		started=1
	fi
	report redis "$started"
}

# ---------------------------------------------------------------- NATS

# The server's greeting is one INFO line; JetStream must be on.
nats_info() {
	(
		exec 3<>/dev/tcp/127.0.0.1/4222 && IFS= read -r -t 3 line <&3 && printf '%s\n' "$line"
	) 2>/dev/null
}

nats_ready() {
	local info
	info=$(nats_info) || return 1
	[[ $info == INFO* ]] || return 1
	[[ $info == *'"jetstream":true'* ]] ||
		die "nats: the server on 127.0.0.1:4222 runs without JetStream; restart it with -js"
}

nats_start() {
	local started=0
	if ! nats_ready; then
		if ! tcp_open 4222; then
			need_root nats "start nats-server"
			[[ -x /usr/sbin/nats-server ]] || apt_install nats nats-server
			mkdir -p /var/lib/nats-server
			start-stop-daemon --start --quiet --oknodo --background --exec /usr/sbin/nats-server -- \
				-a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log ||
				die "nats: start-stop-daemon failed" /var/log/nats-server.log
		fi
		wait_for nats nats_ready "" /var/log/nats-server.log
		started=1
	fi
	report nats "$started"
}

# ---------------------------------------------------------------- ClickHouse

ch_client() {
	timeout 30 clickhouse-client --host 127.0.0.1 --port 9000 --user default --query "$1" 2>/dev/null
}

# With clickhouse-client this never opens a bare TCP connection to 9000: the
# server logs a warning for every client that connects and sends nothing.
ch_ready() {
	if command -v clickhouse-client >/dev/null; then
		[[ $(ch_client 'SELECT 1') == 1 ]]
	else
		tcp_open 9000
	fi
}

ch_ensure_db() {
	command -v clickhouse-client >/dev/null || return 0
	ch_client 'CREATE DATABASE IF NOT EXISTS shopgraph' >/dev/null
}

# Fast path when it runs: one client call that also creates the database.
ch_up_with_db() {
	if command -v clickhouse-client >/dev/null; then
		ch_client 'CREATE DATABASE IF NOT EXISTS shopgraph' >/dev/null
	else
		tcp_open 9000
	fi
}

ch_server_bin() {
	local b
	for b in /usr/sbin/clickhouse-server /usr/bin/clickhouse-server; do
		[[ -x $b ]] && { printf '%s\n' "$b"; return 0; }
	done
	return 1
}

# pid_running PID: the process exists and is not a zombie (orphans may be
# reparented to a process that never reaps them).
pid_running() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

# Prints the pid of the server a previous run started, if it still runs.
ch_old_pid() {
	local pid
	pid=$(cat "$CH_PIDFILE" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] && pid_running "$pid" &&
		grep -qa clickhouse-server "/proc/$pid/cmdline" 2>/dev/null && printf '%s\n' "$pid"
}

ch_launch() {
	local bin
	need_root clickhouse "start clickhouse-server"
	if ! ch_server_bin >/dev/null || ! command -v clickhouse-client >/dev/null; then
		apt_install clickhouse clickhouse-server clickhouse-client
	fi
	bin=$(ch_server_bin) || die "clickhouse: no clickhouse-server binary after install"
	[[ -r $CH_CONFIG ]] || die "clickhouse: missing $CH_CONFIG"
	mkdir -p "$CH_DATA" "$LOG_DIR"
	# Runs as root (18.16 allows it), so root owns the data directory.
	(cd / && exec setsid "$bin" --config-file="$CH_CONFIG") >"$CH_OUT" 2>&1 </dev/null &
	CH_PID=$!
	printf '%s\n' "$CH_PID" >"$CH_PIDFILE"
}

clickhouse_start() {
	local started=0 pid deadline
	if ch_up_with_db; then
		report clickhouse 0
		return 0
	fi
	# A server started by an earlier run that does not answer is starting up or
	# shutting down: wait until it answers or exits.
	if pid=$(ch_old_pid); then
		deadline=$((SECONDS + WAIT_SECS))
		while pid_running "$pid" && ! ch_ready; do
			((SECONDS < deadline)) ||
				die "clickhouse: pid $pid neither answers nor exits after ${WAIT_SECS}s" "$CH_OUT" "$LOG_DIR/clickhouse-server.err.log"
			sleep 0.2
		done
	fi
	if ! ch_ready; then
		if tcp_open 9000; then # someone else's server, still starting
			wait_for clickhouse ch_ready "" "$LOG_DIR/clickhouse-server.err.log"
		else
			ch_launch
			wait_for clickhouse ch_ready "$CH_PID" "$CH_OUT" "$LOG_DIR/clickhouse-server.err.log"
		fi
		started=1
	fi
	ch_ensure_db || die "clickhouse: CREATE DATABASE shopgraph failed" "$LOG_DIR/clickhouse-server.err.log"
	report clickhouse "$started"
}

# ---------------------------------------------------------------- Chromium

# The browser tests (web/browser_test.go) drive Debian's chromium headless; nothing runs.
chromium_install() {
	if command -v chromium >/dev/null; then
		echo "chromium: already installed"
		return 0
	fi
	apt_install chromium chromium
	command -v chromium >/dev/null || die "chromium: no chromium binary after install"
	echo "chromium: installed"
}

# ---------------------------------------------------------------- all packages at once

# One apt-get update and one apt-get install for everything missing, instead of one per
# server: apt fetches the packages over one connection while dpkg is busy, and a fresh
# machine saves a second index download. The servers are not started here.
packages_install() {
	local want=()
	if [[ -z $(pg_bin) ]] || ! command -v pg_ctlcluster >/dev/null; then
		want+=(postgresql)
	fi
	command -v redis-server >/dev/null || want+=(redis-server)
	[[ -x /usr/sbin/nats-server ]] || want+=(nats-server)
	if ! ch_server_bin >/dev/null || ! command -v clickhouse-client >/dev/null; then
		want+=(clickhouse-server clickhouse-client)
	fi
	command -v chromium >/dev/null || want+=(chromium)
	if ((${#want[@]} == 0)); then
		echo "packages: all installed"
		return 0
	fi
	apt_install packages "${want[@]}"
	echo "packages: installed ${want[*]}"
}

# ---------------------------------------------------------------- main

usage() { # usage EXIT_CODE
	sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit "$1"
}

case ${1:-all} in
all)
	for svc in postgres redis nats clickhouse; do
		var=SKIP_${svc^^}
		if [[ ${!var:-0} == 1 ]]; then
			echo "$svc: skipped ($var=1)"
		else
			"${svc}_start"
		fi
	done
	;;
postgres-start) postgres_start ;;
postgres-replica-start) postgres_replica_start ;;
postgres-replica-stop) postgres_replica_stop ;;
postgres-replica-remove) postgres_replica_remove ;;
redis-start) redis_start ;;
nats-start) nats_start ;;
clickhouse-start) clickhouse_start ;;
chromium) chromium_install ;;
packages) packages_install ;;
-h | --help | help) usage 0 ;;
*)
	echo "services.sh: unknown command: $1" >&2
	usage 2 >&2
	;;
esac
