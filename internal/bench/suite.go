package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/redisserver"
	"github.com/refreshspec/refreshspec/internal/tail"
)

// maxContainerSuite is the target wall time of the proxy suite with the
// container backend, container start included.
const maxContainerSuite = 30 * time.Second

// suiteRow is row 5: wall time of the whole P suite against the reference
// binary with the container and with the local fake backend, and of the
// whole B suite against a fake backend binary, each by running the built
// refreshspec binary as a user would.
func suiteRow(ctx context.Context, o Options) row {
	r := row{num: 5, title: "suite wall time (the refreshspec binary): whole P suite vs the reference binary, whole B suite vs the fake backend (B2.8 is opt-in: skipped)"}
	switch {
	case o.RefreshspecBin == "":
		return r.fail(errors.New("the refreshspec binary was not built"))
	case o.ReferenceBin == "" || o.FakebackendBin == "":
		return r.fail(errors.New("the reference and fake backend binaries were not built"))
	}
	dir, err := os.MkdirTemp("", "refreshbench-suite-")
	if err != nil {
		return r.fail(err)
	}
	defer os.RemoveAll(dir)

	// Each run gets an equal share of what is left, so that one slow run
	// cannot starve the others of their measurement.
	type suiteCase struct {
		label, target string
		setup         string // "container" or "local": which total it adds to
		run           func(ctx context.Context, report string) (suiteRun, error)
	}
	cases := []suiteCase{
		{"P suite, --backend container (container start included)", "", "container", func(ctx context.Context, rep string) (suiteRun, error) {
			return runSuite(ctx, o.RefreshspecBin, rep, "proxy", "--target-cmd", o.ReferenceBin, "--backend", "container")
		}},
		{"B suite vs the fake backend in a container (docker run included)", "", "container", func(ctx context.Context, rep string) (suiteRun, error) {
			return backendSuiteInContainer(ctx, o, rep)
		}},
		{localProxyLabel, "", "local", func(ctx context.Context, rep string) (suiteRun, error) {
			return runSuite(ctx, o.RefreshspecBin, rep, "proxy", "--target-cmd", o.ReferenceBin, "--backend", "local")
		}},
		{instancesLabel, "", "instances", func(ctx context.Context, rep string) (suiteRun, error) {
			rs, err := redisserver.Start(ctx)
			if err != nil {
				return suiteRun{}, err
			}
			defer rs.Stop()
			return runSuite(ctx, o.RefreshspecBin, rep, "proxy", "--target-cmd", "env REDIS_URL="+rs.URL()+" "+o.ReferenceBin,
				"--backend", "local", "--instances", "2")
		}},
		{"B suite vs a local fake backend binary", "", "local", func(ctx context.Context, rep string) (suiteRun, error) {
			start := time.Now()
			p, apiURL, ctl, err := startFakebackendProcess(ctx, o.FakebackendBin)
			if err != nil {
				return suiteRun{}, err
			}
			defer p.stop()
			res, err := runBackendSuite(ctx, o, rep, apiURL, ctl.BaseURL())
			res.wall = time.Since(start)
			return res, err
		}},
	}
	totals := map[string]time.Duration{}
	complete := map[string]bool{"container": true, "local": true, "instances": true}
	walls := map[string]suiteRun{}
	for i, c := range cases {
		share := remaining(ctx) / time.Duration(len(cases)-i)
		runCtx, cancel := context.WithTimeout(ctx, share)
		res, err := c.run(runCtx, filepath.Join(dir, fmt.Sprintf("run%d.json", i)))
		cancel()
		if err != nil {
			complete[c.setup] = false
			r.add(c.label, "not available: "+err.Error(), "", "")
			continue
		}
		totals[c.setup] += res.wall
		complete[c.setup] = complete[c.setup] && res.completed && res.exitCode == 0
		walls[c.label] = res
		r.add(c.label, res.String(), "", "")
	}
	for _, setup := range []string{"container", "local"} {
		label := fmt.Sprintf("P + B with the %s fake backend", setup)
		if !complete[setup] {
			r.add(label, fmt.Sprintf("%6.1fs (a run above did not complete and pass: not a suite time)", totals[setup].Seconds()), "", "")
			continue
		}
		target, v := "", ""
		if setup == "container" {
			target, v = fmt.Sprintf("< %s", maxContainerSuite), verdict(totals[setup] < maxContainerSuite)
		}
		r.add(label, fmt.Sprintf("%6.1fs", totals[setup].Seconds()), target, v)
	}
	one, two := walls[localProxyLabel], walls[instancesLabel]
	if complete["instances"] && one.completed && one.exitCode == 0 && one.summary != nil && two.summary != nil {
		r.add("what a second instance and P7.4 add to the P suite", fmt.Sprintf("%+6.1fs wall, %+.1fs in the suite's own timer",
			(two.wall-one.wall).Seconds(), two.summary.Duration-one.summary.Duration), "", "")
	}
	return r
}

