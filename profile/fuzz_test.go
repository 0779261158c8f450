package profile

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse. Whatever comes, Parse must not
// panic, and a profile it accepts must pass Validate and survive a round
// trip: written back as JSON it parses to the same profile, so what the
// suite prints as "the profile in use" is a profile it would accept.
// Committed seeds live in testdata/fuzz/FuzzParse; the example profiles of
// the repository are added too.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"../docs/examples/*.yaml", "../examples/*/refreshspec*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if raw, err := os.ReadFile(file); err == nil {
				f.Add(raw)
			}
		}
	}
	f.Add([]byte("name: x\n"))
	f.Add([]byte(`{"backend":{"dialect":"OAUTH2"}}`))
	f.Add([]byte("target:\n  url: http://127.0.0.1:3000\n  start_timeout: 5s\n"))
	f.Add([]byte("proxy:\n  me: {path: api/me}\n"))
	f.Add([]byte("backend:\n  rate_limit_burst: -1\n"))
	f.Add([]byte("target: {backend_timeout: 1}\n"))
	f.Add([]byte("backend:\n  dialect: oauth2\n  client_id: 1\n  client_auth: body\n  scope: offline_access\n  reuse_leeway: 1s\n  paths: {me_first_name: given_name, token_type: none}\n"))
	f.Add([]byte("backend:\n  paths: {access_token: accessToken, refresh_token: refreshToken}\n  success_flag: none\n  errors: {code: code}\n"))

	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Parse(raw)
		if err != nil {
			if p != nil {
				t.Fatalf("Parse returned a profile with the error %v", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse accepted a profile that Validate refuses: %v\n%q", err, raw)
		}
		first, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("an accepted profile does not marshal: %v", err)
		}
		again, err := Parse(first)
		if err != nil {
			t.Fatalf("an accepted profile, written back, is refused: %v\n%s", err, first)
		}
		second, err := json.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("the round trip changed the profile:\n%s\n%s", first, second)
		}
	})
}
