// Package apiclient is a Go client for klage's HTTP API, generated with
// oapi-codegen from the OpenAPI document the handler serves
// (klagehttp/openapi.json): the end-to-end tests drive a complaint with
// it, and scripts/test.sh checks that it is what the document generates
// today. Regenerate it with go generate ./apiclient.
package apiclient

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -config oapi-codegen.yaml ../../klagehttp/openapi.json
