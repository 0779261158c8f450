// Package dialect describes how one backend speaks the token protocol of
// contract.md §1: its Mapping names the routes of login, refresh, logout (an
// RFC 7009 revocation endpoint in the oauth2 dialect), the protected resource
// and the profile update, the request fields, the dotted paths of the values
// in the answers, the error body, and the OAuth 2.0 client's settings.
//
// Two dialects exist. JSON is the seed's contract as contract.md §1 writes it
// (JSON bodies, tokens under data.authorization, a success flag in every
// envelope), and any JSON backend that renames its routes, fields and paths.
// OAuth2 is RFC 6749: one token endpoint taking form-encoded password and
// refresh_token grants with client authentication, flat token answers, RFC
// 6749 §5.2 errors, and RFC 7009 revocation for logout.
//
// The one Mapping type is shared by everything that talks to or as a backend:
// the profile's backend section (package profile embeds it), the fake
// backend, which serves any valid Mapping, the reference proxy and the
// backend suite. It has no dependency beyond the standard library, so that
// each of them can import it without importing the others. The request
// builders (NewLoginRequest and its siblings) and the answer readers
// (ReadTokens, ReadError, ReadMe) are how a client speaks a mapping;
// SetClientBasic and ClientParams authenticate the OAuth 2.0 client on a
// request whose body the caller writes itself (the B suite's malformed ones).
//
// A Mapping is used after ApplyDefaults, which fills in what a profile left
// out with the dialect's defaults, and Validate, which refuses a mapping that
// contradicts itself, naming the key at fault (see KeyError).
package dialect
