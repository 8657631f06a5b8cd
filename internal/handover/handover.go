// Package handover lets package store do two things that no other caller
// of package complaint may: take a complaint's pending notifications (a
// store writes them to its outbox in the transaction that saves the
// complaint) and ask whether a workflow delivers notifications itself (a
// store refuses such a workflow).
//
// Package complaint sets the functions when it is initialised; package
// store, which imports it, reads them after. They are typed any because this
// package cannot name complaint's types without an import cycle: store
// asserts them once, at its own initialisation.
package handover

var (
	// TakePending is a func(*complaint.Complaint) []complaint.Notification
	// that removes and returns the complaint's pending notifications.
	TakePending any
	// Notifies is a func(*complaint.Workflow) bool that reports whether
	// the workflow has a Notifier.
	Notifies any
)
