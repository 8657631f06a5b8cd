package klagehttp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"golang.org/x/time/rate"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/metrics"
	"github.com/klageflow/klage/store"
)

// MaxBody is the largest request body the API reads, in bytes: a larger
// one is answered 413.
const MaxBody = 1 << 20

// Storage is what the API keeps complaints in: a store and its outbox, as
// store.SQL and store.Memory both are.
type Storage interface {
	store.Store
	store.Outbox
}

// Handler is klage's HTTP JSON API over a workflow and a store, an
// [http.Handler] to mount in a service of one's own, under any prefix
// ([http.StripPrefix]). Every request's actor comes from its credential
// ([Authenticator], [Principal]); what each actor may see is the library's
// rule ([complaint.Audience]). Build it with [New]; it is safe for
// concurrent use.
type Handler struct {
	w         *complaint.Workflow
	s         Storage
	now       func() time.Time
	log       *slog.Logger
	mux       *http.ServeMux
	auth      Authenticator
	customers *customerTokens
	intake    *limiters
	requests  *limiters
	texts     map[glossary.Language]PageText
	// pageEvents are the events the customer page offers, by state.
	pageEvents map[complaint.State]pageActs
	ready      func(ctx context.Context) error
	metrics    *metrics.Metrics
}

// Options configure [New]. Workflow, Store and CustomerTokenSecret are
// required; the rest have defaults.
type Options struct {
	// Workflow runs the complaints; it must have no Notifier (the store's
	// outbox and a [store.Relay] deliver).
	Workflow *complaint.Workflow
	// Store keeps them.
	Store Storage
	// Authenticator establishes who makes a request (staff, manufacturers,
	// the system; customers of the adopter's own login if it has one).
	// Combine several with [Authenticators]. Nil: only customers' tokens
	// and the anonymous web form.
	Authenticator Authenticator
	// CustomerTokenSecret signs the capability tokens that customers get
	// for their complaint (in the answer to POST /complaints, for the link
	// their acknowledgement carries): at least 32 bytes, kept secret and
	// the same on every replica.
	CustomerTokenSecret []byte
	// CustomerTokenTTL is how long a customer's token is valid; zero means
	// 90 days.
	CustomerTokenTTL time.Duration
	// Now is the clock; nil means the workflow's.
	Now func() time.Time
	// Logger receives one line per request (method, route, status, time;
	// never bodies, queries or credentials) and the errors; nil discards.
	Logger *slog.Logger
	// IntakeRate and IntakeBurst limit anonymous intake (the web form) per
	// client address; zero means 10 a minute with a burst of 5.
	IntakeRate  rate.Limit
	IntakeBurst int
	// RequestRate and RequestBurst limit every request (health probes
	// aside) per client: per credential, or per address for a request
	// without one; past it, 429. Zero means 100 a second with a burst of
	// 200; rate.Inf means no limit.
	RequestRate  rate.Limit
	RequestBurst int
	// Ready reports whether the service can work, for GET /readyz (which
	// answers with the status only); nil means always.
	Ready func(ctx context.Context) error
	// Metrics counts the requests; MetricsHandler serves GET /metrics to
	// staff credentials (operators who scrape without one serve it on a
	// listener of their own instead). Nil means neither.
	Metrics        *metrics.Metrics
	MetricsHandler http.Handler
	// PageTexts add languages to the customer's page (GET /case/{token}),
	// or change the shipped Danish and English wording; what a language
	// leaves out falls back to English.
	PageTexts map[glossary.Language]PageText
}

// ErrInvalidConfig is matched by every *ConfigError.
var ErrInvalidConfig = errors.New("klagehttp: invalid configuration")

// ConfigError reports an [Options] field that [New] refused.
type ConfigError struct {
	Field   string
	Problem string
}

