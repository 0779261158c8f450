package control

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// Whatever the token's length, the fingerprint is 8 hex digits of its hash,
// the form of the fake backend's log lines, and never the token or its start.
func TestFingerprintIsAHashPrefixNeverTheToken(t *testing.T) {
	for _, tok := range []string{"a", "short", "12345678", "rt_Zm9vYmFyYmF6cXV4LXRoaXMtaXMtYS10b2tlbg"} {
		got := Fingerprint(tok)
		sum := sha256.Sum256([]byte(tok))
		if want := hex.EncodeToString(sum[:])[:8]; got != want {
			t.Errorf("Fingerprint(%q) = %q, want the first 8 hex digits of its SHA-256, %q", tok, got, want)
		}
		if len(tok) >= 8 && strings.Contains(got, tok[:4]) {
			t.Errorf("Fingerprint(%q) = %q shows the start of the token", tok, got)
		}
	}
	if got := Fingerprint(""); got != "" {
		t.Errorf("Fingerprint(\"\") = %q, want \"\"", got)
	}
}