// The two P suite runs whose difference is the cost of P7.4.
const (
	localProxyLabel = "P suite, --backend local"
	instancesLabel  = "P suite, --backend local, --instances 2 sharing a Redis (P7.4 runs)"
)

// runBackendSuite runs the B suite against a fake backend. Without
// --rate-limit-burst: B2.8 is opt-in, and the rate limit it meets would
// stay in force for the scenarios after it.
func runBackendSuite(ctx context.Context, o Options, report, apiURL, controlURL string) (suiteRun, error) {
	return runSuite(ctx, o.RefreshspecBin, report, "backend", "--target-url", apiURL, "--control-url", controlURL,
		"--email", benchEmail, "--password", benchPassword)
}

// benchImage is the fake backend image the B suite's container run uses,
// built from the fake backend binary the bench measures.
const benchImage = "refreshspec/fakebackend:bench"

// backendSuiteInContainer runs the fake backend binary in a container, its
// ports published on 127.0.0.1 only, and the B suite against it; the wall
// time counts from docker run to the suite's end. The image is built
// first, outside the time: FROM scratch and the static binary, nothing
// pulled.
func backendSuiteInContainer(ctx context.Context, o Options, report string) (suiteRun, error) {
	if err := buildBenchImage(ctx, o.FakebackendBin); err != nil {
		return suiteRun{}, err
	}
	defer func() {
		rmCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
		defer cancel()
		_ = exec.CommandContext(rmCtx, "docker", "rmi", "-f", benchImage).Run()
	}()
	start := time.Now()
	out, err := exec.CommandContext(ctx, "docker", "run", "-d", "--rm", "-p", "127.0.0.1::8080", "-p", "127.0.0.1::8081", benchImage).Output()
	if err != nil {
		return suiteRun{}, fmt.Errorf("docker run: %w", exitText(err))
	}
	id := strings.TrimSpace(string(out))
	defer func() {
		rmCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
		defer cancel()
		_ = exec.CommandContext(rmCtx, "docker", "rm", "-f", id).Run()
	}()
	apiURL, err := publishedURL(ctx, id, "8080/tcp")
	if err != nil {
		return suiteRun{}, err
	}
	controlURL, err := publishedURL(ctx, id, "8081/tcp")
	if err != nil {
		return suiteRun{}, err
	}
	if err := waitHealthy(ctx, controlURL); err != nil {
		return suiteRun{}, err
	}
	res, err := runBackendSuite(ctx, o, report, apiURL, controlURL)
	res.wall = time.Since(start)
	return res, err
}

// buildBenchImage builds benchImage from bin in a temporary context.
func buildBenchImage(ctx context.Context, bin string) error {
	dir, err := os.MkdirTemp("", "refreshbench-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	raw, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "fakebackend"), raw, 0o755); err != nil {
		return err
	}
	// As fakebackend/Dockerfile: the listeners bind every interface inside
	// the container; docker run publishes them on the host's loopback only.
	dockerfile := "FROM scratch\nCOPY fakebackend /fakebackend\nEXPOSE 8080 8081\n" +
		`ENTRYPOINT ["/fakebackend","--addr=0.0.0.0:8080","--control-addr=0.0.0.0:8081","--allow-remote-control"]` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, "docker", "build", "-q", "-t", benchImage, dir).CombinedOutput(); err != nil {
		return fmt.Errorf("docker build: %w: %s", err, lastLine(string(out)))
	}
	return nil
}

