#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for klage's tests, on 127.0.0.1 only.
#
# Source it, then call pg_start: it installs PostgreSQL with apt-get when it
# is missing, creates a cluster in a temporary folder as the postgres user
# (initdb and pg_ctl refuse to run as root), starts it on a free port,
# creates the database klage_test, exports KLAGE_TEST_POSTGRES_DSN and
# KLAGE_REQUIRE_POSTGRES=1, and arranges for pg_stop to stop the server and
# remove the folder when the calling shell exits, however it exits.
#
# Run on its own ("bash scripts/postgres.sh") it starts a cluster, prints
# the DSN and keeps it until you press Enter.

pg_bindir() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

pg_install() {
	echo "postgres: PostgreSQL is not installed; installing it with apt-get" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq postgresql >&2
}

# pg_free_port prints a TCP port on 127.0.0.1 that nothing listens on.
pg_free_port() {
	local port
	for _ in $(seq 1 100); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	echo "postgres: no free port found" >&2
	return 1
}

# pg_as runs a command as the postgres user when we are root.
pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	local bindir port
	bindir=$(pg_bindir) || { pg_install && bindir=$(pg_bindir); } || {
		echo "postgres: cannot find initdb after installing PostgreSQL" >&2
		return 1
	}
	PG_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/klage-pg.XXXXXX")
	trap pg_stop EXIT
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$PG_TMPDIR"
	fi
	PG_BINDIR=$bindir
	port=$(pg_free_port)
	pg_as "$bindir/initdb" -D "$PG_TMPDIR/data" -U postgres -A trust -E UTF8 --no-sync >"$PG_TMPDIR/initdb.log" 2>&1 || {
		cat "$PG_TMPDIR/initdb.log" >&2
		return 1
	}
	pg_as "$bindir/pg_ctl" -D "$PG_TMPDIR/data" -l "$PG_TMPDIR/server.log" -w -t 60 \
		-o "-p $port -k $PG_TMPDIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null || {
		cat "$PG_TMPDIR/server.log" >&2
		return 1
	}
	pg_as "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres klage_test
	export KLAGE_TEST_POSTGRES_DSN="postgres://postgres@127.0.0.1:$port/klage_test?sslmode=disable"
	export KLAGE_REQUIRE_POSTGRES=1
	echo "postgres: throwaway cluster on 127.0.0.1:$port" >&2
}

pg_stop() {
	if [ -n "${PG_TMPDIR:-}" ] && [ -d "$PG_TMPDIR" ]; then
		if [ -f "$PG_TMPDIR/data/postmaster.pid" ]; then
			pg_as "$PG_BINDIR/pg_ctl" -D "$PG_TMPDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
		fi
		rm -rf "$PG_TMPDIR"
		echo "postgres: cluster stopped and removed" >&2
	fi
	PG_TMPDIR=
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	pg_start
	echo "KLAGE_TEST_POSTGRES_DSN=$KLAGE_TEST_POSTGRES_DSN"
	read -r -p "press Enter to stop it " _ || true
fi
