package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
	"github.com/refreshspec/refreshspec/spec/backendsuite"
	"github.com/refreshspec/refreshspec/spec/browsersuite"
	"github.com/refreshspec/refreshspec/spec/proxysuite"
)

// Options configure one run.
type Options struct {
	// Suite is "P" (the proxy suite, configured by Proxy) or "B" (the
	// backend suite, configured by Backend).
	Suite   string
	Proxy   *proxysuite.Config
	Backend *backendsuite.Config
	// Browser, with Suite "P", adds the browser scenarios (group W) to the
	// run; its Proxy is set to Options.Proxy.
	Browser *browsersuite.Config
	// Focus and Skip select scenarios with catalogue.Match patterns.
	Focus, Skip []string
	// Strict makes SHOULD failures fail the run.
	Strict bool
	// Timeout bounds the whole run; 0 means one hour.
	Timeout time.Duration
	// Verbose streams Ginkgo's own output, and what every spec writes to
	// GinkgoWriter, to Out; otherwise Ginkgo is silent.
	Verbose bool
	Out     io.Writer
	// Progress, when set, is called with each scenario's result as soon as
	// its specs have run, in the order they run, so a console can show
	// progress; Result has them all again, in catalogue order.
	Progress func(ScenarioResult)
	// Update, when set, is called when a scenario that Progress reported
	// gets more of its result later: the spec of another scenario found a
	// failure of it (harness.FailFor: a token leak is P8.4's, a bad
	// Set-Cookie P1.2's). r is the scenario's result now, but its Message
	// and Journal hold only what is new; was is the state reported before.
	// A finding that repeats what was reported is not passed on: Result
	// names the specs that found it again. It is called after the finding
	// spec's own scenario is given to Progress.
	Update func(r ScenarioResult, was State)
	// Accept maps scenario IDs to the reason their failure is accepted (the
	// --accept baseline): such a failure is reported as accepted and does
	// not fail the run.
	Accept map[string]string

	// register replaces the suite's specs in this package's tests.
	register func()
}

// suites are the catalogue's suite letters this run covers: "P", "PW" or "B".
func (o *Options) suites() string {
	if o.Suite == "P" && o.Browser != nil {
		return "PW"
	}
	return o.Suite
}

var ran atomic.Bool

// ErrAlreadyRan is returned by a second Run in one process: Ginkgo runs one
// suite per process.
var ErrAlreadyRan = errors.New("runner: the specs already ran in this process (Ginkgo runs one suite per process)")

// testingT stands in for *testing.T: Ginkgo only calls Fail, and the result
// comes from the report, not from it.
type testingT struct{ failed bool }

func (t *testingT) Fail() { t.failed = true }

// Run registers the specs of opts.Suite, runs the selected ones and returns
// one result per selected scenario. The error is for a run that could not be
// set up (bad options); failing scenarios are in the Result.
func Run(ctx context.Context, opts Options) (Result, error) {
	selected, err := Select(opts.suites(), opts.Focus, opts.Skip)
	if err != nil {
		return Result{}, err
	}
	register := opts.register
	if register == nil {
		if register, err = suiteSpecs(&opts); err != nil {
			return Result{}, err
		}
	}
	if !ran.CompareAndSwap(false, true) {
		return Result{}, ErrAlreadyRan
	}

	isSelected := make(map[string]bool, len(selected))
	for _, s := range selected {
		isSelected[s.ID] = true
	}
	register()
	prog := newProgress(opts, isSelected)
	ginkgo.ReportBeforeEach(prog.starting)
	ginkgo.ReportAfterEach(prog.spec)
	var report types.Report
	ginkgo.ReportAfterSuite("refreshspec results", func(r types.Report) { report = r })

	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	suiteConfig.FocusStrings = focusStrings(selected)
	suiteConfig.SkipStrings = nil
	suiteConfig.LabelFilter = ""
	suiteConfig.Timeout = timeout(ctx, opts.Timeout)
	reporterConfig.NoColor = true
	if opts.Verbose && opts.Out != nil {
		formatter.ColorableStdOut = opts.Out
		reporterConfig.Verbose = true
	} else {
		formatter.ColorableStdOut = io.Discard
		reporterConfig.Succinct = true
	}

	gomega.RegisterFailHandler(ginkgo.Fail)
	ginkgo.RunSpecs(&testingT{}, "refreshspec "+opts.Suite, suiteConfig, reporterConfig)
	prog.flush()
	if report.SuiteDescription == "" {
		return Result{}, fmt.Errorf("runner: Ginkgo returned no report for suite %s", opts.Suite)
	}
	res := fromReport(report, selected, opts.suites(), opts.Strict)
	res.applyAccept(opts.Accept)
	if err := ctx.Err(); err != nil && res.Interrupted == "" {
		res.Interrupted = context.Cause(ctx).Error()
	}
	return res, nil
}

