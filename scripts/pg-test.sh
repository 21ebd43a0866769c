#!/usr/bin/env bash
# pg-test.sh COMMAND...: runs COMMAND with a throwaway PostgreSQL server.
#
# Installs Debian's postgresql package when no server binaries are found
# (as root, through apt-get), creates a cluster with initdb in a temporary
# folder owned by an unprivileged user (Debian's postgres user when run as
# root: initdb refuses root), starts it on a free port of 127.0.0.1 with
# password authentication, exports its DSN as METABENCH_TEST_PG, runs COMMAND,
# then stops the server and removes the folder whatever happens.
#
# When no server can be had, COMMAND still runs without METABENCH_TEST_PG
# (the PostgreSQL tests then skip, saying why) unless CI=true, where that is
# a failure. METABENCH_TEST_PG already set: COMMAND runs against that server.
set -euo pipefail

if [ "$#" -eq 0 ]; then
	echo "usage: scripts/pg-test.sh COMMAND [ARGS...]" >&2
	exit 2
fi
if [ -n "${METABENCH_TEST_PG:-}" ]; then
	exec "$@"
fi

no_server() {
	echo "pg-test: $1" >&2
	shift
	if [ "${CI:-}" = true ]; then
		echo "pg-test: CI=true needs the PostgreSQL server for the store tests; failing" >&2
		exit 1
	fi
	echo "pg-test: running without a server; the PostgreSQL store tests will skip" >&2
	exec "$@"
}

pg_bin() {
	{ ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true; } | sort -V | tail -n 1
}

bin=$(pg_bin)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		no_server "no PostgreSQL server binaries under /usr/lib/postgresql and not root to install them" "$@"
	fi
	echo "pg-test: installing Debian's postgresql package" >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q postgresql >/dev/null 2>&1; then
		apt-get update -q >/dev/null 2>&1 || true
		apt-get install -y -q postgresql >/dev/null 2>&1 || no_server "apt-get install postgresql failed" "$@"
	fi
	bin=$(pg_bin)
	[ -n "$bin" ] || no_server "postgresql installed but no server binaries found" "$@"
fi

# Run as an unprivileged user: ourselves, or Debian's postgres user for root.
as_user() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
	id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
	as_user() { runuser -u postgres -- "$@"; }
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/metabench-pg.XXXXXX")
chmod 755 "$dir"
cleanup() {
	as_user "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

# A fixed password and, when free, a fixed port keep the DSN the same from
# run to run, so that `go test` can cache the results of unchanged packages
# (it keys them on the environment they read). The cluster listens on
# 127.0.0.1 only and lives as long as COMMAND.
password=${METABENCH_TEST_PG_PASSWORD:-metabench-test-pw}
printf '%s\n' "$password" >"$dir/pwfile"
mkdir "$dir/data" "$dir/socket"
if [ "$(id -u)" -eq 0 ]; then
	chown -R postgres "$dir"
fi
as_user "$bin/initdb" -D "$dir/data" -U metabench --pwfile="$dir/pwfile" \
	--auth-host=scram-sha-256 --auth-local=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
	{ cat "$dir/initdb.log" >&2; no_server "initdb failed" "$@"; }
rm -f "$dir/pwfile"

# A throwaway cluster: durability is not what the tests check.
started=""
for try in 1 2 3 4 5 6 7 8; do
	port=54329
	[ "$try" -eq 1 ] || port=$((20000 + RANDOM % 30000))
	if as_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		-o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/socket -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null 2>&1; then
		started=yes
		break
	fi
done
if [ -z "$started" ]; then
	cat "$dir/server.log" >&2 || true
	no_server "the server did not start" "$@"
fi

export METABENCH_TEST_PG="postgres://metabench:$password@127.0.0.1:$port/postgres?sslmode=disable"
echo "pg-test: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (cluster in $dir)" >&2
set +e
"$@"
rc=$?
set -e
exit "$rc"
