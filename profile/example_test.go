package profile_test

import (
	"fmt"
	"log"

	"github.com/refreshspec/refreshspec/profile"
)

// A profile maps the contract's roles to a target's own routes and says how to
// start it; it names only what differs from contract.md, and Parse fills in
// the rest and checks the whole. Load does the same for a file.
func ExampleParse() {
	p, err := profile.Parse([]byte(`
name: my-bff
target:
  command: npm run start
  backend_timeout: 3s
proxy:
  login: {path: /session, body: form}
  login_fields: {email: username}
backend:
  dialect: oauth2
  client_id: bff
  scope: offline_access
`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Name, "|", p.Target.Command, "|", p.Target.ReadyPath, p.Target.BackendTimeoutValue())
	fmt.Println("proxy login:", p.Proxy.Login, p.Proxy.Login.Body, p.Proxy.LoginFields.Email)
	fmt.Println("proxy me:", p.Proxy.Me)
	fmt.Println("backend refresh:", p.Backend.Refresh, p.Backend.ClientAuth)
	fmt.Println("user:", p.Credentials.Email)
	// Output:
	// my-bff | npm run start | /login 3s
	// proxy login: POST /session form username
	// proxy me: GET /api/me
	// backend refresh: POST /oauth/token basic
	// user: alice@example.com
}

// Bad input is refused with an error that names the key at fault, in the
// file's own terms: a misspelt key is not silently ignored, and a zero that
// would quietly become the default is refused.
func ExampleParse_errors() {
	for _, raw := range []string{
		"proxy:\n  login_feilds: {email: username}\n",
		"backend:\n  refresh: {path: auth/refresh}\n",
		"repeat: 0\n",
	} {
		_, err := profile.Parse([]byte(raw))
		fmt.Println(err)
	}
	// Output:
	// unknown key "proxy.login_feilds"
	// backend.refresh.path: "auth/refresh" must start with /
	// repeat: 0 is outside 1..100
}
