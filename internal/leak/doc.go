// Package leak finds the tokens a backend issued in what reached the client.
// A token may be there as is, or hidden in a cookie or header that is only
// encoded or signed, not encrypted: base64 (standard or URL alphabet, padded
// or not, behind a short prefix such as "v1"), percent-encoding,
// gorilla/securecookie's format (base64url of "date|value|mac" whose value
// is base64 again, of gob or JSON), or compressed first as Flask's and
// Django's signed cookies are (zlib, raw deflate or gzip), nested a few
// levels deep. A token that a script can read after a few decoding steps is
// as exposed as a plain one.
//
// The proxy suite scans every response the client got (P1.1, P8.4) with
// Scan; the browser suite scans what page scripts can read (W1.2) with
// Decode: both see through the same disguises, so they agree on what a leak
// is.
package leak
