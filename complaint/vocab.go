package complaint

import (
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/internal/vocab"
)

// State is where a complaint is in its lifecycle. Its value is the wire
// name. The zero value is "no state" (the From of the opening history entry).
type State string

// The states. The wire names are part of klage's public contract.
const (
	StateReceived         State = "received"          // registered; the customer has been acknowledged
	StateInProgress       State = "in_progress"       // customer service is working on it
	StateAwaitingCustomer State = "awaiting_customer" // customer service asked the customer for information; clocks pause
	StateWithManufacturer State = "with_manufacturer" // referred to the manufacturer's support or service
	StateFinalAnswer      State = "final_answer"      // customer service has given its final answer
	StateEscalated        State = "escalated"         // the Complaints Department has taken the case over
	// StateEscalatedAwaitingCustomer: the Complaints Department asked the
	// customer for information; its clocks pause.
	StateEscalatedAwaitingCustomer State = "escalated_awaiting_customer"
	StateReviewed                  State = "reviewed" // the Complaints Department has decided
	StateClosed                    State = "closed"   // terminal
)

var states = vocab.New("state", parseError,
	vocab.Entry[State]{Value: StateReceived, Danish: "modtaget", English: "received"},
	vocab.Entry[State]{Value: StateInProgress, Danish: "under behandling", English: "in progress"},
	vocab.Entry[State]{Value: StateAwaitingCustomer, Danish: "afventer kunden", English: "awaiting customer"},
	vocab.Entry[State]{Value: StateWithManufacturer, Danish: "hos producenten", English: "with manufacturer"},
	vocab.Entry[State]{Value: StateFinalAnswer, Danish: "endeligt svar", English: "final answer"},
	vocab.Entry[State]{Value: StateEscalated, Danish: "hos Klageafdelingen", English: "escalated"},
	vocab.Entry[State]{Value: StateEscalatedAwaitingCustomer, Danish: "Klageafdelingen afventer kunden", English: "escalated, awaiting customer"},
	vocab.Entry[State]{Value: StateReviewed, Danish: "afgjort af Klageafdelingen", English: "reviewed"},
	vocab.Entry[State]{Value: StateClosed, Danish: "lukket", English: "closed"},
)

// shippedState reports whether s is a state of the reference lifecycle,
// which has shipped labels.
func shippedState(s State) bool { return states.Valid(s) }

// String returns the wire name.
func (s State) String() string { return string(s) }

// Label returns the state's name in lang.
func (s State) Label(lang glossary.Language) string { return states.Label(s, string(lang)) }

// MarshalText implements encoding.TextMarshaler. The zero State marshals as
// the empty string; a name that is not well-formed is an error.
func (s State) MarshalText() ([]byte, error) {
	if s == "" {
		return []byte{}, nil
	}
	if b := states.Text(s); b != nil {
		return b, nil // shared: see vocab's Set.Text
	}
	if !wireName(string(s)) {
		return states.MarshalText(s)
	}
	return []byte(s), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. The empty string
// gives the zero State. It accepts any well-formed wire name (lower-case
// letters, digits and underscores), so that a state of an extended
// [Lifecycle] decodes; [Workflow.Restore] checks it against the workflow's
// lifecycle.
func (s *State) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = ""
		return nil
	}
	if v, ok := states.Intern(b); ok {
		*s = v
		return nil
	}
	if !wireName(string(b)) {
		return states.UnmarshalText(s, b)
	}
	*s = State(b)
	return nil
}

// Event is something that happens to a complaint. Its value is the wire
// name.
type Event string

// The events. The wire names are part of klage's public contract.
const (
	EventOpen        Event = "open"         // creates a complaint in received; recorded in history, fired by Workflow.Open
	EventStart       Event = "start"        // received → in_progress
	EventRequestInfo Event = "request_info" // in_progress → awaiting_customer
	EventProvideInfo Event = "provide_info" // awaiting_customer → in_progress
	EventRefer       Event = "refer"        // in_progress → with_manufacturer
	EventResume      Event = "resume"       // with_manufacturer → in_progress
	EventAnswer      Event = "answer"       // received, in_progress → final_answer
	EventAccept      Event = "accept"       // final_answer → closed
	EventEscalate    Event = "escalate"     // final_answer → escalated
	EventReview      Event = "review"       // escalated → reviewed
	EventClose       Event = "close"        // final_answer, reviewed → closed
	EventWithdraw    Event = "withdraw"     // every state but closed and reviewed → closed
	EventUpdate      Event = "update"       // a progress update; never changes the state
	// EventInternalNote is a staff note: it keeps the state and is never
	// sent or shown to the customer or the manufacturer.
	EventInternalNote Event = "internal_note"
	// EventReclassify changes the complaint's kind (a claim that turns out
	// to be DOA); it keeps the state.
	EventReclassify Event = "reclassify"
	// EventFulfil records that a granted remedy was carried out; it keeps
	// the state.
	EventFulfil Event = "fulfil"
	// EventFlagSafety marks the complaint as a product-safety matter and
	// tells the Complaints Department at once; it keeps the state.
	EventFlagSafety Event = "flag_safety"
	// EventRemind is a timer's reminder ([Timer]): fired by the system
	// actor when a clock has lapsed, it keeps the state and records that
	// the reminder for that lapse was sent.
	EventRemind Event = "remind"
	// EventLapse closes a case whose customer did not answer a request for
	// information in time: fired by the system actor, by a timer, when the
	// policy says so (Policy.CustomerLapse).
	EventLapse Event = "lapse"
)

