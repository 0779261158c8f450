package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/target"
)

type targetKind int

const (
	targetCommand targetKind = iota + 1
	targetImage
	targetURL
)

// targetSpec is the target to test, from the flags or else the profile.
type targetSpec struct {
	kind         targetKind
	command, dir string
	image        string
	urls         []string // a running target: its instances' URLs
	instances    int      // how many instances to start or reach (P7.4)
	readyPath    string
	startTimeout time.Duration
	// origin, readyOrigin and timeoutOrigin name where the target, its
	// ready path and its start timeout came from, for errors: the flag
	// ("--target-cmd") or the profile's key ("target.command in app.yaml"),
	// so that an error never names a flag the user did not pass.
	origin, readyOrigin, timeoutOrigin string
}

func (t targetSpec) String() string {
	switch t.kind {
	case targetCommand:
		if t.dir != "" {
			return fmt.Sprintf("%q in %s", t.command, t.dir)
		}
		return fmt.Sprintf("%q", t.command)
	case targetImage:
		return "image " + t.image
	default:
		return "already running at " + strings.Join(t.urls, ", ")
	}
}

// splitURLs reads a comma-separated list of URLs, as --target-url and
// target.url take several instances'.
func splitURLs(list string) []string {
	var out []string
	for _, u := range strings.Split(list, ",") {
		out = append(out, strings.TrimSpace(u))
	}
	return out
}

// resolveTarget picks the target: the --target-* flags when one is set (they
// override the profile's target), the profile's target otherwise.
func (f *proxyFlags) resolveTarget(prof *profile.Profile, profileDir string, set map[string]bool) (targetSpec, error) {
	t := targetSpec{
		readyPath:     profileOrFlag(set, "ready-path", f.readyPath, prof.Target.ReadyPath),
		startTimeout:  profileOrFlag(set, "start-timeout", f.startTimeout, prof.Target.StartTimeout.Std()),
		readyOrigin:   f.origin(set, "ready-path", "target.ready_path"),
		timeoutOrigin: f.origin(set, "start-timeout", "target.start_timeout"),
	}
	var given []string
	for _, name := range []string{"target-cmd", "target-image", "target-url"} {
		if set[name] {
			given = append(given, "--"+name)
		}
	}
	switch {
	case len(given) > 1:
		return t, usagef("%s: give only one of them", strings.Join(given, " and "))
	case set["target-cmd"]:
		t.kind, t.command, t.origin = targetCommand, f.targetCmd, "--target-cmd"
	case set["target-image"]:
		t.kind, t.image, t.origin = targetImage, f.targetImage, "--target-image"
	case set["target-url"]:
		t.kind, t.urls, t.origin = targetURL, splitURLs(f.targetURL), "--target-url"
	case prof.Target.Command != "":
		t.kind, t.command, t.dir, t.origin = targetCommand, prof.Target.Command, profileDir, f.profileKey("target.command")
	case prof.Target.Image != "":
		t.kind, t.image, t.origin = targetImage, prof.Target.Image, f.profileKey("target.image")
	case prof.Target.URL != "":
		t.kind, t.urls, t.origin = targetURL, prof.Target.URLs(), f.profileKey("target.url")
	default:
		return t, usagef("no target: give --target-cmd, --target-image or --target-url, or a --profile with target.command, target.image or target.url")
	}
	if t.kind == targetCommand && strings.TrimSpace(t.command) == "" {
		return t, usagef("%s: empty command", t.origin)
	}
	if t.kind == targetImage && strings.TrimSpace(t.image) == "" {
		return t, usagef("%s: empty image name", t.origin)
	}
	if set["target-dir"] {
		t.dir = f.targetDir
	} else if t.kind == targetCommand && prof.Target.Dir != "" {
		t.dir = profileDir
	}
	for _, u := range t.urls {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return t, usagef("%s: %q is not an http(s) URL", t.origin, u)
		}
	}
	if err := t.resolveInstances(f.instances, prof.Target.Instances, set["instances"]); err != nil {
		return t, err
	}
	if t.kind == targetImage && f.backend != backendContainer {
		return t, usagef("%s needs --backend container: the target container reaches the fake backend over a Docker network they share", t.origin)
	}
	if t.kind == targetURL {
		if err := checkLoopbackAddr("backend-addr", f.backendAddr); err != nil {
			return t, err
		}
		if err := checkLoopbackAddr("backend-control-addr", f.backendControlAddr); err != nil {
			return t, err
		}
	}
	if !strings.HasPrefix(t.readyPath, "/") {
		return t, usagef("%s: %q must start with /", t.readyOrigin, t.readyPath)
	}
	if t.startTimeout <= 0 {
		return t, usagef("%s: must be positive, got %s", t.timeoutOrigin, t.startTimeout)
	}
	return t, nil
}

