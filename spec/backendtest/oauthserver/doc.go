// Package oauthserver runs the backend suite (group B of docs/scenarios.md)
// the way a team with an OAuth 2.0 server would: `refreshspec backend
// --strict` with a profile in the oauth2 dialect, against a real OAuth 2.0
// server built on github.com/ory/fosite, the Go library behind Ory Hydra,
// with its password and refresh_token grants, refresh token rotation, reuse
// detection that revokes the whole grant, and RFC 7009 revocation.
//
// The server is fosite as it comes (its in-memory store, its HMAC tokens);
// the only code of its own is what fosite leaves to its user: the users'
// passwords, and the protected resource (an OIDC userinfo-like endpoint
// that introspects the access token and answers RFC 6750's challenge). The
// test's verdict table, and what fosite lacks, are in docs/dialects.md.
//
// The test builds the refreshspec binary and runs it; it needs no Docker.
//
//	go test ./spec/backendtest/oauthserver
package oauthserver
