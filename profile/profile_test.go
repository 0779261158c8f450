package profile

import "testing"

func TestReadyPathDefaultsToTheLoginPage(t *testing.T) {
	if got := Default().Target.ReadyPath; got != "/login" {
		t.Errorf("default ready_path = %q, want /login", got)
	}
	p, err := Parse([]byte("proxy:\n  login_page:\n    path: /signin\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Target.ReadyPath != "/signin" {
		t.Errorf("ready_path = %q, want the login page's path /signin", p.Target.ReadyPath)
	}
	p, err = Parse([]byte("target:\n  ready_path: /healthz\nproxy:\n  login_page:\n    path: /signin\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Target.ReadyPath != "/healthz" {
		t.Errorf("explicit ready_path = %q, want /healthz", p.Target.ReadyPath)
	}
}

func TestBackendTimeoutEnvName(t *testing.T) {
	if got := Default().Target.EnvNames.BackendTimeout; got != "BACKEND_TIMEOUT" {
		t.Errorf("default env_names.backend_timeout = %q, want BACKEND_TIMEOUT", got)
	}
	p, err := Parse([]byte("target:\n  env_names:\n    backend_timeout: API_TIMEOUT\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Target.EnvNames.BackendTimeout != "API_TIMEOUT" || p.Target.EnvNames.BackendURL != "BACKEND_URL" {
		t.Errorf("env_names = %+v", p.Target.EnvNames)
	}
}
