package complaint

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// Limits on input, in bytes.
const (
	MaxIDLen   = 128      // ids of complaints and actors
	MaxTextLen = 64 << 10 // descriptions, notes, answers and other free text
	maxLineLen = 1024     // names, e-mail addresses, SKUs and other one-line fields
)

func checkID(field, s string) error {
	if problem := idProblem(s); problem != "" {
		return &InputError{Field: field, Problem: problem}
	}
	return nil
}

// idProblem says what is wrong with an id, or "" when nothing is. It does
// not allocate on success: it runs on every transition.
func idProblem(s string) string {
	switch {
	case s == "":
		return "required"
	case len(s) > MaxIDLen:
		return fmt.Sprintf("longer than %d bytes", MaxIDLen)
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		// One comparison per printable ASCII byte other than '/'.
		if b := s[i]; b-0x20 >= 0x5f || b == '/' {
			if b < 0x80 {
				return "contains a control character or '/'"
			}
			ascii = false
		}
	}
	if !ascii {
		// Invisible and bidirectional-control characters, and letters of
		// two scripts, would let one person pass for another.
		return glossary.IDProblem(s)
	}
	return ""
}

// checkRequest validates an idempotency key and the request's
// fingerprint, which goes only with a key.
func checkRequest(id, hash string) error {
	if id != "" {
		if err := checkID("request_id", id); err != nil {
			return err
		}
	}
	switch {
	case hash == "":
		return nil
	case id == "":
		return &InputError{Field: "request_hash", Problem: "only with a request_id"}
	case len(hash) > MaxIDLen:
		return &InputError{Field: "request_hash", Problem: fmt.Sprintf("longer than %d bytes", MaxIDLen)}
	}
	for i := 0; i < len(hash); i++ {
		if hash[i] <= ' ' || hash[i] >= 0x7f {
			return &InputError{Field: "request_hash", Problem: "not printable ASCII"}
		}
	}
	return nil
}

// checkLine validates a one-line field (a name, an e-mail address, a SKU):
// free text without line breaks or hidden characters.
func checkLine(field, s string) error {
	if err := checkText(field, s, maxLineLen); err != nil {
		return err
	}
	if strings.ContainsAny(s, "\r\n") {
		return &InputError{Field: field, Problem: "contains a line break"}
	}
	if _, hidden := glossary.HiddenRune(s); hidden {
		return &InputError{Field: field, Problem: "contains an invisible, bidirectional-control or private-use character"}
	}
	return nil
}

// checkText validates optional free text (required ones check emptiness
// first). max is the limit in bytes. Control characters other than tab and
// line breaks are refused: they have no place in a complaint, and some
// databases cannot store them (PostgreSQL refuses NUL).
func checkText(field, s string, limit int) error {
	if len(s) > limit {
		return &InputError{Field: field, Problem: fmt.Sprintf("longer than %d bytes", limit)}
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		// One comparison per printable ASCII byte; the rest is sorted out
		// off the common path.
		if b := s[i]; b-0x20 >= 0x5f {
			switch {
			case b >= 0x80:
				ascii = false
			case b != '\t' && b != '\n' && b != '\r':
				return &InputError{Field: field, Problem: "contains a control character"}
			}
		}
	}
	if !ascii && !utf8.ValidString(s) {
		return &InputError{Field: field, Problem: "not valid UTF-8"}
	}
	return nil
}

func requireText(field, s string, limit int) error {
	if strings.TrimSpace(s) == "" {
		return &InputError{Field: field, Problem: "required"}
	}
	return checkText(field, s, limit)
}

func (w *Workflow) checkActor(field string, a glossary.Actor) error {
	if !w.m.role(a.Role) {
		return &InputError{Field: field + ".role", Problem: fmt.Sprintf("unknown role %q", a.Role), Err: parseError("role", string(a.Role))}
	}
	if problem := idProblem(a.ID); problem != "" {
		return &InputError{Field: field + ".id", Problem: problem}
	}
	return nil
}

