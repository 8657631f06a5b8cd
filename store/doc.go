// Package store persists complaints: a Store interface with an in-memory
// implementation (tests, demos) and a SQL implementation over database/sql
// for PostgreSQL and SQLite, opened by the packages store/postgres (the pgx
// driver) and store/sqlite (modernc.org/sqlite, no cgo). This package
// imports no driver: a program links only the one it uses.
//
// The SQL store keeps a complaint's history in its own table and the
// complaint row as a checkpoint, so that a transition costs the same
// whatever the history's length; it keeps the customer's contact details
// apart, and answers subject access and erasure requests ([PersonalData]).
// It does not decode a row's JSON again when that JSON is byte for byte
// what it decoded or wrote itself in the last 30 seconds (a request that
// reads a complaint and then fires on it, or fires and reads it back): it
// keeps the decoded form of up to 1,024 complaints, without contact
// details, for 30 seconds after their last use, and forgets a complaint it
// erases at once. A row another replica changed is always decoded afresh.
//
// Every complaint has a version. Save writes a complaint only if the stored
// version is the one it was loaded at (optimistic concurrency): of two
// replicas that change the same complaint at once, one wins and the other
// gets a *ConflictError. [Fire] wraps the load, fire and save cycle and
// retries a bounded number of times on conflict.
//
// With every save the store appends the new history entries to an
// append-only history and writes the complaint's pending notifications to an
// outbox, in the same transaction as the state change (a transactional
// outbox, the [Outbox] interface, which both built-in stores implement). A
// [Relay] claims a batch with a lease, delivers each message to a
// complaint.Notifier outside any transaction and records each result on its
// own: at least once, with backoff on failure, and a message that cannot be
// decoded is dead-lettered instead of stopping delivery. Each keeps its
// idempotency key so that receivers can drop duplicates. On PostgreSQL
// several relays can drain the outbox at once without claiming the same row
// (FOR UPDATE SKIP LOCKED).
//
// Give a store a Workflow without a Notifier, so that every notification
// goes through the outbox.
package store
