#!/usr/bin/env bash
# Runs every check CI runs: gofmt, go vet and go test -race over every
# package, with a throwaway PostgreSQL cluster for the store tests (started
# here, on 127.0.0.1, and stopped and removed when the script exits, also
# when a test fails). Set KLAGE_TEST_POSTGRES_DSN to use a database of your
# own instead. Usage: bash scripts/test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."

# Build with the toolchain go.mod names (a patch release with the standard
# library's security fixes), which the module proxy serves, even where the
# installed Go defaults to GOTOOLCHAIN=local.
export GOTOOLCHAIN="${GOTOOLCHAIN_FOR_TESTS:-auto}"

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt: these files need formatting:" >&2
	echo "$unformatted" >&2
	exit 1
fi

echo "== go vet"
go vet ./...

if [ -z "${KLAGE_TEST_POSTGRES_DSN:-}" ]; then
	echo "== postgres"
	source scripts/postgres.sh
	pg_start
fi
export KLAGE_REQUIRE_POSTGRES=1

echo "== go test -race"
go test -race -count=1 "$@" ./...