// validateIntake checks what Open needs; in has had its defaults applied.
func (w *Workflow) validateIntake(in *Intake) error {
	if in.ID != "" {
		if err := checkID("id", in.ID); err != nil {
			return err
		}
	}
	if err := checkRequest(in.RequestID, in.RequestHash); err != nil {
		return err
	}
	cu := &in.Customer
	if err := checkID("customer.id", cu.ID); err != nil {
		return err
	}
	if !cu.Type.Valid() {
		return &InputError{Field: "customer.type", Problem: fmt.Sprintf("unknown customer type %q (want consumer or business)", cu.Type)}
	}
	if !w.speaks(cu.Language) {
		return &InputError{Field: "customer.language", Problem: fmt.Sprintf("the workflow does not write in %q (see Options.Translations)", cu.Language)}
	}
	if !in.Channel.Valid() {
		return &InputError{Field: "channel", Problem: fmt.Sprintf("unknown channel %q", in.Channel), Err: parseError("channel", string(in.Channel))}
	}
	if !in.Kind.Valid() {
		return &InputError{Field: "kind", Problem: fmt.Sprintf("unknown kind %q", in.Kind), Err: parseError("term", string(in.Kind))}
	}
	for _, f := range [...]struct {
		name string
		t    time.Time
	}{{"product.delivered_at", in.Product.DeliveredAt}, {"product.purchased_at", in.Product.PurchasedAt},
		{"defect_noticed_at", in.DefectNoticedAt}, {"received_at", in.ReceivedAt}} {
		if !deliveryInRange(f.t) {
			return &InputError{Field: f.name, Problem: "out of range"}
		}
	}
	now := w.now()
	switch {
	case in.ReceivedAt.After(now):
		return &InputError{Field: "received_at", Problem: "in the future"}
	case in.DefectNoticedAt.After(now):
		return &InputError{Field: "defect_noticed_at", Problem: "in the future"}
	case !in.Product.PurchasedAt.IsZero() && !in.Product.DeliveredAt.IsZero() && in.Product.DeliveredAt.Before(in.Product.PurchasedAt):
		return &InputError{Field: "product.delivered_at", Problem: "before the purchase"}
	case !in.DefectNoticedAt.IsZero() && !in.ReceivedAt.IsZero() && in.ReceivedAt.Before(in.DefectNoticedAt):
		return &InputError{Field: "received_at", Problem: "before the defect was noticed"}
	}
	lines := [...]struct{ name, v string }{
		{"customer.name", cu.Name}, {"customer.email", cu.Email}, {"customer.phone", cu.Phone}, {"customer.address", cu.Address},
		{"product.sku", in.Product.SKU}, {"product.name", in.Product.Name}, {"product.manufacturer", in.Product.Manufacturer},
	}
	texts := [...]struct{ name, v string }{
		{"description", in.Description}, {"remedy_sought.text", in.RemedySought.Text}, {"note", in.Note},
	}
	for _, f := range lines {
		if err := checkLine(f.name, f.v); err != nil {
			return err
		}
	}
	if cu.Email != "" {
		if a, err := mail.ParseAddress(cu.Email); err != nil || a.Address != cu.Email {
			return &InputError{Field: "customer.email", Problem: "not an e-mail address"}
		}
	}
	if k := in.RemedySought.Kind; k != "" && !k.Valid() {
		return &InputError{Field: "remedy_sought.kind", Problem: fmt.Sprintf("unknown remedy %q", k), Err: parseError("remedy", string(k))}
	}
	if in.Kind.AboutProduct() && strings.TrimSpace(in.Product.SKU) == "" && strings.TrimSpace(in.Product.Name) == "" {
		return &InputError{Field: "product", Problem: fmt.Sprintf("a sku or a name is required for a complaint of kind %s (feedback and general complaints need none)", in.Kind)}
	}
	if err := requireText("description", in.Description, MaxTextLen); err != nil {
		return err
	}
	for _, f := range texts[1:] {
		if err := checkText(f.name, f.v, MaxTextLen); err != nil {
			return err
		}
	}
	return w.checkActor("opened_by", in.OpenedBy)
}

