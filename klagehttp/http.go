package klagehttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
)

// The languages the API answers in, English first: the fallback.
var (
	apiLanguages = []glossary.Language{glossary.English, glossary.Danish}
	apiMatcher   = language.NewMatcher([]language.Tag{language.English, language.Danish})
)

// requestLanguage is the language Accept-Language asks for, among those
// the API speaks, and whether the header asked at all.
func requestLanguage(r *http.Request) (glossary.Language, bool) {
	h := r.Header.Get("Accept-Language")
	if h == "" {
		return glossary.English, false
	}
	tags, _, err := language.ParseAcceptLanguage(h)
	if err != nil || len(tags) == 0 {
		return glossary.English, false
	}
	_, i, conf := apiMatcher.Match(tags...)
	if conf == language.No {
		return glossary.English, false
	}
	return apiLanguages[i], true
}

// danishMessages are the error messages in Danish, by code; the English
// ones carry the detail of the error itself.
var danishMessages = map[string]string{
	"invalid_input":          "Anmodningen er ugyldig.",
	"unauthenticated":        "Legitimationen mangler, er forkert udformet, udløbet eller ugyldig.",
	"forbidden":              "Du har ikke adgang til dette.",
	"not_found":              "Findes ikke.",
	"method_not_allowed":     "Metoden er ikke tilladt her.",
	"invalid_transition":     "Hændelsen er ikke tilladt i sagens nuværende tilstand.",
	"conflict":               "Sagen er ændret i mellemtiden; hent den igen.",
	"idempotency_key_reused": "Idempotency-Key er brugt til en anden anmodning.",
	"precondition_failed":    "Sagen er ændret siden den version, du så (If-Match); hent den igen.",
	"vetoed":                 "Handlingen blev afvist.",
	"too_large":              "Anmodningen er for stor.",
	"unsupported_media_type": "Indholdet skal være application/json.",
	"too_many_requests":      "For mange klager fra denne adresse; prøv igen senere.",
	"internal":               "Der opstod en intern fejl.",
	"not_ready":              "Tjenesten er ikke klar.",
	"not_implemented":        "Ikke understøttet af denne installation.",
	"not_ratable":            "Kun en lukket sag kan bedømmes.",
	"already_rated":          "Sagen er allerede bedømt.",
}

// apiFailure is an error answer: its status, code, message for API users
// (no Go package prefixes) and, when the library named it, the field.
type apiFailure struct {
	status        int
	code, message string
	field         string
}

// write sends f in the request's language.
func (f apiFailure) write(w http.ResponseWriter, r *http.Request) {
	msg := publicMessage(f.message)
	lang, _ := requestLanguage(r)
	if da, ok := danishMessages[f.code]; ok && lang == glossary.Danish {
		msg = da
	}
	w.Header().Set("Content-Language", string(lang))
	writeJSON(w, f.status, map[string]apiError{"error": {Code: f.code, Message: msg, Field: f.field}})
}

// fieldOf returns the input field an error names, if it names one.
func fieldOf(err error) string {
	var ie *complaint.InputError
	if errors.As(err, &ie) {
		return ie.Field
	}
	var fe fieldError
	if errors.As(err, &fe) {
		return fe.field
	}
	return ""
}

// fieldError is a service-level bad request about one field.
type fieldError struct {
	field string
	err   error
}

func (e fieldError) Error() string { return e.err.Error() }
func (e fieldError) Unwrap() error { return e.err }

// badField returns a bad request about field.
func badField(field, format string, args ...any) error {
	return fieldError{field: field, err: fmt.Errorf("%w: "+format, append([]any{errBadRequest}, args...)...)}
}

// etag is a complaint's entity tag: its version.
func etag(c *complaint.Complaint) string { return `"v` + strconv.Itoa(c.Version()) + `"` }

// ifMatch reads If-Match as an expected version: 0 when there is none or
// it is "*".
func ifMatch(r *http.Request) (int, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	v, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(h, `"v`), `"`))
	if err != nil || v < 1 || !strings.HasPrefix(h, `"v`) || !strings.HasSuffix(h, `"`) {
		return 0, badField("If-Match", "If-Match must be an ETag of this API, such as \"v3\"")
	}
	return v, nil
}

// statusRecorder remembers the status a handler wrote, for the request
// log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(status int) {
	if s.status == 0 {
		s.status = status
	}
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// logRequest writes one line per request: method, route pattern (not the
// path, whose ids say nothing an operator needs), status and duration. No
// body, query or header is logged: they carry personal data and
// credentials.
func (srv *Handler) logRequest(ctx context.Context, method, route string, status int, took time.Duration) {
	if route == "" {
		route = "unknown"
	}
	srv.log.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("method", method), slog.String("route", route),
		slog.Int("status", status), slog.Duration("duration", took))
}

func (srv *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	if srv.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := srv.ready(ctx); err != nil {
			// The reason goes to the log, not to an anonymous client: it
			// may name the database's host, user or port.
			srv.log.WarnContext(r.Context(), "not ready", "error", err)
			apiFailure{status: http.StatusServiceUnavailable, code: "not_ready", message: "not ready"}.write(w, r)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// mounted returns path (of a route, "/complaints/K-1") as a client reaches
// it: behind the prefix the handler is mounted under (http.StripPrefix
// leaves it in RequestURI).
func mounted(r *http.Request, path string) string {
	full, _, _ := strings.Cut(r.RequestURI, "?")
	if prefix, ok := strings.CutSuffix(full, r.URL.EscapedPath()); ok && strings.HasPrefix(prefix, "/") {
		return prefix + path
	}
	return path
}
