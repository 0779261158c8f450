package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/profile"
)

// listFlag is a comma-separated list that may also be repeated:
// --focus P2,P3.1 --focus P7.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// commonFlags are the flags of both suites.
type commonFlags struct {
	profilePath     string
	focus, skip     listFlag
	strict          bool
	junitReport     string
	jsonReport      string
	markdownSummary string
	timeout         time.Duration
	verbose         bool
	acceptPath      string
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.profilePath, "profile", "", "target profile `file` (YAML or JSON, docs/profiles.md); flags override it")
	fs.Var(&c.focus, "focus", "run only these scenarios: IDs (P2.1), groups (P2), or levels (MUST), comma-separated")
	fs.Var(&c.skip, "skip", "skip these scenarios (same patterns as --focus)")
	fs.BoolVar(&c.strict, "strict", false, "SHOULD failures fail the run too")
	fs.StringVar(&c.junitReport, "junit-report", "", "write a JUnit XML report to `file`")
	fs.StringVar(&c.jsonReport, "json-report", "", "write a JSON report to `file`")
	fs.StringVar(&c.markdownSummary, "markdown-summary", "", "append a Markdown summary to `file` (e.g. $GITHUB_STEP_SUMMARY)")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Minute, "bound on the whole run, set-up included")
	fs.BoolVar(&c.verbose, "v", false, "verbose: Ginkgo's output, the target's and the backend's logs, whole journals")
	fs.StringVar(&c.acceptPath, "accept", "", "a baseline `file`: a YAML list of {id, reason}; those failures are reported as ACCEPTED and do not fail the run (replaces the profile's accept)")
}

// acceptList is the run's baseline, scenario ID to reason: --accept's file,
// else the profile's accept key.
func (c *commonFlags) acceptList(prof *profile.Profile) (map[string]string, error) {
	list := prof.Accept
	if c.acceptPath != "" {
		var err error
		if list, err = profile.LoadAccept(c.acceptPath); err != nil {
			return nil, usagef("--accept: %v", err)
		}
	}
	if len(list) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(list))
	for _, a := range list {
		out[a.ID] = a.Reason
	}
	return out, nil
}

// check validates the flags that need no profile.
func (c *commonFlags) check() error {
	if err := catalogue.CheckPatterns(c.focus); err != nil {
		return usagef("--focus: %v", err)
	}
	if err := catalogue.CheckPatterns(c.skip); err != nil {
		return usagef("--skip: %v", err)
	}
	if c.timeout <= 0 {
		return usagef("--timeout: must be positive, got %s", c.timeout)
	}
	return nil
}

// loadProfile reads --profile, or returns the defaults without one. A
// profile's target.dir is relative to the profile file; the returned dir is
// where a target command runs.
func (c *commonFlags) loadProfile() (p *profile.Profile, dir string, err error) {
	if c.profilePath == "" {
		return profile.Default(), "", nil
	}
	p, err = profile.Load(c.profilePath)
	if err != nil {
		return nil, "", usagef("--profile: %v", err)
	}
	dir = filepath.Dir(c.profilePath)
	if p.Target.Dir != "" {
		if filepath.IsAbs(p.Target.Dir) {
			dir = p.Target.Dir
		} else {
			dir = filepath.Join(dir, p.Target.Dir)
		}
	}
	return p, dir, nil
}

// parse parses args with fs: a bad flag or a stray argument is a usage error
// naming it.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.Usage()
			return err
		}
		return &usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags come as --name value; quote a command: --target-cmd 'npm run start')", fs.Arg(0))
	}
	return nil
}

// setFlags returns the names of the flags args set, to let them override the profile.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

func usageFunc(fs *flag.FlagSet, synopsis string) func() {
	return func() {
		fmt.Fprintf(fs.Output(), "Usage:\n  %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
}