// deliveryInRange reports whether a delivery time is zero (unknown) or in
// the years 1900 to 9999 of its own zone. Only a time within a day of
// either end needs its year worked out.
func deliveryInRange(t time.Time) bool {
	const unix1900, day = -2208988800, 24 * 60 * 60
	if s := t.Unix(); s > unix1900+day && s < maxUnix-day {
		return true
	}
	y := t.Year()
	return t.IsZero() || (y >= 1900 && y <= 9999)
}

// inRange reports whether t is zero or in the years 1 to 9999, which
// JSON can carry and complaints keep.
func inRange(t time.Time) bool {
	s := t.Unix()
	return s >= zeroUnix && s < maxUnix
}

// zeroUnix is time.Time{}.Unix(): the year 1.
const zeroUnix = -62135596800

// maxUnix is the Unix time of the year 10000.
const maxUnix = 253402300800

// validateStored checks what the lifecycle relies on in a stored
// complaint's intake data: ids, vocabulary and lengths. The full checks
// (text encoding, e-mail syntax) ran when it was opened.
func (w *Workflow) validateStored(s *Snapshot) error {
	// Ids are checked as every release has written them, not by today's
	// stricter identity rules: a stored complaint must always load.
	for _, f := range [...]struct{ name, id string }{{"id", s.ID}, {"customer.id", s.Customer.ID}} {
		if _, hidden := glossary.HiddenRune(f.id); hidden || f.id == "" || len(f.id) > MaxIDLen || !utf8.ValidString(f.id) {
			return &InputError{Field: f.name, Problem: "missing, too long, not UTF-8 or with a hidden character"}
		}
	}
	switch {
	case !s.Customer.Type.Valid():
		return &InputError{Field: "customer.type", Problem: fmt.Sprintf("unknown customer type %q", s.Customer.Type)}
	case !w.speaks(s.Customer.Language):
		return &InputError{Field: "customer.language", Problem: fmt.Sprintf("unknown language %q", s.Customer.Language)}
	case !s.Channel.Valid():
		return &InputError{Field: "channel", Problem: fmt.Sprintf("unknown channel %q", s.Channel)}
	case !s.Kind.Valid():
		return &InputError{Field: "kind", Problem: fmt.Sprintf("unknown kind %q", s.Kind)}
	case s.Kind.AboutProduct() && s.Product.SKU == "" && s.Product.Name == "" && !w.reclassified(s):
		// A complaint reclassified to a product kind before klage asked
		// for the product with the new kind has none: it still restores.
		return &InputError{Field: "product", Problem: "a sku or a name is required"}
	case s.Description == "":
		return &InputError{Field: "description", Problem: "required"}
	case len(s.Customer.Name) > maxLineLen || len(s.Customer.Email) > maxLineLen || len(s.Customer.Phone) > maxLineLen ||
		len(s.Customer.Address) > maxLineLen || len(s.Product.SKU) > maxLineLen ||
		len(s.Product.Name) > maxLineLen || len(s.Product.Manufacturer) > maxLineLen:
		return &InputError{Field: "customer or product", Problem: fmt.Sprintf("a field is longer than %d bytes", maxLineLen)}
	case len(s.Description) > MaxTextLen || len(s.RemedySought.Text) > MaxTextLen:
		return &InputError{Field: "description", Problem: fmt.Sprintf("longer than %d bytes", MaxTextLen)}
	}
	if !inRange(s.ErasedAt) {
		return &InputError{Field: "erased_at", Problem: "out of range"}
	}
	if !deliveryInRange(s.Product.DeliveredAt) || !deliveryInRange(s.Product.PurchasedAt) {
		return &InputError{Field: "product", Problem: "a date is out of range"}
	}
	if !inRange(s.Claim.PeriodEnds) || !inRange(s.Claim.PresumptionEnds) || !inRange(s.Claim.NoticeEnds) || !inRange(s.Claim.WarrantyEnds) ||
		!inRange(s.Claim.ReceivedAt) || !inRange(s.Claim.DefectNoticedAt) {
		return &InputError{Field: "claim", Problem: "a time is out of range"}
	}
	return nil
}

