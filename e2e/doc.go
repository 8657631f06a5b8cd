// Package e2e holds klage's end-to-end tests: the daemon (cmd/klaged) and
// the HTTP handler mounted in a service of its own, over real HTTP on
// 127.0.0.1, with real SQLite files and PostgreSQL, a real SMTP server,
// headless Chromium with axe-core, the OpenAPI document checked with
// kin-openapi and a client generated from it.
//
// It is a module of its own so that these test tools stay out of the
// dependency graph of a module that imports klage. Run it from this
// folder: go test ./... (bash scripts/test.sh does).
package e2e