// progress calls Options.Progress with each scenario's result once its
// specs have run (a table's entries run one after another), and
// Options.Update when a later spec adds to a scenario already reported.
type progress struct {
	opts       Options
	isSelected map[string]bool
	pending    string             // the scenario whose specs are running
	merged     map[string]*merged // every part of every scenario so far
	reported   map[string]State   // the state last reported, by scenario
	updates    []update           // to report after pending
}

// update is a call of Options.Update waiting for its turn.
type update struct {
	r   ScenarioResult
	was State
}

func newProgress(opts Options, isSelected map[string]bool) *progress {
	return &progress{opts: opts, isSelected: isSelected, merged: map[string]*merged{}, reported: map[string]State{}}
}

// spec takes the report of a spec that ran.
func (p *progress) spec(sr types.SpecReport) {
	id := scenarioID(sr)
	if !sr.LeafNodeType.Is(types.NodeTypeIt) || !p.isSelected[id] {
		return
	}
	if p.pending != id {
		p.flush()
	}
	p.pending = id
	own, found := fromSpec(sr, p.opts.Strict, p.isSelected)
	p.add(own)
	for _, f := range found {
		p.add(f)
	}
}

// add gives a part to its scenario; for a scenario already reported, what
// it adds waits in updates.
func (p *progress) add(part ScenarioResult) {
	m := p.merged[part.ID]
	if m == nil {
		m = &merged{}
		p.merged[part.ID] = m
	}
	news := m.add(part)
	was, reported := p.reported[part.ID]
	if !reported || news == "" {
		return
	}
	r := m.result()
	r.Message, r.Journal, r.Location, r.Measured = news, part.Journal, part.Location, nil
	r.accept(p.opts.Accept)
	p.reported[part.ID] = r.State
	p.updates = append(p.updates, update{r: r, was: was})
}

// starting takes the report of a spec about to run: when it is another
// scenario's, the one before is complete, and reported at once rather than
// after this spec.
func (p *progress) starting(sr types.SpecReport) {
	if id := scenarioID(sr); sr.LeafNodeType.Is(types.NodeTypeIt) && p.isSelected[id] && id != p.pending {
		p.flush()
	}
}

// flush reports the scenario whose specs ran last, then what they added
// to scenarios reported before.
func (p *progress) flush() {
	if p.pending != "" {
		p.report(p.pending)
	}
	p.pending = ""
	updates := p.updates
	p.updates = nil
	for _, u := range updates {
		if p.opts.Update != nil {
			p.opts.Update(u.r, u.was)
		}
	}
}

func (p *progress) report(id string) {
	if _, done := p.reported[id]; done {
		return // its later parts went to updates
	}
	r := p.merged[id].result()
	r.accept(p.opts.Accept)
	p.reported[id] = r.State
	if p.opts.Progress != nil {
		p.opts.Progress(r)
	}
}

// timeout is the suite's timeout: opts.Timeout, shortened to ctx's deadline.
func timeout(ctx context.Context, d time.Duration) time.Duration {
	if d <= 0 {
		d = time.Hour
	}
	if deadline, ok := ctx.Deadline(); ok {
		if left := time.Until(deadline); left < d {
			d = max(left, time.Second)
		}
	}
	return d
}
