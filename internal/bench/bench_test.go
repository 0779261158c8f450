package bench

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
	"github.com/refreshspec/refreshspec/internal/redisserver"
)

func TestPercentileIsNearestRank(t *testing.T) {
	var xs []time.Duration
	for i := 1; i <= 100; i++ {
		xs = append(xs, time.Duration(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0.50, 50}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := percentile(xs, c.p); got != c.want {
			t.Errorf("percentile(1..100, %v) = %d, want %d", c.p, got, c.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of nothing = %d, want 0", got)
	}
}

func TestMedianDoesNotReorderItsInput(t *testing.T) {
	xs := []float64{3, 1, 2, 10}
	if got := median(xs); got != 2 {
		t.Errorf("median = %v, want the lower middle 2", got)
	}
	if xs[0] != 3 || xs[3] != 10 {
		t.Errorf("median sorted its input: %v", xs)
	}
}

// Ratios are taken per round, so that a round slowed down by the machine
// slows both sides of its ratio.
func TestRoundRatiosPairRounds(t *testing.T) {
	a := []roundResult{{requests: 100, elapsed: time.Second}, {requests: 100, elapsed: 2 * time.Second}}
	b := []roundResult{{requests: 200, elapsed: time.Second}, {requests: 200, elapsed: 2 * time.Second}, {requests: 1, elapsed: time.Second}}
	got := roundRatios(a, b, rateOf)
	if len(got) != 2 || got[0] != 0.5 || got[1] != 0.5 {
		t.Errorf("roundRatios = %v, want [0.5 0.5] (a's rounds over b's, the extra round ignored)", got)
	}
}

func TestRunRoundSendsTheFixedCountAndCountsFailures(t *testing.T) {
	var calls atomic.Int64
	l := load{name: "counting", do: func(context.Context, int) error {
		if calls.Add(1)%3 == 0 {
			return errors.New("every third request fails")
		}
		return nil
	}}
	r := runRound(context.Background(), l, 300, 3)
	if calls.Load() != 300 {
		t.Errorf("sent %d requests, want 300", calls.Load())
	}
	if r.failures != 100 || r.firstErr == nil {
		t.Errorf("failures = %d (first %v), want 100", r.failures, r.firstErr)
	}
	if r.rate() <= 0 || r.p50 < 0 {
		t.Errorf("rate %v, p50 %v", r.rate(), r.p50)
	}
}

func TestParseVmRSS(t *testing.T) {
	status := []byte("Name:\treference\nVmPeak:\t  20000 kB\nVmRSS:\t   8532 kB\nThreads:\t5\n")
	got, err := parseVmRSS(status)
	if err != nil || got != 8532 {
		t.Errorf("parseVmRSS = %d, %v; want 8532", got, err)
	}
	if _, err := parseVmRSS([]byte("Name:\tx\n")); err == nil {
		t.Error("a status without VmRSS parsed")
	}
	if _, err := parseVmRSS([]byte("VmRSS:\t12 MB\n")); err == nil {
		t.Error("a VmRSS in another unit parsed")
	}
}

func TestParseStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses; utime (field 14)
	// is 150 ticks and stime (field 15) 50.
	stat := []byte("4242 (odd (name) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 150 50 0 0 20 0 7 0 100 1000000 2000 18446744073709551615")
	got, err := parseStatCPU(stat)
	if err != nil || got != 2*time.Second {
		t.Errorf("parseStatCPU = %v, %v; want 2s", got, err)
	}
	if _, err := parseStatCPU([]byte("4242 (short) S 1")); err == nil {
		t.Error("a truncated stat line parsed")
	}
}

func TestReferenceReadyDialsLoopback(t *testing.T) {
	got, ok := referenceReady("reference proxy listening on http://[::]:41234 (backend http://127.0.0.1:9)")
	if !ok || got != "http://127.0.0.1:41234" {
		t.Errorf("referenceReady = %q, %v; want http://127.0.0.1:41234", got, ok)
	}
	if _, ok := referenceReady(`{"level":"INFO","msg":"listening"}`); ok {
		t.Error("a log line was taken for the listening line")
	}
}

func TestParseRows(t *testing.T) {
	got, err := parseRows("5, 1,3,1")
	if err != nil || len(got) != 3 || got[0] != 1 || got[1] != 3 || got[2] != 5 {
		t.Errorf("parseRows = %v, %v; want [1 3 5]", got, err)
	}
	for _, bad := range []string{"0", "7", "x", ""} {
		if _, err := parseRows(bad); err == nil {
			t.Errorf("parseRows(%q) succeeded", bad)
		}
	}
}

// Row 5 takes whatever time the others left, so it runs last.
func TestRowFiveRunsLast(t *testing.T) {
	if got := runOrder([]int{1, 2, 3, 4, 5, 6}); !slices.Equal(got, []int{1, 2, 3, 4, 6, 5}) {
		t.Errorf("runOrder(1..6) = %v, want row 5 last", got)
	}
	if got := runOrder([]int{2, 6}); !slices.Equal(got, []int{2, 6}) {
		t.Errorf("runOrder(2,6) = %v", got)
	}
}

func TestTableAlignsColumnsAcrossRows(t *testing.T) {
	rows := []row{
		{num: 1, title: "first", lines: []line{{"a", "1", "≥ 2", verdictMissed}, {"longer label", "22", "", ""}}},
		{num: 2, title: "second", skipped: "not available: no binary"},
	}
	var b bytes.Buffer
	if err := writeTable(&b, rows, "header"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"header\n", "1.  first", "2.  second", "not available: no binary", "MISSED"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// Values start in the same column on every line.
	var cols []int
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "     a ") || strings.HasPrefix(l, "     longer label") {
			cols = append(cols, strings.IndexAny(l, "12"))
		}
	}
	if len(cols) != 2 || cols[0] != cols[1] {
		t.Errorf("value columns at %v, want one column:\n%s", cols, out)
	}
}

// The whole program, rows 1 and 2, small: what make bench runs, end to end
// on loopback, in a few seconds. Row 2's checks are correctness checks
// (exactly one refresh per session, every answer 200): they must hold.
func TestRunPrintsRowsOneAndTwo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and sends a few thousand requests")
	}
	o := DefaultOptions()
	o.Rows, o.Rounds, o.Requests, o.Clients, o.Budget = []int{1, 2}, 2, 200, 4, time.Minute
	var out, progress bytes.Buffer
	if err := Run(context.Background(), o, &out, &progress); err != nil {
		t.Fatal(err)
	}
	table := out.String()
	if strings.Contains(table, verdictFailed) || strings.Contains(table, "not available") {
		t.Fatalf("a row failed:\n%s", table)
	}
	for _, want := range [][2]string{
		{"reference / bare: req/s", "x"},
		{"refresh calls at the backend", "500 (500 rotated)"},
		{"non-200 answers in the storm", "0 of 4000"},
	} {
		if !tableHas(table, want[0], want[1]) {
			t.Errorf("table lacks a line %q with %q:\n%s", want[0], want[1], table)
		}
	}
}

