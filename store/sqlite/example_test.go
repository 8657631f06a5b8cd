package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/sqlite"
)

// A SQLite store in a file: opened (and migrated), a complaint received
// and read back.
func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "klage")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	w, err := complaint.New(complaint.Options{Now: func() time.Time { return at }, NewID: func() string { return "K-1" }})
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := sqlite.Open(ctx, w, filepath.Join(dir, "klage.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	_, err = store.Receive(ctx, s, w, complaint.Intake{
		Customer: complaint.Customer{ID: "cust-7", Name: "Karen Jensen", Type: complaint.Consumer}, Channel: glossary.Phone,
		Kind: glossary.Warranty, Product: complaint.Product{Name: "Router"}, Description: "Drops the connection.",
		OpenedBy: glossary.Actor{ID: "anna", Role: glossary.CustomerService},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := s.Get(ctx, "K-1")
	fmt.Println(c.State(), c.Version(), c.Customer().Name, err)
	// Output: received 1 Karen Jensen <nil>
}