// check applies every rule to in on c and returns the lifecycle rule that
// allows it.
func (w *Workflow) check(ctx context.Context, c *Complaint, in *Input) (*Rule, error) {
	if c == nil || len(c.history) == 0 {
		return nil, &InputError{Field: "complaint", Problem: "no complaint (use Workflow.Open or Workflow.Restore)"}
	}
	if in.Event == EventOpen {
		return nil, &InputError{Field: "event", Problem: "open is not fired: use Workflow.Open"}
	}
	if err := w.checkActor("actor", in.Actor); err != nil {
		return nil, err
	}
	if err := checkText("note", in.Note, MaxTextLen); err != nil {
		return nil, err
	}
	if err := checkRequest(in.RequestID, in.RequestHash); err != nil {
		return nil, err
	}
	if in.RequestID != "" {
		if _, used := c.ByRequest(in.RequestID); used {
			return nil, &InputError{Field: "request_id", Problem: "already used on this complaint"}
		}
	}
	r, f := w.allowed(ctx, c, in.Event, in.Actor, in.Timer != "")
	if f.why == refusedState && !w.m.known(in.Event) {
		return nil, &InputError{Field: "event", Problem: fmt.Sprintf("unknown event %q", in.Event), Err: parseError("event", string(in.Event))}
	}
	if f.why != allowedOK {
		return nil, f.err(c, in.Event, in.Actor, r)
	}
	if err := checkPayload(in, r.Needs); err != nil {
		return nil, err
	}
	if err := w.checkReclassify(c, r, in); err != nil {
		return nil, err
	}
	if err := w.checkTimer(c, r, in); err != nil {
		return nil, err
	}
	if err := w.checkConsent(c, r, in); err != nil {
		return nil, err
	}
	if err := checkGranted(c, in); err != nil {
		return nil, err
	}
	if in.Actor.Role == glossary.ComplaintsDepartment {
		// Impartiality covers every act of the department, not only the
		// review: whoever acted for customer service never acts for it.
		if err := escalation.CheckImpartial(in.Actor, actors(c.base, c.history)); err != nil {
			return nil, err
		}
	}
	if err := checkODR(r, in); err != nil {
		return nil, err
	}
	if r.Safety && c.safety {
		return nil, &InputError{Field: "event", Problem: "the complaint is already flagged as a safety matter"}
	}
	if w.m.escalates(c.state, r) && in.Actor.Role != glossary.Customer && strings.TrimSpace(in.Note) == "" {
		if _, limited, lapsed := w.window(c); limited && lapsed {
			return nil, &InputError{Field: "note", Problem: "required: say why the Complaints Department takes a case after the escalation window"}
		}
	}
	return r, nil
}

// refusal is why allowed refused, kept as plain values so that Can does
// not allocate; err turns it into the error Check and Fire return.
type refusal struct {
	why    int       // one of the constants below; 0 when allowed
	until  time.Time // the escalation window's end, for the window refusals
	denied error     // what the Authorizer returned
	closed error     // ErrClosed when the state refuses because it is terminal
}

const (
	allowedOK = iota
	refusedState
	refusedRole
	refusedNotOwn
	refusedNotReferred
	refusedNoLimit
	refusedWindowOpen
	refusedWindowClosed
	refusedAuthorizer
	refusedOwed
	refusedErased
	refusedTimerOnly
)