// resolveInstances sets how many instances the run starts or reaches:
// --instances, else the profile's target.instances, else as many as the
// URLs of a running target.
func (t *targetSpec) resolveInstances(flagValue, profileValue int, flagSet bool) error {
	n := profileOrFlag(map[string]bool{"instances": flagSet}, "instances", flagValue, profileValue)
	if n < 1 || n > profile.MaxInstances {
		return usagef("--instances: %d is outside 1..%d", n, profile.MaxInstances)
	}
	if t.kind != targetURL {
		t.instances = n
		return nil
	}
	switch {
	case len(t.urls) > 1 && n > 1 && n != len(t.urls):
		return usagef("--instances %d, but --target-url lists %d URLs: give the URL of each instance, comma-separated", n, len(t.urls))
	case len(t.urls) == 1 && n > 1:
		return usagef("--instances %d with --target-url: the suite cannot start instances of a target it did not start; give the URL of each instance, comma-separated", n)
	}
	t.instances = len(t.urls)
	return nil
}

// origin names where a setting came from: the flag when it was set, else
// the profile's key (or the default, without a profile).
func (f *proxyFlags) origin(set map[string]bool, flagName, key string) string {
	if set[flagName] {
		return "--" + flagName
	}
	return f.profileKey(key)
}

// profileKey names a key of the profile in use, for errors: "target.command
// in app.yaml"; the default's key without a profile.
func (f *proxyFlags) profileKey(key string) string {
	if f.profilePath == "" {
		return key + " (default)"
	}
	return key + " in " + f.profilePath
}

// startedTarget is a target the suite can talk to, and how to stop it.
type startedTarget struct {
	target    target.Target   // the first instance, which every scenario but P7.4 uses
	instances []target.Target // all of them, target first
	stop      func(context.Context) error
}

// start starts the target's instances (or waits for running ones), all
// with env: one SESSION_SECRET, one store.
func (t targetSpec) start(ctx context.Context, env map[string]string, prof *profile.Profile, fb *fake, out io.Writer) (startedTarget, error) {
	if t.kind == targetURL {
		var st startedTarget
		for _, u := range t.urls {
			if err := waitReady(ctx, u+t.readyPath, t.startTimeout, t.timeoutOrigin); err != nil {
				return startedTarget{}, setupf("%s: %v (it should run with %s=%s)", t.origin, err, prof.Target.EnvNames.BackendURL, fb.URL)
			}
			st.instances = append(st.instances, target.URL(u))
		}
		st.target, st.stop = st.instances[0], func(context.Context) error { return nil }
		return st, nil
	}
	started, err := target.StartInstances(ctx, t.instances, func(ctx context.Context, _ int) (target.Instance, error) {
		return t.startOne(ctx, env, prof, fb, out)
	})
	if err != nil {
		return startedTarget{}, err
	}
	st := startedTarget{stop: func(ctx context.Context) error { return target.StopAll(ctx, started) }}
	for _, inst := range started {
		st.instances = append(st.instances, inst)
	}
	st.target = st.instances[0]
	return st, nil
}

// startOne starts one instance of a command or an image.
func (t targetSpec) startOne(ctx context.Context, env map[string]string, prof *profile.Profile, fb *fake, out io.Writer) (target.Instance, error) {
	if t.kind == targetImage {
		c, err := target.StartContainer(ctx, target.ContainerOptions{
			Image: t.image, Env: env, EnvNames: prof.Target.EnvNames, Network: fb.Network,
			ReadyPath: t.readyPath, StartTimeout: t.startTimeout, Output: out,
		})
		if err != nil {
			return nil, setupf("%s%s: %v", t.origin, t.startTimeoutNote(err), err)
		}
		return c, nil
	}
	p, err := target.StartProcess(ctx, target.ProcessOptions{
		Command: t.command, Dir: t.dir, Env: env, EnvNames: prof.Target.EnvNames,
		ReadyPath: t.readyPath, StartTimeout: t.startTimeout, Output: out,
	})
	if err != nil {
		return nil, setupf("%s: the target never became ready%s: %v", t.origin, t.startTimeoutNote(err), err)
	}
	return p, nil
}

// startTimeoutNote names where the start timeout came from when it is
// what err ran into; the run's --timeout, when it came first, names itself.
func (t targetSpec) startTimeoutNote(err error) string {
	if !errors.Is(err, target.ErrStartTimeout) {
		return ""
	}
	return " (its start timeout is set by " + t.timeoutOrigin + ")"
}

// waitReady requests url until it answers below 500, timeout (set by
// origin) passes, or ctx ends, and says in its error which of them ended
// the wait.
func waitReady(ctx context.Context, url string, timeout time.Duration, origin string) error {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
			err = fmt.Errorf("answered %d", resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			bound := target.ReadyBound(parent, timeout)
			if parent.Err() == nil {
				bound += ", set by " + origin
			}
			return fmt.Errorf("GET %s did not answer below 500 %s: %v", url, bound, last)
		case <-tick.C:
		}
	}
}

// tail keeps the last bytes written to it: a target's output, shown when it
// fails to start.

func indentLines(s, prefix string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
