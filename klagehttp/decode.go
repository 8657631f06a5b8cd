package klagehttp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/klageflow/klage/escalation"
)

// maxDepth is how deeply a request body may nest: the deepest request
// (an event with a decision's findings) nests four levels.
const maxDepth = 16

// strict are the options request bodies are decoded with, by
// github.com/go-json-experiment/json (the encoding/json v2 design): names
// match exactly (no case folding: "deſcription" is not "description"),
// duplicate names, unknown members and invalid UTF-8 are refused.
var strict json.Options

func init() {
	strict = json.JoinOptions(
		json.RejectUnknownMembers(true),
		json.MatchCaseInsensitiveNames(false),
		jsontext.AllowDuplicateNames(false),
		jsontext.AllowInvalidUTF8(false),
		json.WithUnmarshalers(json.UnmarshalFunc(unmarshalRemedy)),
	)
}

// checkDepth refuses a body that nests deeper than maxDepth, reading it
// as a stream of tokens (no recursion, memory bounded by the depth), so
// that a megabyte of "[" costs a few kilobytes and stops at the 17th.
func checkDepth(body []byte) error {
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	for {
		if _, err := dec.ReadToken(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err // json.Unmarshal reports it in full
		}
		if dec.StackDepth() > maxDepth {
			return fmt.Errorf("%w: the body nests deeper than %d levels", errBadRequest, maxDepth)
		}
	}
}

// unmarshalRemedy reads an escalation.Remedy as strictly as the rest of
// the body: {"kind", "text"} or, as klage v1 wrote it, a string (its own
// UnmarshalJSON is lenient, as stored data needs).
func unmarshalRemedy(data []byte, r *escalation.Remedy) error {
	if len(data) > 0 && data[0] == '"' {
		var text string
		if err := json.Unmarshal(data, &text, strict); err != nil {
			return err
		}
		*r = escalation.Remedy{Text: text}
		return nil
	}
	var f struct {
		Kind escalation.RemedyKind `json:"kind"`
		Text string                `json:"text"`
	}
	if err := json.Unmarshal(data, &f, strict); err != nil {
		return err
	}
	*r = escalation.Remedy{Kind: f.Kind, Text: f.Text}
	return nil
}

// readBody reads a JSON request body of at most MaxBody bytes: the body
// must be application/json. A larger one is an *http.MaxBytesError (413).
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, errUnsupportedMedia
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
}

// decodeBody decodes body into v strictly (see strict); trailing data is
// refused too.
func decodeBody(body []byte, v any) error {
	if err := checkDepth(body); errors.Is(err, errBadRequest) {
		return err
	}
	if err := json.Unmarshal(body, v, strict); err != nil {
		return fmt.Errorf("%w: malformed JSON body: %w", errBadRequest, err)
	}
	return nil
}

// decode reads and decodes a JSON request body into v (see readBody and
// decodeBody), and returns the body as read, for its fingerprint.
func decode(w http.ResponseWriter, r *http.Request, v any) ([]byte, error) {
	body, err := readBody(w, r)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) || errors.Is(err, errUnsupportedMedia) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: reading the body: %w", errBadRequest, err)
	}
	return body, decodeBody(body, v)
}
