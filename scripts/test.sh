#!/usr/bin/env bash
# Runs every check CI runs: gofmt, go vet, golangci-lint, govulncheck and
# go test -race over every package, with Debian's chromium for the
# dashboard's and the customer's page's browser tests (installed with
# apt-get when missing; axe-core with npm) and a
# throwaway PostgreSQL cluster for the store tests (started here, on 127.0.0.1, and stopped and removed
# when the script exits, also when a test fails). Set KLAGE_TEST_POSTGRES_DSN to use a database of your
# own instead. Usage: bash scripts/test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."

# Build with the toolchain go.mod names (a patch release with the standard
# library's security fixes), which the module proxy serves, even where the
# installed Go defaults to GOTOOLCHAIN=local.
export GOTOOLCHAIN="${GOTOOLCHAIN_FOR_TESTS:-auto}"

echo "== tracked files"
# Build outputs (binaries, profiles, databases) do not belong in git: every
# go get of the module would download them. Refuse any tracked file over 1 MB.
big=$(git ls-files -z 2>/dev/null | xargs -0 -r stat -c '%s %n' | awk '$1 > 1048576 {print $2 " (" $1 " bytes)"}')
if [ -n "$big" ]; then
	echo "tracked files over 1 MB (build outputs? git rm --cached them):" >&2
	echo "$big" >&2
	exit 1
fi

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt: these files need formatting:" >&2
	echo "$unformatted" >&2
	exit 1
fi

# Two modules: the library (here) and e2e, its end-to-end tests, a module
# of its own so that their tools (chromedp, kin-openapi, an SMTP server)
# stay out of the dependency graph of a module that imports klage.
echo "== go vet"
go vet ./...
(cd e2e && go vet ./...)

echo "== golangci-lint"
# The linters and their reasoned exclusions are in .golangci.yml.
go run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0 run ./...
(cd e2e && go run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0 run --config ../.golangci.yml ./...)

echo "== govulncheck"
# The vulnerability database is built here from the golang.org/x/vulndb
# module, which the module proxy serves, with that module's own gendb
# command: no other network is needed. gendb reads a git repository, so
# the module's data is committed to a throwaway one first.
(
	set -euo pipefail
	vulndb_version=v0.0.0-20261105234957-e22db6528018
	work=$(mktemp -d)
	trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
	src=$(go mod download -json "golang.org/x/vulndb@$vulndb_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	mkdir -p "$work/repo"
	cp -r "$src/data" "$work/repo/"
	chmod -R u+w "$work/repo"
	git -C "$work/repo" init -q
	git -C "$work/repo" add -A
	git -C "$work/repo" -c user.name=klage -c user.email=ci@klage.invalid commit -qm "vulndb $vulndb_version"
	go run "golang.org/x/vulndb/cmd/gendb@$vulndb_version" -repo "$work/repo" -out "$work/db"
	go run golang.org/x/vuln/cmd/govulncheck@v1.9.0 -db "file://$work/db" ./...
	(cd e2e && go run golang.org/x/vuln/cmd/govulncheck@v1.9.0 -db "file://$work/db" ./...)
)

echo "== spectral lint"
# The OpenAPI document, which clients are generated from, passes the
# spectral:oas ruleset with no warning (.spectral.yaml). Spectral comes
# from the npm registry, installed once into a cache folder.
spectral_version=6.16.3
spectral_dir="${XDG_CACHE_HOME:-$HOME/.cache}/klage/spectral-$spectral_version"
if [ ! -x "$spectral_dir/node_modules/.bin/spectral" ]; then
	command -v npm >/dev/null 2>&1 || { echo "npm is needed to install spectral: install node and npm" >&2; exit 1; }
	npm install --prefix "$spectral_dir" --no-save --no-audit --no-fund --silent "@stoplight/spectral-cli@$spectral_version" >&2
fi
"$spectral_dir/node_modules/.bin/spectral" lint --quiet --fail-severity=hint --ruleset .spectral.yaml klagehttp/openapi.json

echo "== generated client"
# e2e/apiclient is what oapi-codegen generates from the served document
# today (the end-to-end tests drive a complaint with it).
(
	set -euo pipefail
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	cd e2e/apiclient
	sed "s|^output: .*|output: $tmp/client.gen.go|" oapi-codegen.yaml >"$tmp/config.yaml"
	go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -config "$tmp/config.yaml" ../../klagehttp/openapi.json
	cmp -s "$tmp/client.gen.go" client.gen.go || { echo "e2e/apiclient is stale: cd e2e && go generate ./apiclient" >&2; exit 1; }
)

if [ -z "${KLAGE_TEST_POSTGRES_DSN:-}" ]; then
	echo "== postgres"
	source scripts/postgres.sh
	pg_start
fi
export KLAGE_REQUIRE_POSTGRES=1

# The dashboard is checked in a real headless browser: Debian's chromium,
# installed with apt-get when it is missing.
if ! command -v chromium >/dev/null 2>&1; then
	echo "== chromium (installing with apt-get)"
	if [ "$(id -u)" -ne 0 ]; then
		echo "chromium is not installed and this is not root: install the chromium package" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq chromium >&2
fi
export KLAGE_REQUIRE_CHROMIUM=1

# The customer's page is checked in that browser with axe-core, from the
# npm registry, for WCAG 2.1 A/AA: installed once into a cache folder.
axe_version=4.14.1
axe_dir="${XDG_CACHE_HOME:-$HOME/.cache}/klage/axe-core-$axe_version"
if [ ! -f "$axe_dir/node_modules/axe-core/axe.min.js" ]; then
	echo "== axe-core $axe_version (installing with npm)"
	command -v npm >/dev/null 2>&1 || { echo "npm is needed to install axe-core: install node and npm" >&2; exit 1; }
	npm install --prefix "$axe_dir" --no-save --no-audit --no-fund --silent "axe-core@$axe_version" >&2
fi
export KLAGE_AXE_JS="$axe_dir/node_modules/axe-core/axe.min.js"

echo "== go test -race"
go test -race -count=1 "$@" ./...
# Allocation counts are checked without the race detector, which adds its
# own (TestStoredRoundTripAllocations skips itself under it).
echo "== go test (allocation counts)"
go test -count=1 -run 'TestStoredRoundTripAllocations|TestCanDoesNotAllocate|TestMarshalTextShared' ./complaint ./internal/vocab
echo "== go test -race (e2e)"
(cd e2e && go test -race -count=1 "$@" ./...)
# The same HTTP suite against klagehttp mounted under /klage/ in a
# service of its own, with its own authenticator, as an adopter writes it.
echo "== go test -race (e2e, the handler mounted in a service of its own)"
(cd e2e && KLAGE_E2E_TARGET=mounted go test -race -count=1 "$@" .)