var events = vocab.New("event", parseError,
	vocab.Entry[Event]{Value: EventOpen, Danish: "oprettet", English: "open"},
	vocab.Entry[Event]{Value: EventStart, Danish: "påbegynd", English: "start"},
	vocab.Entry[Event]{Value: EventRequestInfo, Danish: "bed om oplysninger", English: "request information"},
	vocab.Entry[Event]{Value: EventProvideInfo, Danish: "giv oplysninger", English: "provide information"},
	vocab.Entry[Event]{Value: EventRefer, Danish: "henvis til producent", English: "refer to manufacturer"},
	vocab.Entry[Event]{Value: EventResume, Danish: "genoptag", English: "resume"},
	vocab.Entry[Event]{Value: EventAnswer, Danish: "giv endeligt svar", English: "give final answer"},
	vocab.Entry[Event]{Value: EventAccept, Danish: "accepter svar", English: "accept answer"},
	vocab.Entry[Event]{Value: EventEscalate, Danish: "klag til Klageafdelingen", English: "escalate"},
	vocab.Entry[Event]{Value: EventReview, Danish: "afgør", English: "review"},
	vocab.Entry[Event]{Value: EventClose, Danish: "luk", English: "close"},
	vocab.Entry[Event]{Value: EventWithdraw, Danish: "træk tilbage", English: "withdraw"},
	vocab.Entry[Event]{Value: EventUpdate, Danish: "statusopdatering", English: "progress update"},
	vocab.Entry[Event]{Value: EventInternalNote, Danish: "intern note", English: "internal note"},
	vocab.Entry[Event]{Value: EventReclassify, Danish: "omklassificer", English: "reclassify"},
	vocab.Entry[Event]{Value: EventFulfil, Danish: "afhjælpning udført", English: "remedy fulfilled"},
	vocab.Entry[Event]{Value: EventFlagSafety, Danish: "marker som sikkerhedssag", English: "flag as a safety matter"},
	vocab.Entry[Event]{Value: EventRemind, Danish: "påmindelse", English: "reminder"},
	vocab.Entry[Event]{Value: EventLapse, Danish: "bortfaldet", English: "lapsed"},
)

// String returns the wire name.
func (e Event) String() string { return string(e) }

// Label returns the event's name in lang.
func (e Event) Label(lang glossary.Language) string { return events.Label(e, string(lang)) }

