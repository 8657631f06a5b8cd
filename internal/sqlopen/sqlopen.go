// Package sqlopen lets packages store/postgres and store/sqlite build a
// store.SQL on a database they opened with their driver, so that package
// store itself imports no SQL driver: a program that uses one database
// links only its driver.
//
// Package store sets New when it is initialised; store/postgres and
// store/sqlite, which import it, assert it once. It is typed any because
// this package cannot name store's types without an import cycle.
package sqlopen

// New is a func(ctx context.Context, w *complaint.Workflow, db *sql.DB,
// dialect string) (*store.SQL, error) that migrates db and returns the
// store on it; dialect is "postgres" or "sqlite". On an error it closes db.
var New any
