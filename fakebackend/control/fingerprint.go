package control

import (
	"crypto/sha256"
	"encoding/hex"
)

// fingerprintHexChars is how much of the token's SHA-256 a fingerprint
// shows: enough to tell the tokens of a run apart, far too little to use one.
const fingerprintHexChars = 8

// Fingerprint is how a token appears in logs and messages: the first eight
// hex digits of its SHA-256, whatever its length, "" for no token. The fake
// backend's log lines show tokens the same way, so a failure message of the
// specs can be matched against them; no part of the token itself is shown,
// since even its first characters narrow it down.
func Fingerprint(token string) string {
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])[:fingerprintHexChars]
}