// MarshalText implements encoding.TextMarshaler; it fails for a name that
// is not well-formed.
func (e Event) MarshalText() ([]byte, error) {
	if b := events.Text(e); b != nil {
		return b, nil // shared: see vocab's Set.Text
	}
	if !wireName(string(e)) {
		return events.MarshalText(e)
	}
	return []byte(e), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. Like
// [State.UnmarshalText] it accepts any well-formed wire name, for the
// events of an extended [Lifecycle].
func (e *Event) UnmarshalText(b []byte) error {
	if v, ok := events.Intern(b); ok {
		*e = v
		return nil
	}
	if !wireName(string(b)) {
		return events.UnmarshalText(e, b)
	}
	*e = Event(b)
	return nil
}

// wireName reports whether s is a well-formed wire name
// ([vocab.WellFormed]).
func wireName(s string) bool { return vocab.WellFormed(s) }

// CustomerType says whether the customer buys as a consumer or as a
// business. Consumer law (claim periods, complaint bodies) depends on it.
type CustomerType string

// The customer types.
const (
	Consumer CustomerType = "consumer"
	Business CustomerType = "business"
)

var customerTypes = vocab.New("customer type", parseError,
	vocab.Entry[CustomerType]{Value: Consumer, Danish: "forbruger", English: "consumer"},
	vocab.Entry[CustomerType]{Value: Business, Danish: "erhvervskunde", English: "business"},
)

// ParseCustomerType parses "consumer" or "business".
func ParseCustomerType(s string) (CustomerType, error) { return customerTypes.ParseErr(s) }

// Valid reports whether t is a known customer type.
func (t CustomerType) Valid() bool { return customerTypes.Valid(t) }

// String returns the wire name.
func (t CustomerType) String() string { return string(t) }

// Label returns the type's name in lang.
func (t CustomerType) Label(lang glossary.Language) string {
	return customerTypes.Label(t, string(lang))
}

// MarshalText implements encoding.TextMarshaler; it fails for an unknown value.
func (t CustomerType) MarshalText() ([]byte, error) { return customerTypes.MarshalText(t) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *CustomerType) UnmarshalText(b []byte) error { return customerTypes.UnmarshalText(t, b) }

// Topic is what a notification is about.
type Topic string

// The notification topics.
const (
	TopicAcknowledged  Topic = "acknowledged"   // the complaint was registered
	TopicStarted       Topic = "started"        // customer service started work
	TopicInfoRequested Topic = "info_requested" // the customer is asked for information
	TopicReferred      Topic = "referred"       // the case went to the manufacturer's support
	TopicProgress      Topic = "progress"       // an update while work goes on
	TopicFinalAnswer   Topic = "final_answer"   // customer service's final answer
	TopicEscalated     Topic = "escalated"      // the Complaints Department took the case over
	TopicReviewed      Topic = "reviewed"       // the Complaints Department decided
	TopicFulfilled     Topic = "fulfilled"      // a granted remedy was carried out
	TopicSafety        Topic = "safety"         // the complaint is a product-safety matter (to the Complaints Department)
	TopicClosed        Topic = "closed"         // the case is closed
	TopicReminder      Topic = "reminder"       // a deadline is overdue (addressed to whoever owns it)
	TopicReplyReminder Topic = "reply_reminder" // the customer is reminded of a request for information
	TopicLapsed        Topic = "lapsed"         // the case was closed because the customer did not answer; how to reopen it
)

var topics = vocab.New("topic", parseError,
	vocab.Entry[Topic]{Value: TopicAcknowledged, Danish: "kvittering for modtagelse", English: "acknowledged"},
	vocab.Entry[Topic]{Value: TopicStarted, Danish: "sagen er påbegyndt", English: "started"},
	vocab.Entry[Topic]{Value: TopicInfoRequested, Danish: "oplysninger efterspurgt", English: "information requested"},
	vocab.Entry[Topic]{Value: TopicReferred, Danish: "henvist til producent", English: "referred to manufacturer"},
	vocab.Entry[Topic]{Value: TopicProgress, Danish: "status på sagen", English: "progress"},
	vocab.Entry[Topic]{Value: TopicFinalAnswer, Danish: "endeligt svar", English: "final answer"},
	vocab.Entry[Topic]{Value: TopicEscalated, Danish: "sendt til Klageafdelingen", English: "escalated"},
	vocab.Entry[Topic]{Value: TopicReviewed, Danish: "Klageafdelingens afgørelse", English: "reviewed"},
	vocab.Entry[Topic]{Value: TopicFulfilled, Danish: "afhjælpning udført", English: "remedy carried out"},
	vocab.Entry[Topic]{Value: TopicSafety, Danish: "sikkerhedssag", English: "safety matter"},
	vocab.Entry[Topic]{Value: TopicClosed, Danish: "sagen er lukket", English: "closed"},
	vocab.Entry[Topic]{Value: TopicReplyReminder, Danish: "påmindelse om svar", English: "reply reminder"},
	vocab.Entry[Topic]{Value: TopicLapsed, Danish: "sagen er bortfaldet", English: "lapsed"},
	vocab.Entry[Topic]{Value: TopicReminder, Danish: "påmindelse om frist", English: "deadline reminder"},
)

// ParseTopic parses a topic's wire name.
func ParseTopic(s string) (Topic, error) { return topics.ParseErr(s) }

// Topics returns every topic.
func Topics() []Topic { return topics.Values() }

// Valid reports whether t is a known topic.
func (t Topic) Valid() bool { return topics.Valid(t) }

// String returns the wire name.
func (t Topic) String() string { return string(t) }

// Label returns the topic's name in lang.
func (t Topic) Label(lang glossary.Language) string { return topics.Label(t, string(lang)) }

// MarshalText implements encoding.TextMarshaler; it fails for an unknown value.
func (t Topic) MarshalText() ([]byte, error) { return topics.MarshalText(t) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Topic) UnmarshalText(b []byte) error { return topics.UnmarshalText(t, b) }