func (f refusal) err(c *Complaint, e Event, a glossary.Actor, r *Rule) error {
	switch f.why {
	case refusedState:
		return &TransitionError{From: c.state, Event: e, Cause: f.closed}
	case refusedRole:
		return &PermissionError{Event: e, Actor: a, Allowed: slices.Clone(r.Roles)}
	case refusedNotOwn:
		return &PermissionError{Event: e, Actor: a, Reason: "a customer may act only on their own complaint"}
	case refusedTimerOnly:
		return &TransitionError{From: c.state, Event: e, Reason: "only a timer fires it (Workflow.DueTimers)"}
	case refusedErased:
		return &PermissionError{Event: e, Actor: a, Reason: "the customer's data was erased: the customer no longer acts on the complaint"}
	case refusedNotReferred:
		return &PermissionError{Event: e, Actor: a, Reason: "a manufacturer may act only on a case referred to it"}
	case refusedNoLimit:
		return &TransitionError{From: c.state, Event: e, Reason: "the escalation window has no limit: the case closes when the customer accepts or withdraws"}
	case refusedWindowOpen:
		return &TransitionError{From: c.state, Event: e, Reason: "the escalation window is open until " + f.until.Format(time.RFC3339)}
	case refusedWindowClosed:
		return &TransitionError{From: c.state, Event: e, Reason: "the escalation window closed at " + f.until.Format(time.RFC3339)}
	case refusedOwed:
		g, _ := c.Granted()
		return &TransitionError{From: c.state, Event: e, Reason: fmt.Sprintf("the %s granted has not been carried out (fulfil it first)", g.Kind), Cause: ErrRemedyOwed}
	case refusedAuthorizer:
		return &PermissionError{Event: e, Actor: a, Reason: "refused: " + f.denied.Error(), Err: f.denied}
	}
	return nil
}

// allowed applies the rules that need only the event and the actor, and
// returns the lifecycle rule that allows e: the state allows it, the role
// may fire it, a customer acts only on their own complaint, a manufacturer
// only on a case referred to it, the escalation window (see windowRefusal),
// and the Authorizer. Can and Check both use it, so they agree. It does not
// allocate, unless the Authorizer does.
func (w *Workflow) allowed(ctx context.Context, c *Complaint, e Event, a glossary.Actor, timer bool) (*Rule, refusal) {
	r := w.m.rule(c.state, e)
	if r == nil {
		if s := w.m.state(c.state); s != nil && s.Terminal {
			return nil, refusal{why: refusedState, closed: ErrClosed}
		}
		return nil, refusal{why: refusedState}
	}
	if r.Needs == NeedsTimer && !timer {
		return r, refusal{why: refusedTimerOnly} // remind, lapse: a timer's, not a menu's
	}
	if !slices.Contains(r.Roles, a.Role) {
		return r, refusal{why: refusedRole}
	}
	switch a.Role {
	case glossary.Customer:
		if !glossary.SameID(a.ID, c.customer.ID) {
			return r, refusal{why: refusedNotOwn}
		}
		if !c.erasedAt.IsZero() {
			return r, refusal{why: refusedErased}
		}
	case glossary.Manufacturer:
		if c.referral == nil || a.Manufacturer == "" || !glossary.SameID(a.Manufacturer, c.referral.Manufacturer) {
			return r, refusal{why: refusedNotReferred}
		}
	}
	if f := w.windowRefusal(c, r, a.Role); f.why != allowedOK {
		return r, f
	}
	if r.Settles && c.Owes() {
		return r, refusal{why: refusedOwed}
	}
	if w.authz != nil {
		if err := w.authz.Authorize(ctx, View{c}, Input{Event: e, Actor: a}); err != nil {
			return r, refusal{why: refusedAuthorizer, denied: err}
		}
	}
	return r, refusal{}
}

