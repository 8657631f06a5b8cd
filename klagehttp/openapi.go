package klagehttp

import (
	"bytes"
	_ "embed" // the OpenAPI document
	"errors"
	"io"
	"slices"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/klageflow/klage/complaint"
)

// openAPIJSON is the API's contract, openapi.yaml as JSON, served at GET
// /openapi.json. TestOpenAPIJSON, in the e2e module, regenerates it with
// -update and fails
// when it is stale.
//
//go:embed openapi.json
var openAPIJSON []byte

// OpenAPI returns the API's contract for the reference lifecycle, an
// OpenAPI 3.1 document (JSON): for generating clients. A [Handler] serves
// it at GET /openapi.json with its workflow's states, events and roles.
func OpenAPI() []byte { return bytes.Clone(openAPIJSON) }

// openAPIFor returns the API's contract with the State, Event and Role
// enums of w's lifecycle, so that a client generated from what a handler
// with an extended lifecycle serves accepts the extension's names: the
// embedded document itself when they are the reference ones. Members keep
// their order.
func openAPIFor(w *complaint.Workflow) ([]byte, error) {
	return withEnums(openAPIJSON, map[string][]string{
		"/components/schemas/State/enum": wireNames(w.States()),
		"/components/schemas/Event/enum": append([]string{string(complaint.EventOpen)}, wireNames(w.Events())...),
		"/components/schemas/Role/enum":  wireNames(w.Roles()),
	})
}

// withEnums returns doc with the enums at the JSON pointers of enums
// holding those names; doc itself when each already holds the same names.
// Every pointer must name an enum of doc.
func withEnums(doc []byte, enums map[string][]string) ([]byte, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(doc))
	var out bytes.Buffer
	enc := jsontext.NewEncoder(&out, jsontext.WithIndent("  "))
	changed, found := false, 0
	for {
		tok, err := dec.ReadToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := enc.WriteToken(tok); err != nil {
			return nil, err
		}
		want, ok := enums[string(dec.StackPointer())]
		if !ok || tok.Kind() != '"' || dec.PeekKind() != '[' {
			continue
		}
		found++
		var have []string
		if err := json.UnmarshalDecode(dec, &have); err != nil {
			return nil, err
		}
		if !sameNames(have, want) {
			changed, have = true, want
		}
		if err := json.MarshalEncode(enc, have); err != nil {
			return nil, err
		}
	}
	if found != len(enums) {
		return nil, errors.New("klagehttp: the OpenAPI document lacks an enum it should have")
	}
	if !changed {
		return doc, nil
	}
	return out.Bytes(), nil
}

func wireNames[S ~string](vs []S) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// sameNames reports whether a and b hold the same names, in any order.
func sameNames(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
