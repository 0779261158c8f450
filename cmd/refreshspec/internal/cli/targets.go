package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec"
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
	image, url   string
	readyPath    string
	startTimeout time.Duration
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
		return "already running at " + t.url
	}
}

// resolveTarget picks the target: the --target-* flags when one is set (they
// override the profile's target), the profile's target otherwise.
func (f *proxyFlags) resolveTarget(prof *profile.Profile, profileDir string, set map[string]bool) (targetSpec, error) {
	t := targetSpec{
		readyPath:    profileOrFlag(set, "ready-path", f.readyPath, prof.Target.ReadyPath),
		startTimeout: profileOrFlag(set, "start-timeout", f.startTimeout, prof.Target.StartTimeout.Std()),
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
		t.kind, t.command = targetCommand, f.targetCmd
	case set["target-image"]:
		t.kind, t.image = targetImage, f.targetImage
	case set["target-url"]:
		t.kind, t.url = targetURL, f.targetURL
	case prof.Target.Command != "":
		t.kind, t.command, t.dir = targetCommand, prof.Target.Command, profileDir
	case prof.Target.Image != "":
		t.kind, t.image = targetImage, prof.Target.Image
	case prof.Target.URL != "":
		t.kind, t.url = targetURL, prof.Target.URL
	default:
		return t, usagef("no target: give --target-cmd, --target-image or --target-url, or a --profile with target.command, target.image or target.url")
	}
	if t.kind == targetCommand && strings.TrimSpace(t.command) == "" {
		return t, usagef("--target-cmd: empty command")
	}
	if t.kind == targetImage && strings.TrimSpace(t.image) == "" {
		return t, usagef("--target-image: empty image name")
	}
	if set["target-dir"] {
		t.dir = f.targetDir
	} else if t.kind == targetCommand && prof.Target.Dir != "" {
		t.dir = profileDir
	}
	if t.kind == targetURL && !strings.HasPrefix(t.url, "http://") && !strings.HasPrefix(t.url, "https://") {
		return t, usagef("--target-url: %q is not an http(s) URL", t.url)
	}
	if t.kind == targetImage && f.backend != backendContainer {
		return t, usagef("--target-image needs --backend container: the target container reaches the fake backend over a Docker network they share")
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
		return t, usagef("--ready-path: %q must start with /", t.readyPath)
	}
	if t.startTimeout <= 0 {
		return t, usagef("--start-timeout: must be positive, got %s", t.startTimeout)
	}
	return t, nil
}

// startedTarget is a target the suite can talk to, and how to stop it.
type startedTarget struct {
	target spec.Target
	stop   func(context.Context) error
}

func (t targetSpec) start(ctx context.Context, env map[string]string, prof *profile.Profile, fb *fake, out io.Writer) (startedTarget, error) {
	switch t.kind {
	case targetCommand:
		p, err := target.StartProcess(ctx, target.ProcessOptions{
			Command: t.command, Dir: t.dir, Env: env, EnvNames: prof.Target.EnvNames,
			ReadyPath: t.readyPath, StartTimeout: t.startTimeout, Output: out,
		})
		if err != nil {
			return startedTarget{}, setupf("--target-cmd: the target never became ready: %v", err)
		}
		return startedTarget{target: p, stop: p.Stop}, nil
	case targetImage:
		c, err := target.StartContainer(ctx, target.ContainerOptions{
			Image: t.image, Env: env, EnvNames: prof.Target.EnvNames, Network: fb.Network,
			ReadyPath: t.readyPath, StartTimeout: t.startTimeout, Output: out,
		})
		if err != nil {
			return startedTarget{}, setupf("--target-image: %v", err)
		}
		return startedTarget{target: c, stop: c.Stop}, nil
	default:
		if err := waitReady(ctx, t.url+t.readyPath, t.startTimeout); err != nil {
			return startedTarget{}, setupf("--target-url: %v (it should run with %s=%s)", err, prof.Target.EnvNames.BackendURL, fb.URL)
		}
		return startedTarget{target: target.URL(t.url), stop: func(context.Context) error { return nil }}, nil
	}
}

// waitReady requests url until it answers below 500 or timeout passes.
func waitReady(ctx context.Context, url string, timeout time.Duration) error {
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
			return fmt.Errorf("GET %s did not answer below 500 within %s: %v", url, timeout, last)
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