// checkConsent requires the customer's consent when someone else fires an
// event that is the customer's decision, and refuses it otherwise.
func (w *Workflow) checkConsent(c *Complaint, r *Rule, in *Input) error {
	needed := r.Consent && in.Actor.Role != glossary.Customer
	switch {
	case !needed && in.Consent != nil:
		return &InputError{Field: "consent", Problem: fmt.Sprintf("%s by %s does not take one", in.Event, in.Actor.Role)}
	case !needed:
		return nil
	case in.Consent == nil:
		return &InputError{Field: "consent", Problem: fmt.Sprintf("required: %s is the customer's decision; record how and when they agreed", in.Event)}
	case !in.Consent.Channel.Valid():
		return &InputError{Field: "consent.channel", Problem: fmt.Sprintf("unknown channel %q", in.Consent.Channel), Err: parseError("channel", string(in.Consent.Channel))}
	case in.Consent.At.IsZero() || in.Consent.At.After(w.now()) || in.Consent.At.Before(c.CreatedAt().Add(-24*time.Hour)) || !inRange(in.Consent.At):
		return &InputError{Field: "consent.at", Problem: "must be a time between the complaint's opening and now"}
	}
	return nil
}

// checkPayload requires the payload that needs names and refuses every
// other, so that a misrouted answer or decision is never dropped silently.
func checkPayload(in *Input, needs Payload) error {
	if (in.Answer != nil) != (needs == NeedsAnswer) {
		return payloadErr("answer", in.Event, needs)
	}
	if (in.Referral != nil) != (needs == NeedsReferral) {
		return payloadErr("referral", in.Event, needs)
	}
	if (in.Decision != nil) != (needs == NeedsDecision) {
		return payloadErr("decision", in.Event, needs)
	}
	if (in.Kind != "") != (needs == NeedsKind) {
		return payloadErr("kind", in.Event, needs)
	}
	if (in.Fulfilment != nil) != (needs == NeedsFulfilment) {
		return payloadErr("fulfilment", in.Event, needs)
	}
	switch needs {
	case NeedsNote:
		// The note's length and encoding were checked with the actor.
		if strings.TrimSpace(in.Note) == "" {
			return &InputError{Field: "note", Problem: "required"}
		}
	case NeedsAnswer:
		if !in.Answer.Outcome.Valid() {
			return &InputError{Field: "answer.outcome", Problem: fmt.Sprintf("unknown outcome %q", in.Answer.Outcome)}
		}
		return requireText("answer.text", in.Answer.Text, MaxTextLen)
	case NeedsReferral:
		if err := checkLine("referral.manufacturer", in.Referral.Manufacturer); err != nil {
			return err
		}
		if err := requireText("referral.contact", in.Referral.Contact, maxLineLen); err != nil {
			return err
		}
		return checkLine("referral.contact", in.Referral.Contact)
	case NeedsDecision:
		if err := in.Decision.Validate(); err != nil {
			field := "decision"
			var de *escalation.DecisionError
			if errors.As(err, &de) {
				field += "." + de.Field
			}
			return &InputError{Field: field, Problem: "invalid", Err: err}
		}
	case NeedsFulfilment:
		if !in.Fulfilment.Remedy.Valid() {
			return &InputError{Field: "fulfilment.remedy", Problem: fmt.Sprintf("unknown remedy %q", in.Fulfilment.Remedy)}
		}
		if err := requireText("fulfilment.reference", in.Fulfilment.Reference, maxLineLen); err != nil {
			return err
		}
		return checkLine("fulfilment.reference", in.Fulfilment.Reference)
	case NeedsKind:
		if !in.Kind.Valid() {
			return &InputError{Field: "kind", Problem: fmt.Sprintf("unknown kind %q", in.Kind), Err: parseError("term", string(in.Kind))}
		}
	}
	return nil
}

