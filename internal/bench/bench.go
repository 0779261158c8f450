package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Options shape one run of the benchmark program.
type Options struct {
	// Budget bounds the whole run; each row gets a share and stops by
	// itself at its bound.
	Budget time.Duration
	// Rounds, Requests and Clients shape rows 1 and 3: Rounds measured
	// rounds of Requests requests each from Clients concurrent clients.
	Rounds, Requests, Clients int
	// Rows selects rows by number; nil runs all six.
	Rows []int
	// BinDir holds the reference, fakebackend and refreshspec binaries
	// (make build puts them in bin/); "" builds them into a temporary
	// directory first.
	BinDir string
	// CPUProfile, when set, receives a CPU profile of this process, which
	// serves the reference and the fake backend of rows 1 to 3 and 6.
	CPUProfile string

	ReferenceBin, FakebackendBin, RefreshspecBin string
}

// DefaultOptions fit the bench's bound: the table within 3 minutes on a
// shared 2-core machine. The budget leaves 20 s for what a row may take to
// stop once its bound is reached (a request's timeout, a process's exit).
func DefaultOptions() Options {
	return Options{Budget: 160 * time.Second, Rounds: 15, Requests: 3000, Clients: 12}
}

// rowShares is each row's share of the budget; row 5 (the suites), which
// runs last, gets the rest, whatever the others left.
var rowShares = map[int]float64{1: 0.22, 2: 0.08, 3: 0.20, 4: 0.15, 6: 0.10}

// Main runs the benchmark program with args (without the program name) and
// prints the table to stdout, progress to stderr. The error is a bad flag
// or a set-up failure; a row that cannot be measured says so in the table.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := DefaultOptions()
	fs := flag.NewFlagSet("refreshbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.Budget, "budget", o.Budget, "hard bound on the whole run")
	fs.IntVar(&o.Rounds, "rounds", o.Rounds, "measured rounds per load in rows 1 and 3")
	fs.IntVar(&o.Requests, "requests", o.Requests, "requests per round")
	fs.IntVar(&o.Clients, "clients", o.Clients, "concurrent clients")
	rows := fs.String("rows", "1,2,3,4,5,6", "rows to run, comma-separated")
	fs.StringVar(&o.BinDir, "bin-dir", "", "directory with the reference, fakebackend and refreshspec binaries (default: build them)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of this process (rows 1-3 and 6 serve the reference and the fake backend in it) to `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.Rows, err = parseRows(*rows); err != nil {
		return fmt.Errorf("-rows: %w", err)
	}
	switch {
	case o.Budget <= 0:
		return errors.New("-budget must be positive")
	case o.Rounds < 1 || o.Requests < 1 || o.Clients < 1:
		return errors.New("-rounds, -requests and -clients must be at least 1")
	}
	return Run(ctx, o, stdout, stderr)
}

func parseRows(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > 6 {
			return nil, fmt.Errorf("%q is not a row (1-6)", p)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Run measures the selected rows within o.Budget and prints the table.
func Run(ctx context.Context, o Options, stdout, stderr io.Writer) error {
	started := time.Now()
	if len(o.Rows) == 0 {
		o.Rows = []int{1, 2, 3, 4, 5, 6}
	}
	ctx, cancel := context.WithTimeout(ctx, o.Budget)
	defer cancel()
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	needBins := slices.ContainsFunc(o.Rows, func(n int) bool { return n >= 3 && n <= 5 })
	if needBins {
		cleanup, err := resolveBinaries(ctx, &o, stderr)
		defer cleanup()
		if err != nil {
			fmt.Fprintf(stderr, "refreshbench: %v (rows 3 to 5 will say not available)\n", err)
		}
	}

	funcs := map[int]func(context.Context, Options) row{1: proxyRow, 2: stormRow, 3: backendRow, 4: memoryRow, 5: suiteRow, 6: instancesRow}
	var rows []row
	for i, n := range runOrder(o.Rows) {
		bound := remaining(ctx)
		if share, ok := rowShares[n]; ok && i < len(o.Rows)-1 {
			bound = min(bound, time.Duration(share*float64(o.Budget)))
		}
		fmt.Fprintf(stderr, "refreshbench: row %d (bound %s)\n", n, bound.Round(time.Second))
		rowCtx, cancelRow := context.WithTimeoutCause(ctx, bound, fmt.Errorf("row %d reached its bound of %s", n, bound.Round(time.Second)))
		t0 := time.Now()
		r := funcs[n](rowCtx, o)
		r.took = time.Since(t0)
		cancelRow()
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b row) int { return a.num - b.num })
	header := fmt.Sprintf("refreshbench: %s, %d CPUs, load average at start %s; %s in all (budget %s); loopback only",
		started.UTC().Format(time.RFC3339), runtime.NumCPU(), loadAverage(), time.Since(started).Round(100*time.Millisecond), o.Budget)
	return writeTable(stdout, rows, header)
}

// runOrder is the order the rows run in: by number, but row 5 last, since
// it takes whatever time the others left.
func runOrder(rows []int) []int {
	out := slices.DeleteFunc(slices.Clone(rows), func(n int) bool { return n == 5 })
	if len(out) < len(rows) {
		out = append(out, 5)
	}
	return out
}

// loadAverage is the 1-minute load average, which says how shared the
// machine was.
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}

// resolveBinaries points o at the three binaries: from o.BinDir, or built
// into a temporary directory (the returned cleanup removes it).
func resolveBinaries(ctx context.Context, o *Options, stderr io.Writer) (func(), error) {
	dir := o.BinDir
	cleanup := func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "refreshbench-bin-")
		if err != nil {
			return cleanup, err
		}
		cleanup = func() { os.RemoveAll(tmp) }
		fmt.Fprintf(stderr, "refreshbench: building the binaries into %s\n", tmp)
		buildCtx, cancel := context.WithTimeout(ctx, o.Budget/3)
		defer cancel()
		cmd := exec.CommandContext(buildCtx, "go", "build", "-o", tmp+string(filepath.Separator), "./cmd/reference", "./cmd/fakebackend", "./cmd/refreshspec")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if root, err := moduleRoot(); err == nil {
			cmd.Dir = root
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return cleanup, fmt.Errorf("building the binaries: %w: %s", err, strings.TrimSpace(string(out)))
		}
		dir = tmp
	}
	var missing []string
	for _, b := range []struct {
		name string
		dst  *string
	}{{"reference", &o.ReferenceBin}, {"fakebackend", &o.FakebackendBin}, {"refreshspec", &o.RefreshspecBin}} {
		p, err := filepath.Abs(filepath.Join(dir, b.name))
		if err == nil {
			_, err = os.Stat(p)
		}
		if err != nil {
			missing = append(missing, b.name)
			continue
		}
		*b.dst = p
	}
	if len(missing) > 0 {
		return cleanup, fmt.Errorf("%s: missing %s (make build)", dir, strings.Join(missing, ", "))
	}
	return cleanup, nil
}

// moduleRoot is the directory of the go.mod above the working directory.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}
