package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/runner"
	"github.com/refreshspec/refreshspec/spec/backendsuite"
)

func runBackend(ctx context.Context, args []string, e env) error {
	var f commonFlags
	var targetURL, email, password, controlURL string
	var burst int
	fs := flag.NewFlagSet("refreshspec backend", flag.ContinueOnError)
	f.register(fs)
	fs.StringVar(&targetURL, "target-url", "", "base `URL` of the backend under test (or the profile's backend.url)")
	fs.StringVar(&email, "email", "", "email of a user the backend knows (or the profile's credentials.email)")
	fs.StringVar(&password, "password", "", "that user's password (or the profile's credentials.password)")
	fs.StringVar(&controlURL, "control-url", "", "control API `URL` when the backend is a refreshspec fake backend: expiry checks move its clock")
	fs.IntVar(&burst, "rate-limit-burst", 0, "run B2.8 with this many invalid refresh attempts (0 skips it)")
	fs.Usage = usageFunc(fs, "refreshspec backend --target-url URL --email E --password P [flags]")
	if err := parse(fs, args, e.stderr); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	prof, _, err := f.loadProfile()
	if err != nil {
		return err
	}
	set := setFlags(fs)
	prof.Backend.URL = profileOrFlag(set, "target-url", targetURL, prof.Backend.URL)
	prof.Credentials.Email = profileOrFlag(set, "email", email, prof.Credentials.Email)
	prof.Credentials.Password = profileOrFlag(set, "password", password, prof.Credentials.Password)
	prof.Backend.ControlURL = profileOrFlag(set, "control-url", controlURL, prof.Backend.ControlURL)
	prof.Backend.RateLimitBurst = profileOrFlag(set, "rate-limit-burst", burst, prof.Backend.RateLimitBurst)
	if err := prof.Validate(); err != nil {
		return usagef("%v", err)
	}
	if prof.Backend.URL == "" {
		return usagef("no backend: give --target-url, or a --profile with backend.url")
	}
	for _, u := range []struct{ flag, key, value string }{
		{"target-url", "backend.url", prof.Backend.URL}, {"control-url", "backend.control_url", prof.Backend.ControlURL},
	} {
		if u.value != "" && !strings.HasPrefix(u.value, "http://") && !strings.HasPrefix(u.value, "https://") {
			origin := "--" + u.flag
			if !set[u.flag] {
				origin = u.key + " in " + f.profilePath
			}
			return usagef("%s: %q is not an http(s) URL", origin, u.value)
		}
	}
	accept, err := f.acceptList(prof)
	if err != nil {
		return err
	}
	cfg := &backendsuite.Config{BackendURL: strings.TrimRight(prof.Backend.URL, "/"), Profile: prof}
	if prof.Backend.ControlURL != "" {
		cfg.Control = control.New(strings.TrimRight(prof.Backend.ControlURL, "/"), nil)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, f.timeout, fmt.Errorf("--timeout %s elapsed", f.timeout))
	defer cancel()
	return runSuite(ctx, e, f, runner.Options{Suite: "B", Backend: cfg, Accept: accept})
}