// checkReclassify applies the rules of a new kind: a complaint about a
// product needs one, so a reclassification of feedback or a general
// complaint to a product kind brings the product (Input.Product) with it;
// the product and the date the defect was noticed are validated as at
// intake, and refused with any other event.
func (w *Workflow) checkReclassify(c *Complaint, r *Rule, in *Input) error {
	if r.Needs != NeedsKind {
		switch {
		case in.Product != nil:
			return payloadErr("product", in.Event, NeedsKind)
		case !in.DefectNoticedAt.IsZero():
			return payloadErr("defect_noticed_at", in.Event, NeedsKind)
		}
		return nil
	}
	product := c.product
	if in.Product != nil {
		product = *in.Product
		if err := w.checkProduct(product); err != nil {
			return err
		}
	}
	if in.Kind.AboutProduct() && strings.TrimSpace(product.SKU) == "" && strings.TrimSpace(product.Name) == "" {
		return &InputError{Field: "product", Problem: fmt.Sprintf("required: a complaint of kind %s is about a product; give its sku or name (and what is known of its purchase and delivery) with the new kind", in.Kind)}
	}
	if t := in.DefectNoticedAt; !t.IsZero() {
		received := c.receivedAt()
		switch {
		case !deliveryInRange(t):
			return &InputError{Field: "defect_noticed_at", Problem: "out of range"}
		case t.After(received):
			return &InputError{Field: "defect_noticed_at", Problem: "after the complaint was received"}
		}
	}
	return nil
}

// checkProduct validates a product as intake does.
func (w *Workflow) checkProduct(pr Product) error {
	for _, f := range [...]struct{ name, v string }{
		{"product.sku", pr.SKU}, {"product.name", pr.Name}, {"product.manufacturer", pr.Manufacturer},
	} {
		if err := checkLine(f.name, f.v); err != nil {
			return err
		}
	}
	now := w.now()
	for _, f := range [...]struct {
		name string
		t    time.Time
	}{{"product.delivered_at", pr.DeliveredAt}, {"product.purchased_at", pr.PurchasedAt}} {
		switch {
		case !deliveryInRange(f.t):
			return &InputError{Field: f.name, Problem: "out of range"}
		case f.t.After(now):
			return &InputError{Field: f.name, Problem: "in the future"}
		}
	}
	if !pr.PurchasedAt.IsZero() && !pr.DeliveredAt.IsZero() && pr.DeliveredAt.Before(pr.PurchasedAt) {
		return &InputError{Field: "product.delivered_at", Problem: "before the purchase"}
	}
	return nil
}

// reclassified reports whether s's history (or its checkpoint) records a
// reclassification: an entry of an event that needs a kind.
func (w *Workflow) reclassified(s *Snapshot) bool {
	if s.Checkpoint != nil && slices.Contains(s.Checkpoint.Recorded, NeedsKind) {
		return true
	}
	for i := range s.History {
		if w.m.needs(s.History[i].Event) == NeedsKind {
			return true
		}
	}
	return false
}

// checkODR refuses a link to the closed EU ODR platform in every text of
// in that reaches the customer: the note of an event that notifies them,
// the answer, the decision, the referral's contact and the fulfilment's
// reference.
func checkODR(r *Rule, in *Input) error {
	texts := make([]struct{ field, text string }, 0, 4)
	add := func(field, text string) { texts = append(texts, struct{ field, text string }{field, text}) }
	if notifiesCustomer(r) {
		add("note", in.Note)
	}
	if in.Answer != nil {
		add("answer.text", in.Answer.Text)
		if in.Answer.Remedy != nil {
			add("answer.remedy.text", in.Answer.Remedy.Text)
		}
	}
	if d := in.Decision; d != nil {
		add("decision.explanation", d.Explanation)
		if d.Remedy != nil {
			add("decision.remedy.text", d.Remedy.Text)
		}
		for i, f := range d.Findings {
			add(fmt.Sprintf("decision.findings[%d].description", i), f.Description)
		}
	}
	if in.Referral != nil {
		add("referral.contact", in.Referral.Contact)
	}
	if in.Fulfilment != nil {
		add("fulfilment.reference", in.Fulfilment.Reference)
	}
	for _, t := range texts {
		if escalation.MentionsODR(t.text) {
			return &InputError{Field: t.field, Problem: odrProblem}
		}
	}
	return nil
}

// odrProblem is the InputError problem of a text that links to the EU ODR
// platform.
const odrProblem = "links to the EU ODR platform, which closed on 20 July 2025"

