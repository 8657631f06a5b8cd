package glossary

import "github.com/klageflow/klage/internal/vocab"

// Role is the capacity in which someone acts on a complaint. Permissions in
// the lifecycle are granted to roles.
type Role string

// The roles.
const (
	// Customer is the person or business that made the complaint.
	Customer Role = "customer"
	// CustomerService is the retailer's customer service (kundeservice).
	CustomerService Role = "customer_service"
	// ComplaintsDepartment is the retailer's independent Complaints
	// Department (Klageafdeling), which reviews cases impartially.
	ComplaintsDepartment Role = "complaints_department"
	// Manufacturer is the manufacturer's own support or service.
	Manufacturer Role = "manufacturer"
	// System is an automated process of the embedding service, such as a
	// scheduler that closes cases whose escalation window has lapsed.
	System Role = "system"
)

var roles = vocab.New("role", newParseError,
	vocab.Entry[Role]{Value: Customer, Danish: "kunde", English: "customer"},
	vocab.Entry[Role]{Value: CustomerService, Danish: "kundeservice", English: "customer service"},
	vocab.Entry[Role]{Value: ComplaintsDepartment, Danish: "Klageafdelingen", English: "Complaints Department"},
	vocab.Entry[Role]{Value: Manufacturer, Danish: "producent", English: "manufacturer"},
	vocab.Entry[Role]{Value: System, Danish: "system", English: "system"},
)

// ParseRole parses a role's wire name.
func ParseRole(s string) (Role, error) { return roles.ParseErr(s) }

// Roles returns every role.
func Roles() []Role { return roles.Values() }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return roles.Valid(r) }

// String returns the wire name.
func (r Role) String() string { return string(r) }

// Label returns the role's name in lang.
func (r Role) Label(lang Language) string { return roles.Label(r, string(lang)) }

// MarshalText implements encoding.TextMarshaler. It accepts any
// well-formed wire name (lower-case letters, digits and underscores), so
// that a role an extended lifecycle adds can be stored; it fails for
// anything else.
func (r Role) MarshalText() ([]byte, error) {
	if b := roles.Text(r); b != nil {
		return b, nil // shared: see vocab's Set.Text
	}
	if !vocab.WellFormed(string(r)) {
		return roles.MarshalText(r)
	}
	return []byte(r), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. Like MarshalText it
// accepts any well-formed wire name; whoever uses the role (a workflow's
// lifecycle) checks that it knows it. Use ParseRole for the roles this
// package ships.
func (r *Role) UnmarshalText(b []byte) error {
	if v, ok := roles.Intern(b); ok {
		*r = v
		return nil
	}
	if !vocab.WellFormed(string(b)) {
		return roles.UnmarshalText(r, b)
	}
	*r = Role(b)
	return nil
}

// Actor is someone who acts on a complaint: a person or a system, identified
// by an ID that is stable in the embedding service, acting in a Role. A
// service derives it from a verified credential, never from a request body.
//
// The same person may act in different roles on different complaints; the
// impartiality rule of the Complaints Department compares IDs as one person
// ([SameID]).
type Actor struct {
	ID   string `json:"id"`
	Role Role   `json:"role"`
	// Manufacturer binds an actor in the Manufacturer role to the
	// manufacturer it acts for: only the one a case was referred to may act
	// on it. Empty for other roles.
	Manufacturer string `json:"manufacturer,omitempty"`
}

// String returns "role:id".
func (a Actor) String() string { return string(a.Role) + ":" + a.ID }
