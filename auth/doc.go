// Package auth authenticates shopgraph's callers: it issues and verifies short-lived
// access tokens (HS256 JWTs), hashes and checks passwords (argon2id), and turns an HTTP
// request into a domain.Identity, either from its bearer token or, behind a trusted
// gateway, from the gateway's identity headers.
//
// Nothing in this package logs or returns a token or a password: every failure a client
// may see is a *domain.Error with a fixed message.
package auth