// Error implements error.
func (e *ConfigError) Error() string { return "klagehttp: Options." + e.Field + ": " + e.Problem }

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// New returns the API. It refuses, with a *ConfigError naming the field, a
// configuration it could not serve: no workflow or store, a workflow with
// a Notifier, or a customer token secret shorter than 32 bytes.
func New(opts Options) (*Handler, error) {
	switch {
	case opts.Workflow == nil:
		return nil, &ConfigError{Field: "Workflow", Problem: "required"}
	case opts.Store == nil:
		return nil, &ConfigError{Field: "Store", Problem: "required"}
	case len(opts.CustomerTokenSecret) < 32:
		return nil, &ConfigError{Field: "CustomerTokenSecret", Problem: "required, at least 32 bytes"}
	case opts.CustomerTokenTTL < 0:
		return nil, &ConfigError{Field: "CustomerTokenTTL", Problem: "negative"}
	case opts.IntakeRate < 0 || opts.IntakeBurst < 0:
		return nil, &ConfigError{Field: "IntakeRate", Problem: "negative"}
	}
	if opts.Workflow.Notifies() {
		return nil, &ConfigError{Field: "Workflow", Problem: "has a Notifier: with a store, the outbox and a relay deliver"}
	}
	if rl, ok := opts.Authenticator.(roleLister); ok {
		for _, r := range rl.roles() {
			if _, err := opts.Workflow.ParseRole(string(r)); err != nil {
				return nil, &ConfigError{Field: "Authenticator", Problem: fmt.Sprintf("a static token's role %q is not in the workflow's lifecycle", r)}
			}
		}
	}
	if opts.IntakeRate == 0 {
		opts.IntakeRate, opts.IntakeBurst = rate.Every(6*time.Second), 5
	}
	if opts.IntakeBurst == 0 {
		opts.IntakeBurst = 1
	}
	if opts.RequestRate < 0 || opts.RequestBurst < 0 {
		return nil, &ConfigError{Field: "RequestRate", Problem: "negative"}
	}
	if opts.RequestRate == 0 {
		opts.RequestRate, opts.RequestBurst = 100, 200
	}
	if opts.RequestBurst == 0 {
		opts.RequestBurst = 1
	}
	if opts.Now == nil {
		opts.Now = opts.Workflow.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.CustomerTokenTTL == 0 {
		opts.CustomerTokenTTL = 90 * 24 * time.Hour
	}
	customers := &customerTokens{secret: slices.Clone(opts.CustomerTokenSecret), ttl: opts.CustomerTokenTTL, now: opts.Now}
	srv := &Handler{w: opts.Workflow, s: opts.Store, now: opts.Now, log: opts.Logger, mux: http.NewServeMux(),
		auth: opts.Authenticator, customers: customers,
		intake: newLimiters(opts.IntakeRate, opts.IntakeBurst), requests: newLimiters(opts.RequestRate, opts.RequestBurst),
		ready: opts.Ready, metrics: opts.Metrics, texts: mergePageTexts(shippedPageTexts, opts.PageTexts),
		pageEvents: pageEventsOf(opts.Workflow)}
	srv.mux.HandleFunc("POST /complaints", srv.create)
	srv.mux.HandleFunc("GET /complaints", srv.list)
	srv.mux.HandleFunc("GET /complaints/{id}", srv.get)
	srv.mux.HandleFunc("POST /complaints/{id}/events", srv.fire)
	srv.mux.HandleFunc("GET /complaints/{id}/history", srv.history)
	srv.mux.HandleFunc("GET /complaints/{id}/notifications", srv.notifications)
	srv.mux.HandleFunc("POST /complaints/{id}/rating", srv.rate)
	srv.mux.HandleFunc("GET /reports", srv.report)
	srv.mux.HandleFunc("GET /dashboard", srv.dashboard)
	srv.mux.HandleFunc("GET /actions", srv.listActions)
	srv.mux.HandleFunc("POST /actions", srv.createAction)
	srv.mux.HandleFunc("POST /actions/{id}", srv.updateAction)
	srv.mux.HandleFunc("GET /customers/{id}/data", srv.exportCustomer)
	srv.mux.HandleFunc("POST /customers/{id}/erase", srv.eraseCustomer)
	srv.mux.HandleFunc("GET /diagram", srv.diagram)
	srv.mux.HandleFunc("GET /case/{token}", srv.customerPage)
	srv.mux.HandleFunc("POST /case/{token}/answer", srv.pageAction(func(a pageActs) complaint.Event { return a.answer }, "answered"))
	srv.mux.HandleFunc("POST /case/{token}/escalate", srv.pageAction(func(a pageActs) complaint.Event { return a.escalate }, "escalated"))
	srv.mux.HandleFunc("GET /dead-letters", srv.deadLetters)
	srv.mux.HandleFunc("POST /dead-letters/requeue", srv.requeue)
	openapi, err := openAPIFor(opts.Workflow)
	if err != nil {
		return nil, err
	}
	srv.mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi)
	})
	srv.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	srv.mux.HandleFunc("GET /readyz", srv.readyz)
	if opts.MetricsHandler != nil {
		mh := opts.MetricsHandler
		srv.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
			p := needPrincipal(w, r)
			if p == nil {
				return
			}
			if !p.staff() {
				srv.fail(w, r, fmt.Errorf("%w: metrics are for staff", errStaffOnly))
				return
			}
			mh.ServeHTTP(w, r)
		})
	}
	return srv, nil
}

// IssueCustomerToken returns a capability token for the customer of
// complaint id (the one POST /complaints answers with), for a link in a
// message of the adopter's own: it opens that complaint only, until it
// expires.
func (srv *Handler) IssueCustomerToken(id, customerID string) string {
	return srv.customers.issue(id, customerID)
}

