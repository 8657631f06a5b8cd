package main

import _ "embed" // the OpenAPI document

// openAPIJSON is the API's contract, openapi.yaml as JSON, served at GET
// /openapi.json. TestOpenAPIDocument regenerates it with -update and fails
// when it is stale; every request and response of the service's tests is
// validated against it.
//
//go:embed openapi.json
var openAPIJSON []byte