func tableHas(table, label, value string) bool {
	for _, l := range strings.Split(table, "\n") {
		if strings.Contains(l, label) && strings.Contains(l, value) {
			return true
		}
	}
	return false
}

// Row 3's backend loads speak each dialect: logins, rotation chains and
// resource calls succeed against a fake backend in the json dialect and in
// the oauth2 one (through the same client code).
func TestDialectLoads(t *testing.T) {
	for _, m := range []dialect.Mapping{{}, benchOAuth2} {
		run, err := fakebackend.Start(context.Background(), fakebackend.Config{Mapping: m}, fakebackend.StartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		client, tr := newClient(2)
		loads, err := dialectLoads(context.Background(), client, newDialectPeer(m, run.URL), 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range loads {
			if r := runRound(context.Background(), l, 6, 2); r.failures != 0 {
				t.Errorf("%s: %d failures, first %v", l.name, r.failures, r.firstErr)
			}
		}
		counts, err := run.Control.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if counts[control.RouteRefresh][control.OutcomeOK] != 6 || counts[control.RouteMe][control.OutcomeOK] != 6 || counts[control.RouteLogin][control.OutcomeOK] != 3 {
			t.Errorf("%s: counts %v, want 3 logins, 6 rotations and 6 resource calls", m.Dialect, counts)
		}
		tr.CloseIdleConnections()
		if err := run.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}
	if flag, err := mappingFlag(benchOAuth2); err != nil || !strings.HasPrefix(flag, `--mapping-json={"dialect":"oauth2"`) {
		t.Errorf("mapping flag %q, %v", flag, err)
	}
}

// Row 6 end to end: the storm across two instances of the reference on a
// real Redis must cost exactly one refresh per session with every answer
// 200 (correctness checks, which must hold), and the table gives the added
// latency.
func TestRowSixIsOneRefreshPerSessionAcrossInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis, four servers and sends some 8000 requests")
	}
	redisserver.Need(t)
	o := DefaultOptions()
	o.Rows, o.Budget = []int{6}, time.Minute
	var out, progress bytes.Buffer
	if err := Run(context.Background(), o, &out, &progress); err != nil {
		t.Fatal(err)
	}
	table := out.String()
	if strings.Contains(table, verdictFailed) || strings.Contains(table, "not available") {
		t.Fatalf("row 6 failed:\n%s", table)
	}
	for _, want := range [][2]string{
		{"refresh calls at the backend, 2 instances", "500"},
		{"non-200 answers, 2 instances", "0 of 4000"},
		{"refreshing requests, 1 instance", "500 refreshes"},
		{"added by the Redis path", "p99"},
	} {
		if !tableHas(table, want[0], want[1]) {
			t.Errorf("table lacks a line %q with %q:\n%s", want[0], want[1], table)
		}
	}
	t.Logf("\n%s", table)
}