// CustomerPageLink returns a function for notify.RendererOptions.CustomerLink:
// the address of the customer's own page (GET /case/{token})
// with a fresh capability token for the notification's complaint. base is
// where customers reach the handler, with its mount prefix, such as
// "https://klage.example.dk/klage".
func (srv *Handler) CustomerPageLink(base string) func(complaint.Notification) string {
	base = strings.TrimRight(base, "/")
	return func(n complaint.Notification) string {
		return base + "/case/" + url.PathEscape(srv.customers.issue(n.ComplaintID, n.Data.Customer.ID))
	}
}

// ServeHTTP implements http.Handler: it authenticates the request, then
// routes it. A route the mux does not know answers 404 in the API's error
// shape, a known path with another method 405 with Allow.
func (srv *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	_, route := srv.mux.Handler(r)
	defer func() {
		took := time.Since(start)
		srv.logRequest(r.Context(), r.Method, route, rec.status, took)
		if srv.metrics != nil {
			srv.metrics.HTTPRequest(route, r.Method, rec.status, took)
		}
	}()
	srv.serve(rec, r)
}

func (srv *Handler) serve(w http.ResponseWriter, r *http.Request) {
	if field, ok := cleanRequest(r); !ok {
		// Before anything reads it: a NUL or invalid UTF-8 never reaches a
		// database (PostgreSQL refuses to store them, and the refusal
		// would be a 500).
		apiFailure{status: http.StatusBadRequest, code: "invalid_input", message: field + " holds a control character or invalid UTF-8", field: field}.write(w, r)
		return
	}
	p, err := srv.authenticate(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="klage", error="invalid_token"`)
		apiFailure{status: http.StatusUnauthorized, code: "unauthenticated", message: "the credential is missing, malformed, expired or not valid"}.write(w, r)
		return
	}
	if p != nil {
		r = r.WithContext(withPrincipal(r.Context(), p))
	}
	if r.URL.Path != "/healthz" && r.URL.Path != "/readyz" && !srv.requests.allow(clientKey(r, p), time.Now()) {
		// Operational, so the real clock: a test's injected one must not
		// stop the bucket refilling.
		w.Header().Set("Retry-After", "1")
		apiFailure{status: http.StatusTooManyRequests, code: "too_many_requests", message: "too many requests from this client; try again later"}.write(w, r)
		return
	}
	h, pattern := srv.mux.Handler(r)
	if pattern == "" {
		rec := &statusOnly{header: http.Header{}}
		h.ServeHTTP(rec, r) // the mux's own 404 or 405, to learn which, and Allow
		if rec.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", rec.header.Get("Allow"))
			apiFailure{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: r.Method + " is not allowed on " + r.URL.Path}.write(w, r)
			return
		}
		apiFailure{status: http.StatusNotFound, code: "not_found", message: "no such route: " + r.Method + " " + r.URL.Path}.write(w, r)
		return
	}
	srv.mux.ServeHTTP(w, r) // which sets the path's values
}

// cleanRequest reports whether the parts of r that the API reads as text
// (the path, every query parameter and the headers it reads) are valid
// UTF-8 without control characters; when not, it names the part.
func cleanRequest(r *http.Request) (string, bool) {
	if !cleanText(r.URL.Path) {
		return "path", false
	}
	for k, vs := range r.URL.Query() {
		if !cleanText(k) {
			return "query", false
		}
		for _, v := range vs {
			if !cleanText(v) {
				return k, false
			}
		}
	}
	for _, h := range []string{"Idempotency-Key", "If-Match", "Accept-Language", "Authorization"} {
		for _, v := range r.Header.Values(h) {
			if !cleanText(v) {
				return h, false
			}
		}
	}
	return "", true
}

// cleanText reports whether s is valid UTF-8 without control characters.
func cleanText(s string) bool {
	for _, c := range s {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == utf8.RuneError {
			return false
		}
	}
	return true
}

// statusOnly records what the mux's own error handlers answer.
type statusOnly struct {
	header http.Header
	status int
}

func (s *statusOnly) Header() http.Header         { return s.header }
func (s *statusOnly) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusOnly) WriteHeader(status int)      { s.status = status }

// authenticate returns the request's principal: nil for a request with no
// credential, or an error (401) for a credential that does not hold. A
// customer's capability token is the handler's own; everything else is the
// Authenticator's.
func (srv *Handler) authenticate(r *http.Request) (*Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(h, " ")
	var (
		p   Principal
		err error
	)
	switch token = strings.TrimSpace(token); {
	case h != "" && strings.EqualFold(scheme, "Bearer") && strings.HasPrefix(token, customerTokenPrefix):
		p, err = srv.customers.authenticate(token)
	case srv.auth != nil:
		p, err = srv.auth.Authenticate(r)
	default:
		err = ErrNoCredential
	}
	switch {
	case errors.Is(err, ErrNoCredential) && h == "":
		return nil, nil // anonymous
	case errors.Is(err, ErrNoCredential):
		return nil, fmt.Errorf("%w: unknown credential", errUnauthenticated)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", errUnauthenticated, err)
	}
	if problem := glossary.IDProblem(p.Actor.ID); p.Actor.ID == "" || len(p.Actor.ID) > complaint.MaxIDLen || problem != "" ||
		!srv.knows(p.Actor.Role) {
		return nil, fmt.Errorf("%w: the credential names no valid actor", errUnauthenticated)
	}
	if p.Actor.Role == glossary.Manufacturer && p.Actor.Manufacturer == "" {
		return nil, fmt.Errorf("%w: a manufacturer's credential names its manufacturer", errUnauthenticated)
	}
	return &p, nil
}

// knows reports whether role is one of the workflow's lifecycle's roles
// (an extended lifecycle's own included).
func (srv *Handler) knows(role glossary.Role) bool {
	_, err := srv.w.ParseRole(string(role))
	return err == nil
}

// needPrincipal returns the request's Principal, or answers 401.
func needPrincipal(w http.ResponseWriter, r *http.Request) *Principal {
	p := principalOf(r.Context())
	if p == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="klage"`)
		apiFailure{status: http.StatusUnauthorized, code: "unauthenticated", message: "this route needs a credential"}.write(w, r)
	}
	return p
}

