// Package klagehttp is klage's HTTP JSON API as an [http.Handler] to mount
// in a service of your own, next to your routes and under any prefix
// ([http.StripPrefix]): intake (the customer's web form and complaints
// taken by phone, chat or e-mail), the lifecycle's events, history,
// notifications, ratings, reports and a dashboard, improvement actions,
// a customer's data export and erasure (GDPR), dead letters, health,
// readiness, metrics and its own OpenAPI document ([OpenAPI]). The
// customer gets a page of their own (GET /case/{token}, server-rendered,
// no JavaScript, in their language) where they follow the case, answer a
// request for information and take a final answer to the Complaints
// Department.
//
// [New] builds the handler from a workflow, a store and [Options], and
// refuses an incomplete configuration with a [*ConfigError] that names the
// field: a handler it returns does not panic at request time.
//
// # Who acts
//
// Every request's actor comes from its credential, never from its body.
// An [Authenticator] establishes it: [StaticTokens] and [LoadTokens] for
// bearer tokens kept by their SHA-256, [NewJWT] for JWTs verified against
// an OpenID Connect issuer or a JWKS, or your own ([AuthenticatorFunc]),
// combined with [Authenticators]. The customer's capability token, which
// opens one complaint, is built in: the answer to POST /complaints
// carries it, and [Handler.CustomerPageLink] puts it in the link of every
// message to the customer (notify.RendererOptions.CustomerLink). What a
// credential may see of a complaint is the library's rule
// (complaint.Workflow.Audience), the same in every route.
//
// # Promises
//
// A refused request writes nothing. Bodies are decoded strictly (unknown
// fields, duplicate names, trailing data and bad UTF-8 are refused) and
// limited to [MaxBody]. An Idempotency-Key makes a retried POST answer
// as the first did, and the same key with another body is refused.
// Requests are limited per client ([Options].RequestRate) and anonymous
// intake per address ([Options].IntakeRate). The log has one line per
// request: method, route, status and time, never bodies, queries or
// credentials.
//
// The handler only serves; deliveries and timers run beside it: a
// store.Relay delivers the outbox, and store.Timers acts on the
// lifecycle's clocks. cmd/klaged runs all three as one daemon.
package klagehttp
