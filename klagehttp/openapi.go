package klagehttp

import (
	"bytes"
	_ "embed" // the OpenAPI document
)

// openAPIJSON is the API's contract, openapi.yaml as JSON, served at GET
// /openapi.json. TestOpenAPIJSON, in the e2e module, regenerates it with
// -update and fails
// when it is stale.
//
//go:embed openapi.json
var openAPIJSON []byte

// OpenAPI returns the API's contract, an OpenAPI 3.1 document (JSON), as
// GET /openapi.json serves it: for generating clients.
func OpenAPI() []byte { return bytes.Clone(openAPIJSON) }