// errHidden: the complaint does not exist for this Principal. It answers
// 404, as a missing complaint does, so that ids do not leak.
var errHidden = errors.New("not found")

// sees reports whether p may see complaint c at all: the library's rule
// (complaint.Audience), and a customer's token opens one complaint only.
func (srv *Handler) sees(p *Principal, c *complaint.Complaint) bool {
	if p.Actor.Role == glossary.Customer && p.Complaint != c.ID() {
		return false
	}
	return srv.w.Audience(p.Actor).Sees(c)
}

// pathID returns the {id} of the path, or answers 400 for one that no
// complaint can have, before any database call.
func (srv *Handler) pathID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if len(id) > complaint.MaxIDLen || glossary.IDProblem(id) != "" {
		srv.fail(w, r, fmt.Errorf("%w: the complaint id is not valid", errBadRequest))
		return "", false
	}
	return id, true
}

// load returns the complaint of the path for the request's Principal, or
// answers: 401 without a credential, 400 for a malformed id, 404 for a
// complaint that does not exist or that the Principal may not see.
func (srv *Handler) load(w http.ResponseWriter, r *http.Request) (*complaint.Complaint, *Principal, bool) {
	p := needPrincipal(w, r)
	if p == nil {
		return nil, nil, false
	}
	id, ok := srv.pathID(w, r)
	if !ok {
		return nil, nil, false
	}
	if p.Actor.Role == glossary.Customer && p.Complaint != id {
		srv.fail(w, r, errHidden) // before the database: the token opens one complaint
		return nil, nil, false
	}
	c, err := srv.s.Get(r.Context(), id)
	if err != nil {
		srv.fail(w, r, err)
		return nil, nil, false
	}
	if !srv.sees(p, c) {
		srv.fail(w, r, errHidden)
		return nil, nil, false
	}
	return c, p, true
}

// complaintView is a complaint as the API shows it: what the Principal
// may see of its snapshot (complaint.Audience) without the history, whose
// size would grow with it (GET /complaints/{id}/history pages through
// it), the checkpoint that stands for it, and the notifications pending in
// the outbox.
type complaintView struct {
	complaint.Snapshot
	History    []complaint.Entry        `json:"history,omitempty"`
	Checkpoint *complaint.Checkpoint    `json:"checkpoint,omitempty"`
	Pending    []complaint.Notification `json:"pending,omitempty"`
}

// view is the complaint as the API shows it to p.
func (srv *Handler) view(p *Principal, c *complaint.Complaint) complaintView {
	s, _ := srv.w.Audience(p.Actor).Complaint(c)
	return complaintView{Snapshot: s}
}

// apiError is the body of every error answer: {"error": {...}}.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"` // the input field at fault, when there is one
}

// writeJSON encodes v, then writes it with status: an encoding error is a
// 500 with an error body, never a status already sent over an empty body.
// Compact: indenting every answer costs a copy; pipe to jq to read it.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":{"code":"internal","message":"internal error"}}` + "\n"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// publicMessage drops the Go package prefixes ("store: ", "complaint: ")
// that error strings carry: a client needs the words, not the layout of
// the code.
func publicMessage(m string) string {
	for _, prefix := range []string{"complaint: ", "store: ", "escalation: ", "glossary: "} {
		m = strings.ReplaceAll(m, prefix, "")
	}
	return m
}

