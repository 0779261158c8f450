package cli

import (
	"testing"

	"github.com/refreshspec/refreshspec/profile"
)

// The proxy suite's own calls to the fake backend (P9.2's) speak the
// mapping the fake backend serves: the profile's.
func TestProxyConfigCarriesTheBackendMapping(t *testing.T) {
	prof, err := profile.Parse([]byte("backend: {dialect: oauth2, refresh: {path: /token}, client_id: app, client_secret: s}"))
	if err != nil {
		t.Fatal(err)
	}
	r := &proxyRun{flags: &proxyFlags{}, profile: prof}
	opts := r.runnerOptions(&fake{URL: "http://127.0.0.1:1"}, startedTarget{})
	if got := opts.Proxy.BackendMapping; got != prof.Backend.Mapping || got.Refresh.Path != "/token" {
		t.Errorf("proxy config's backend mapping %+v, want the profile's %+v", got, prof.Backend.Mapping)
	}
}
