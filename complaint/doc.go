// Package complaint runs a retailer's customer-complaint process as an
// explicit state machine, built on github.com/looplab/fsm.
//
// A complaint is opened in StateReceived through a channel (e-mail, chat,
// phone, web). Customer service starts work on it, keeps the customer
// updated, may ask the customer for information (the clocks pause), may put
// the customer in direct contact with the manufacturer's support, and gives
// a final answer. A customer who is still not satisfied escalates to the
// independent Complaints Department (Klageafdeling), which reviews the case
// impartially, decides, and records what the company should improve.
//
// # The lifecycle
//
// The process is a [Lifecycle] value: [Reference] returns the design's
// (DESIGN §2 v2), and a retailer may extend it (an extra state, event or
// role) and build a [Workflow] on it with [Options].Lifecycle; [New]
// validates it, the design's invariants included.
//
//	event         from                                      to                           who may fire it
//	start         received                                  in_progress                  customer_service
//	request_info  in_progress                               awaiting_customer            customer_service
//	request_info  escalated                                 escalated_awaiting_customer  complaints_department
//	provide_info  awaiting_customer                         in_progress                  customer, customer_service
//	provide_info  escalated_awaiting_customer               escalated                    customer, complaints_department
//	refer         in_progress                               with_manufacturer            customer_service
//	resume        with_manufacturer                         in_progress                  customer_service, manufacturer
//	answer        received, in_progress                     final_answer                 customer_service
//	accept        final_answer                              closed                       customer, customer_service
//	escalate      final_answer                              escalated                    customer, complaints_department
//	review        escalated                                 reviewed                     complaints_department (impartial)
//	close         final_answer, reviewed                    closed                       complaints_department, system
//	withdraw      received ... final_answer                 closed                       customer, customer_service
//	withdraw      escalated, escalated_awaiting_customer    closed                       customer, complaints_department
//
// Events that keep the state: [EventUpdate] (a progress update, sent to the
// customer), [EventInternalNote] (a staff note, never sent),
// [EventReclassify] (a new kind) and [EventFulfil] (a granted remedy was
// carried out). Once a case is escalated, customer service fires nothing on
// it. [Workflow.Edges] and [Workflow.Diagram] describe the same table (the
// zero Workflow's, the reference one).
//
// # Using it
//
// Build one Workflow with New and share it: it is safe for concurrent use.
// Open a complaint with [Workflow.Open] and move it with [Workflow.Fire];
// both take a context, record an immutable history [Entry], recompute
// deadlines from the [Policy] and produce [Notification]s for the
// [Notifier]. Errors are typed: match them with errors.Is against
// [ErrInvalidTransition], [ErrClosed], [ErrForbidden], [ErrNotImpartial],
// [ErrInvalidInput], [ErrVetoed] and [ErrUndelivered], or extract the
// details with errors.As. A refused event changes nothing.
//
// Store a complaint as its [Snapshot] (or its JSON form) and bring it back
// with [Workflow.Restore], which refuses a snapshot whose history does not
// replay to its state. Labels in Danish and English ship; [Translation]
// adds a language.
//
// # Writing a store
//
// Package store has memory, SQLite and PostgreSQL stores; a team that
// writes its own (and checks it with package store/storetest, which runs
// every check on the reference lifecycle and an extended one) needs a few
// names that an application never calls:
//
//   - [Complaint.TakePending]: the notifications a transition produced,
//     which the store writes to its outbox in the same transaction as the
//     complaint (a store refuses a workflow that [Workflow.Notifies]).
//   - [Workflow.SnapshotTail], [Checkpoint], [Complaint.Checkpoint]: save
//     only the newest history entries and keep the rest in a table of
//     their own, so that saving does not grow with the history.
//   - [UnmarshalSnapshot]: decode a row, complete it (contact details kept
//     apart for erasure), then [Workflow.Restore].
//   - [Complaint.NextDue], [Workflow.NextTimer], [Workflow.DueTimers]:
//     index when a complaint next needs attention, and what a timer runner
//     fires.
//   - [Workflow.Milestones], [Workflow.CheckRating], [Workflow.Now]:
//     report columns, the rule for a customer's rating, the one clock.
//   - [Workflow.Terminal], [Workflow.Escalated], [Workflow.State]: the
//     lifecycle's facts, asked instead of naming states (a terminal state
//     stamps the complaint closed; retention runs from then).
//
// # looplab/fsm
//
// looplab/fsm checks each lifecycle's table when the workflow is built,
// draws the diagrams and runs every state change; no FSM is built per
// complaint (pooled machines execute transitions). The package guards
// against looplab/fsm's traps: a context that is already done is returned
// as an error before the machine is touched, and a machine whose event was
// interrupted is dropped rather than reused, so no complaint is ever left
// stuck in a transition; events that keep the state never reach the
// machine, so NoTransitionError never stands for success; and hooks run
// outside the machine's callbacks, so they cannot deadlock it.
package complaint