// fail maps an error to the API's status codes.
func (srv *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if f, ok := reportFailure(err); ok {
		f.write(w, r)
		return
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, store.ErrCorrupt):
		// A server fault, whatever the decoding error wraps; the log gets
		// the complaint's id and the reason, never its contents.
		srv.log.ErrorContext(r.Context(), "stored complaint cannot be decoded", "method", r.Method, "path", r.URL.Path, "error", err)
		apiFailure{status: http.StatusInternalServerError, code: "internal", message: "internal error"}.write(w, r)
	case errors.Is(err, store.ErrInvalidCursor):
		apiFailure{status: http.StatusBadRequest, code: "invalid_input", message: err.Error(), field: fieldOf(err)}.write(w, r)
	case errors.Is(err, store.ErrCustomerNotFound):
		apiFailure{status: http.StatusNotFound, code: "not_found", message: "no such customer"}.write(w, r)
	case errors.Is(err, store.ErrMessageNotFound):
		apiFailure{status: http.StatusNotFound, code: "not_found", message: "no such notification"}.write(w, r)
	case errors.As(err, &tooLarge):
		apiFailure{status: http.StatusRequestEntityTooLarge, code: "too_large", message: fmt.Sprintf("the body is larger than %d bytes", tooLarge.Limit)}.write(w, r)
	case errors.Is(err, errBadRequest), errors.Is(err, complaint.ErrInvalidInput), errors.Is(err, glossary.ErrUnknown),
		errors.Is(err, escalation.ErrInvalidDecision):
		apiFailure{status: http.StatusBadRequest, code: "invalid_input", message: err.Error(), field: fieldOf(err)}.write(w, r)
	case errors.Is(err, complaint.ErrForbidden), errors.Is(err, complaint.ErrNotImpartial):
		apiFailure{status: http.StatusForbidden, code: "forbidden", message: err.Error()}.write(w, r)
	case errors.Is(err, errUnsupportedMedia):
		apiFailure{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", message: "the body must be application/json"}.write(w, r)
	case errors.Is(err, errTooMany):
		apiFailure{status: http.StatusTooManyRequests, code: "too_many_requests", message: "too many complaints from this address; try again later"}.write(w, r)
	case errors.Is(err, errStaffOnly):
		apiFailure{status: http.StatusForbidden, code: "forbidden", message: err.Error()}.write(w, r)
	case errors.Is(err, store.ErrNotFound), errors.Is(err, errHidden):
		apiFailure{status: http.StatusNotFound, code: "not_found", message: "no such complaint"}.write(w, r)
	case errors.Is(err, complaint.ErrInvalidTransition):
		apiFailure{status: http.StatusConflict, code: "invalid_transition", message: err.Error()}.write(w, r)
	case errors.Is(err, store.ErrConflict) && r.Header.Get("If-Match") != "":
		apiFailure{status: http.StatusPreconditionFailed, code: "precondition_failed", message: err.Error()}.write(w, r)
	case errors.Is(err, errReused), errors.Is(err, store.ErrRequestReused):
		// The IETF Idempotency-Key draft: a key reused with another
		// request is 422.
		apiFailure{status: http.StatusUnprocessableEntity, code: "idempotency_key_reused", message: err.Error()}.write(w, r)
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrExists):
		apiFailure{status: http.StatusConflict, code: "conflict", message: err.Error()}.write(w, r)
	case errors.Is(err, complaint.ErrVetoed):
		apiFailure{status: http.StatusConflict, code: "vetoed", message: err.Error()}.write(w, r)
	default:
		srv.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		apiFailure{status: http.StatusInternalServerError, code: "internal", message: "internal error"}.write(w, r)
	}
}

var (
	errBadRequest       = errors.New("bad request")
	errUnsupportedMedia = errors.New("unsupported media type")
	errTooMany          = errors.New("too many requests")
	errStaffOnly        = errors.New("only staff may do this")
	errReused           = errors.New("idempotency key reused")
)

// intakeRequest is the body of POST /complaints. Who registers the
// complaint comes from the credential, never from the body.
type intakeRequest struct {
	Customer     *complaint.Customer `json:"customer"`
	Channel      glossary.Channel    `json:"channel"`
	Kind         glossary.Term       `json:"kind"`
	Product      *complaint.Product  `json:"product"`
	Description  string              `json:"description"`
	RemedySought escalation.Remedy   `json:"remedy_sought"` // {"kind", "text"}, or the text alone
	Note         string              `json:"note"`
	// DefectNoticedAt and ReceivedAt are claim timing facts, each optional.
	DefectNoticedAt time.Time `json:"defect_noticed_at"`
	ReceivedAt      time.Time `json:"received_at"`
	// Safety flags a product-safety matter from the start.
	Safety bool `json:"safety"`
}

// created is the 201 body of POST /complaints: the complaint and, this
// once, the customer's token for it.
type created struct {
	complaintView
	CustomerToken string `json:"customer_token"`
}