func payloadErr(field string, e Event, needs Payload) error {
	if string(needs) == field {
		return &InputError{Field: field, Problem: fmt.Sprintf("required for %s", e)}
	}
	return &InputError{Field: field, Problem: fmt.Sprintf("%s does not take one", e)}
}

// window reports the escalation window of c: until when it runs, whether
// it has a limit at all, and whether it has lapsed now. It does not
// allocate.
func (w *Workflow) window(c *Complaint) (until time.Time, limited, lapsed bool) {
	d := c.deadline(DeadlineEscalationWindow)
	if d == nil || !d.Running() {
		return time.Time{}, false, false
	}
	return d.Due, true, !w.now().Before(d.Due)
}

// windowRefusal applies the escalation window, as the lifecycle's facts
// say (see machine.waitsForWindow and machine.escalates): a case that waits for
// the customer's choice (final_answer) is ended by anyone but the customer
// only once the window has lapsed (with no limit, only the customer's
// decision ends it); the customer escalates only inside the window (the
// Complaints Department may take a late case, with a note).
func (w *Workflow) windowRefusal(c *Complaint, r *Rule, role glossary.Role) refusal {
	waits, esc := w.m.waitsForWindow(c.state, r), w.m.escalates(c.state, r)
	if !waits && !esc {
		return refusal{}
	}
	until, limited, lapsed := w.window(c)
	switch {
	case waits && !limited:
		return refusal{why: refusedNoLimit}
	case waits && !lapsed:
		return refusal{why: refusedWindowOpen, until: until}
	case esc && role == glossary.Customer && limited && lapsed:
		return refusal{why: refusedWindowClosed, until: until}
	}
	return refusal{}
}

// checkGranted applies the remedy rules to an answer or a decision: an
// upheld or partly upheld one grants a remedy, a rejection none, and an
// upheld one grants the kind the customer sought; and to a fulfilment:
// once a remedy is granted, what is carried out is that remedy.
func checkGranted(c *Complaint, in *Input) error {
	var (
		outcome escalation.Outcome
		remedy  *escalation.Remedy
		field   string
	)
	switch {
	case in.Answer != nil:
		outcome, remedy, field = in.Answer.Outcome, in.Answer.Remedy, "answer.remedy"
	case in.Decision != nil:
		outcome, remedy, field = in.Decision.Outcome, in.Decision.Remedy, "decision.remedy"
	case in.Fulfilment != nil:
		if g, ok := c.Granted(); ok && g.Kind != in.Fulfilment.Remedy {
			return &InputError{Field: "fulfilment.remedy", Problem: fmt.Sprintf("the case grants %s, not %s", g.Kind, in.Fulfilment.Remedy)}
		}
		return nil
	default:
		return nil
	}
	if err := escalation.CheckGranted(outcome, remedy); err != nil {
		var de *escalation.DecisionError
		problem := err.Error()
		if errors.As(err, &de) {
			problem = de.Problem
		}
		return &InputError{Field: field, Problem: problem, Err: err}
	}
	if sought := c.remedy.Kind; outcome == escalation.Upheld && sought != "" && remedy.Kind != sought {
		return &InputError{Field: field + ".kind", Problem: fmt.Sprintf("upheld grants the remedy sought (%s), not %s", sought, remedy.Kind)}
	}
	// An escalation never worsens the customer's position: a decision that
	// grants nothing leaves customer service's grant owed (Granted), and
	// one that grants something in its place may not grant less than an
	// answer that upheld the complaint in full.
	if in.Decision != nil && remedy != nil && c.answer != nil && c.answer.Remedy != nil &&
		c.answer.Outcome == escalation.Upheld && outcome != escalation.Upheld {
		return &InputError{Field: "decision.outcome", Problem: fmt.Sprintf("customer service upheld the complaint with a %s: a decision may grant more in its place, not less (or grant nothing, which leaves that grant owed)", c.answer.Remedy.Kind)}
	}
	return nil
}