// publishedURL is the loopback URL docker published a container port on.
func publishedURL(ctx context.Context, id, port string) (string, error) {
	out, err := exec.CommandContext(ctx, "docker", "port", id, port).Output()
	if err != nil {
		return "", fmt.Errorf("docker port %s: %w", port, exitText(err))
	}
	for _, l := range strings.Fields(string(out)) {
		if strings.HasPrefix(l, "127.0.0.1:") {
			return "http://" + l, nil
		}
	}
	return "", fmt.Errorf("docker port %s: not published on 127.0.0.1: %q", port, out)
}

// waitHealthy polls the control API's health check until it answers or ctx
// ends: a container's process starts a moment after docker run returns.
func waitHealthy(ctx context.Context, controlURL string) error {
	client, tr := newClient(1)
	defer tr.CloseIdleConnections()
	ctl := control.New(controlURL, client)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := ctl.Healthy(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the fake backend container never answered: %w", err)
		case <-tick.C:
		}
	}
}

// exitText adds a failed command's stderr to its error.
func exitText(err error) error {
	var exit *exec.ExitError
	if errors.As(err, &exit) && len(exit.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, lastLine(string(exit.Stderr)))
	}
	return err
}

// remaining is the time left before ctx's deadline (a minute without one).
func remaining(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return time.Until(dl)
	}
	return time.Minute
}

// suiteSummary is the summary of refreshspec's JSON report (report.JSONSummary,
// a published format); read here by its field names so that the bench does
// not link the suites it times.
type suiteSummary struct {
	Passed   int     `json:"passed"`
	Failed   int     `json:"failed"`
	Skipped  int     `json:"skipped"`
	Duration float64 `json:"duration"`
}

// suiteRun is one run of the refreshspec binary.
type suiteRun struct {
	wall      time.Duration
	exitCode  int
	completed bool // it ended by itself, within its share of the budget
	summary   *suiteSummary
	output    string // the tail of its output, for a failed run
}

func (s suiteRun) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6.1fs", s.wall.Seconds())
	if !s.completed {
		b.WriteString(" (stopped at the row's bound, not finished)")
		return b.String()
	}
	fmt.Fprintf(&b, "  exit %d", s.exitCode)
	if s.summary != nil {
		fmt.Fprintf(&b, ", %d passed, %d failed, %d skipped (suite's own timer %.1fs)", s.summary.Passed, s.summary.Failed, s.summary.Skipped, s.summary.Duration)
	} else if s.output != "" {
		fmt.Fprintf(&b, ", no report: %s", s.output)
	}
	return b.String()
}

// runSuite runs the refreshspec binary with args plus a JSON report and a
// timeout just inside ctx's deadline, and times it.
func runSuite(ctx context.Context, bin, reportPath string, args ...string) (suiteRun, error) {
	timeout := remaining(ctx) - 2*time.Second
	if timeout <= 0 {
		return suiteRun{}, errors.New("no time left in the budget")
	}
	args = append(args, "--json-report", reportPath, "--timeout", timeout.Round(time.Second).String())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = os.Environ()
	// As the Makefile does: Ryuk would have to be pulled, and published
	// ports are on loopback. The caller's environment wins.
	for _, kv := range []string{"TESTCONTAINERS_RYUK_DISABLED=true", "TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1"} {
		if k, _, _ := strings.Cut(kv, "="); os.Getenv(k) == "" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out := tail.New(4 << 10)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	res := suiteRun{wall: time.Since(start), completed: ctx.Err() == nil}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.exitCode = exit.ExitCode()
	case !res.completed:
	default:
		return suiteRun{}, fmt.Errorf("running %s: %w", bin, err)
	}
	if raw, err := os.ReadFile(reportPath); err == nil {
		var rep struct {
			Summary *suiteSummary `json:"summary"`
		}
		if json.Unmarshal(raw, &rep) == nil {
			res.summary = rep.Summary
		}
	}
	if res.summary == nil {
		res.output = lastLine(out.String())
	}
	return res, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