// create registers a complaint. Without a credential it is the web form:
// rate-limited per client address, and the customer's id is assigned here
// (a form cannot prove one). Customer service and the system register
// complaints that came by phone or e-mail and may name the customer's id.
func (srv *Handler) create(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r.Context())
	switch {
	case p == nil:
		if !srv.intake.allow(clientAddr(r), srv.now()) {
			srv.fail(w, r, errTooMany)
			return
		}
	case p.Actor.Role != glossary.CustomerService && p.Actor.Role != glossary.System:
		srv.fail(w, r, fmt.Errorf("%w: a customer registers a complaint through the web form, without a credential", errStaffOnly))
		return
	}
	var req intakeRequest
	body, err := decode(w, r, &req)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	if req.Customer == nil {
		srv.fail(w, r, badField("customer", "customer is required"))
		return
	}
	if req.Product == nil {
		// Feedback and general complaints need no product; for the other
		// kinds the library says what is missing.
		req.Product = &complaint.Product{}
	}
	if lang, asked := requestLanguage(r); asked && req.Customer.Language == "" {
		req.Customer.Language = lang // the language the customer's browser or agent asked for
	}
	in := complaint.Intake{
		Customer: *req.Customer, Channel: req.Channel, Kind: req.Kind, Product: *req.Product,
		Description: req.Description, RemedySought: req.RemedySought, Note: req.Note,
		DefectNoticedAt: req.DefectNoticedAt, ReceivedAt: req.ReceivedAt, Safety: req.Safety,
	}
	if p == nil {
		if in.Customer.ID != "" {
			srv.fail(w, r, badField("customer.id", "customer.id is assigned by the service for a web-form complaint"))
			return
		}
		in.Customer.ID = "web-" + randomHex(12)
		in.OpenedBy = glossary.Actor{ID: in.Customer.ID, Role: glossary.Customer}
	} else {
		if in.Customer.ID == "" {
			in.Customer.ID = "cust-" + randomHex(12)
		}
		in.OpenedBy = p.Actor
	}
	var c *complaint.Complaint
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		in.RequestHash = requestHash(body)
		c, err = srv.receiveOnce(r, in, key)
	} else {
		c, err = store.Receive(r.Context(), srv.s, srv.w, in)
	}
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	w.Header().Set("Location", mounted(r, "/complaints/"+c.ID()))
	w.Header().Set("ETag", etag(c))
	viewer := p
	if viewer == nil {
		// The web form's customer: the complaint's own.
		viewer = &Principal{Actor: glossary.Actor{ID: c.Customer().ID, Role: glossary.Customer}, Complaint: c.ID()}
	}
	writeJSON(w, http.StatusCreated, created{complaintView: srv.view(viewer, c), CustomerToken: srv.customers.issue(c.ID(), c.Customer().ID)})
}

// receiveOnce registers in under an Idempotency-Key, as the IETF
// Idempotency-Key draft describes: the key is scoped to the credential
// (to the client's address for the anonymous web form), and the
// complaint's id is derived from the scope and the key, so that a retry
// after a lost answer finds the complaint its first attempt made instead
// of making a second, and two concurrent attempts make one. A key reused
// with another body (another fingerprint, in.RequestHash) is refused with
// errReused (422).
func (srv *Handler) receiveOnce(r *http.Request, in complaint.Intake, key string) (*complaint.Complaint, error) {
	scope := "web:" + clientAddr(r)
	if p := principalOf(r.Context()); p != nil {
		scope = string(p.Actor.Role) + ":" + glossary.NormalID(p.Actor.ID)
	}
	sum := sha256.Sum256([]byte(scope + "\x00" + key))
	in.ID, in.RequestID = "K-"+hex.EncodeToString(sum[:12]), key
	c, err := store.Receive(r.Context(), srv.s, srv.w, in)
	if !errors.Is(err, store.ErrExists) {
		return c, err
	}
	c, err = srv.s.Get(r.Context(), in.ID)
	if err != nil {
		return nil, err
	}
	h, err := srv.s.HistoryPage(r.Context(), in.ID, 1, "")
	if err != nil {
		return nil, err
	}
	if len(h.Entries) == 0 || h.Entries[0].RequestID != key || h.Entries[0].RequestHash != in.RequestHash {
		return nil, fmt.Errorf("%w: the Idempotency-Key was used for another request", errReused)
	}
	return c, nil
}

// requestHash is a request body's fingerprint: the SHA-256 of its
// canonical JSON form (RFC 8785), so that a retry that spells the same
// body with other white space or member order is the same request.
func requestHash(body []byte) string {
	v := jsontext.Value(bytes.Clone(body))
	if err := v.Canonicalize(); err != nil {
		v = body
	}
	sum := sha256.Sum256(v)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (srv *Handler) get(w http.ResponseWriter, r *http.Request) {
	c, p, ok := srv.load(w, r)
	if !ok {
		return
	}
	w.Header().Set("ETag", etag(c))
	writeJSON(w, http.StatusOK, srv.view(p, c))
}

func (srv *Handler) list(w http.ResponseWriter, r *http.Request) {
	p := needPrincipal(w, r)
	if p == nil {
		return
	}
	if !p.staff() {
		srv.fail(w, r, fmt.Errorf("%w: listing complaints", errStaffOnly))
		return
	}
	q := r.URL.Query()
	var f store.Filter
	if v := q.Get("state"); v != "" {
		s, err := srv.w.ParseState(v)
		if err != nil {
			srv.fail(w, r, err)
			return
		}
		f.State = s
	}
	switch v := q.Get("overdue"); v {
	case "", "false":
	case "true":
		f.OverdueAt = srv.now()
	default:
		srv.fail(w, r, badField("overdue", "overdue must be true or false, not %q", v))
		return
	}
	f.CustomerID, f.Manufacturer, f.Cursor = q.Get("customer"), q.Get("manufacturer"), q.Get("cursor")
	if v := q.Get("kind"); v != "" {
		k, err := glossary.ParseTerm(v)
		if err != nil {
			srv.fail(w, r, err)
			return
		}
		f.Kind = k
	}
	for _, t := range []struct {
		name string
		to   *time.Time
	}{{"created_from", &f.CreatedFrom}, {"created_before", &f.CreatedBefore}} {
		if v := q.Get(t.name); v != "" {
			at, err := time.Parse(time.RFC3339, v)
			if err != nil {
				srv.fail(w, r, badField(t.name, "%s must be an RFC 3339 time", t.name))
				return
			}
			*t.to = at
		}
	}
	limit, ok := limitParam(w, r, srv)
	if !ok {
		return
	}
	f.Limit = limit
	page, err := srv.s.List(r.Context(), f)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	for _, bad := range page.Corrupt {
		// Skipped, so that one bad row does not hide the others; an
		// operator needs to know.
		srv.log.ErrorContext(r.Context(), "list skipped a stored complaint that cannot be decoded", "id", bad.ID, "error", bad.Err)
	}
	out := listPage{Complaints: make([]complaintView, len(page.Complaints)), NextCursor: page.Next}
	for i, c := range page.Complaints {
		out.Complaints[i] = srv.view(p, c)
	}
	writeJSON(w, http.StatusOK, out)
}

// listPage is the answer of GET /complaints.
type listPage struct {
	Complaints []complaintView `json:"complaints"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// historyPage is the answer of GET /complaints/{id}/history.
type historyPage struct {
	History    []complaint.Entry `json:"history"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

// limitParam reads the limit query parameter: 0 when there is none.
func limitParam(w http.ResponseWriter, r *http.Request, srv *Handler) (int, bool) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > store.MaxLimit {
		srv.fail(w, r, badField("limit", "limit must be a number from 1 to %d", store.MaxLimit))
		return 0, false
	}
	return n, true
}

// eventRequest is the body of POST /complaints/{id}/events. The actor is
// the request's credential: a body that names one is refused.
type eventRequest struct {
	Event           string               `json:"event"`
	Note            string               `json:"note"`
	ExpectedVersion int                  `json:"expected_version"`
	Answer          *complaint.Answer    `json:"answer"`
	Decision        *escalation.Decision `json:"decision"`
	Referral        *complaint.Referral  `json:"referral"`
	Kind            glossary.Term        `json:"kind"`
	// Product and DefectNoticedAt come with a reclassification: a
	// complaint that becomes about a product needs one.
	Product         *complaint.Product    `json:"product"`
	DefectNoticedAt time.Time             `json:"defect_noticed_at"`
	Consent         *complaint.Consent    `json:"consent"`
	Fulfilment      *complaint.Fulfilment `json:"fulfilment"`
}

func (srv *Handler) fire(w http.ResponseWriter, r *http.Request) {
	c, p, ok := srv.load(w, r)
	if !ok {
		return
	}
	var req eventRequest
	body, err := decode(w, r, &req)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	e, err := srv.w.ParseEvent(req.Event)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	if req.ExpectedVersion < 0 {
		srv.fail(w, r, badField("expected_version", "expected_version must not be negative"))
		return
	}
	// If-Match, with the ETag of GET /complaints/{id}, is the header form
	// of expected_version: a stale one answers 412.
	matched, err := ifMatch(r)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	if matched != 0 && req.ExpectedVersion != 0 && matched != req.ExpectedVersion {
		srv.fail(w, r, badField("expected_version", "expected_version %d and If-Match version %d disagree", req.ExpectedVersion, matched))
		return
	}
	if matched != 0 {
		req.ExpectedVersion = matched
	}
	in := complaint.Input{Event: e, Actor: p.Actor, Note: req.Note, Answer: req.Answer, Decision: req.Decision,
		Referral: req.Referral, Kind: req.Kind, Product: req.Product, DefectNoticedAt: req.DefectNoticedAt,
		Consent: req.Consent, Fulfilment: req.Fulfilment, RequestID: r.Header.Get("Idempotency-Key")}
	if in.RequestID != "" {
		in.RequestHash = requestHash(body)
	}
	// The complaint just loaded (to check who may see it) is the one the
	// first attempt fires on: no second read.
	c, _, err = store.Fire(r.Context(), srv.s, srv.w, c.ID(), in, store.FireOptions{ExpectedVersion: req.ExpectedVersion, Loaded: c})
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(c))
	writeJSON(w, http.StatusOK, srv.view(p, c))
}

func (srv *Handler) history(w http.ResponseWriter, r *http.Request) {
	c, p, ok := srv.load(w, r)
	if !ok {
		return
	}
	limit, ok := limitParam(w, r, srv)
	if !ok {
		return
	}
	page, err := srv.s.HistoryPage(r.Context(), c.ID(), limit, r.URL.Query().Get("cursor"))
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, historyPage{History: srv.w.Audience(p.Actor).Entries(c, page.Entries), NextCursor: page.Next})
}

// notification is one item of GET /complaints/{id}/notifications.
type notification struct {
	Key         string          `json:"key,omitempty"` // staff only
	Topic       complaint.Topic `json:"topic"`
	Recipient   glossary.Role   `json:"recipient"`
	Seq         int             `json:"seq"`
	At          time.Time       `json:"at"`
	Data        complaint.Data  `json:"data"`
	Attempts    int             `json:"attempts"`
	DeliveredAt *time.Time      `json:"delivered_at"`
	LastError   string          `json:"last_error,omitempty"`
}

// notifications lists a complaint's notifications: all of them for staff,
// those addressed to them for a customer or a manufacturer.
func (srv *Handler) notifications(w http.ResponseWriter, r *http.Request) {
	c, p, ok := srv.load(w, r)
	if !ok {
		return
	}
	ms, err := srv.s.Notifications(r.Context(), c.ID())
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	au := srv.w.Audience(p.Actor)
	out := []notification{}
	unreadable := 0
	for _, m := range ms {
		if m.Unreadable != "" {
			// Left out, and counted: staff find it with its reason among
			// the dead letters (GET /dead-letters).
			unreadable++
			continue
		}
		if !au.SeesNotification(c, m.Notification) {
			continue
		}
		n := notification{Topic: m.Topic, Recipient: m.Recipient, Seq: m.Seq, At: m.At, Data: m.Data, Attempts: m.Attempts}
		if au.Staff() {
			n.Key, n.LastError = m.Key(), m.LastError // idempotency keys and delivery errors are for staff
		}
		if m.Delivered() {
			at := m.DeliveredAt
			n.DeliveredAt = &at
		}
		out = append(out, n)
	}
	if unreadable > 0 && au.Staff() {
		w.Header().Set("Klage-Unreadable", strconv.Itoa(unreadable))
	}
	writeJSON(w, http.StatusOK, out)
}

// privacyStore returns the store's personal-data requests, after checking
// that p may make them: system credentials, or staff whose credential
// carries the privacy permission. A refusal answers 403.
func (srv *Handler) privacyStore(w http.ResponseWriter, r *http.Request) (store.PersonalData, *Principal, bool) {
	p := needPrincipal(w, r)
	if p == nil {
		return nil, nil, false
	}
	if privileged := p.Actor.Role == glossary.System || p.staff() && slices.Contains(p.Permissions, permissionPrivacy); !privileged {
		srv.fail(w, r, fmt.Errorf("%w: a customer's data needs system credentials or the %q permission", errStaffOnly, permissionPrivacy))
		return nil, nil, false
	}
	pd, ok := srv.s.(store.PersonalData)
	if !ok {
		apiFailure{status: http.StatusNotImplemented, code: "not_implemented", message: "this store does not keep personal data apart"}.write(w, r)
		return nil, nil, false
	}
	return pd, p, true
}

// permissionPrivacy lets a staff credential export and erase a customer's
// data.
const permissionPrivacy = "privacy"

// exportCustomer answers a subject access request: everything held about
// the customer, as JSON (GDPR art. 15 and 20).
func (srv *Handler) exportCustomer(w http.ResponseWriter, r *http.Request) {
	pd, _, ok := srv.privacyStore(w, r)
	if !ok {
		return
	}
	out, err := pd.Export(r.Context(), r.PathValue("id"))
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="customer-data.json"`)
	writeJSON(w, http.StatusOK, out)
}

// eraseCustomer erases a customer's personal data and free texts (GDPR
// art. 17), keeping the audit trail.
func (srv *Handler) eraseCustomer(w http.ResponseWriter, r *http.Request) {
	pd, p, ok := srv.privacyStore(w, r)
	if !ok {
		return
	}
	er, err := pd.Erase(r.Context(), r.PathValue("id"))
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	// The customer's id stays out of the log: the store's erasure record
	// (klage_erasures) is the audit trail.
	srv.log.InfoContext(r.Context(), "customer data erased", "complaints", er.Complaints, "by", p.Actor.ID)
	writeJSON(w, http.StatusOK, er)
}

func (srv *Handler) diagram(w http.ResponseWriter, r *http.Request) {
	d, err := srv.w.Diagram(complaint.Mermaid)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(d))
}
