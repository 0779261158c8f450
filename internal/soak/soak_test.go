package soak

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/refreshspec/refreshspec/internal/mutant"
)

func TestMain(m *testing.M) {
	if os.Getenv(EnvChild) == "reference" {
		// The separate proxy process of TestSoakSeparateProcess: this test
		// binary, re-executed.
		if err := ServeReference(context.Background(), os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// TestSoakSeparateProcess: the way make soak runs, with the proxy in its
// own process (this test binary re-executed), whose memory is reported and
// which stops when the soak ends.
func TestSoakSeparateProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the soak runs for seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{Duration: 1500 * time.Millisecond, Sessions: 10, Workers: 2, Proxy: Subprocess(os.Args[0])})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.SeparateProcess || rep.ProxyPID == os.Getpid() || rep.RSSStartKiB <= 0 {
		t.Errorf("proxy pid %d (soak %d), separate %v, RSS %d KiB", rep.ProxyPID, os.Getpid(), rep.SeparateProcess, rep.RSSStartKiB)
	}
	if probs := rep.Problems(); len(probs) > 0 {
		t.Errorf("problems: %v", probs)
	}
	if _, err := os.FindProcess(rep.ProxyPID); err == nil {
		if raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", rep.ProxyPID)); err == nil && !strings.Contains(string(raw), "zombie") {
			t.Errorf("the proxy process %d is still running after the soak", rep.ProxyPID)
		}
	}
}

func TestMainRefusesUnboundedOrBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-duration", "2h"}, {"-duration", "0s"}, {"-nope"}, {"extra"}} {
		var stderr strings.Builder
		err := Main(context.Background(), args, func(string) string { return "" }, os.Args[0], strings.NewReader(""), io.Discard, &stderr)
		if err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}

// TestSoakShort is the CI-sized soak: a few seconds of sessions, expiries,
// revocations and faults through the reference in this process. Nothing
// may be lost, no 5xx may go unexplained, no token may leak, and every
// live family refreshed exactly once per expiry. The figures must also
// show that the chaos happened, or the pass means nothing.
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the soak runs for seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var progress strings.Builder
	rep, err := Run(ctx, Config{
		Duration:     5 * time.Second,
		Sessions:     40,
		Workers:      8,
		FaultEvery:   40 * time.Millisecond,
		ExpireEvery:  10 * time.Millisecond,
		AdvanceEvery: time.Second,
		RevokeEvery:  time.Second,
		Progress:     &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.Print(&out)
	t.Log("\n" + out.String())
	if probs := rep.Problems(); len(probs) > 0 {
		t.Errorf("the soak found problems: %s", strings.Join(probs, "; "))
	}
	for what, n := range map[string]int64{
		"requests":                     rep.Requests,
		"faults that answered a call":  int64(rep.FaultsConsumedTotal),
		"502/503 explained by faults":  rep.Explained5xx,
		"expiries":                     int64(rep.Expiries),
		"clock advances":               int64(rep.ClockAdvances),
		"rotations":                    int64(rep.RefreshOK),
		"deliberate logouts":           rep.RevokedLoggedOut,
		"tokens issued (for the scan)": int64(rep.TokensIssued),
	} {
		if n == 0 {
			t.Errorf("no %s: the soak did not exercise what it reports on", what)
		}
	}
}

// TestSoakNoticesMutants runs a short soak against mutants of the reference
// (internal/reference/mutants), one at a time: the figure each one breaks must show
// it, so a passing soak means something. The mutant is the soak binary built
// with its patch, serving the patched reference in a separate process as
// Subprocess does for make soak.
func TestSoakNoticesMutants(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the soak runs each mutant")
	}
	cases := []struct {
		mutant string
		figure func(*Report) int64
		name   string
	}{
		{"token-in-header", func(r *Report) int64 { return int64(r.LeaksInAnswers) }, "leaks in answers"},
		{"signed-only-cookie", func(r *Report) int64 { return int64(r.LeaksInAnswers) }, "leaks in answers (a readable cookie)"},
		{"logout-on-5xx", func(r *Report) int64 { return r.SessionsLost }, "sessions lost"},
		{"no-refresh-lock", func(r *Report) int64 { return r.SessionsLost + int64(r.RefreshMismatches) + r.DivergentCookies }, "lost, double refreshes or divergent bursts"},
	}
	root, all, err := mutant.FromModule(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ms := make([]*mutant.Mutant, len(cases))
	for i, tc := range cases {
		if ms[i], err = mutant.Find(all, tc.mutant); err != nil {
			t.Fatal(err)
		}
	}
	builds := mutant.Prebuild(t.Context(), root, "./cmd/refreshsoak", ms, t.TempDir(), 2)
	for i, tc := range cases {
		t.Run(tc.mutant, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			bin, err := builds.Wait(ctx, ms[i])
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Run(ctx, Config{
				Duration:    2 * time.Second,
				Sessions:    16,
				Workers:     4,
				Seed:        1,
				FaultEvery:  20 * time.Millisecond,
				ExpireEvery: 5 * time.Millisecond,
				Proxy:       Subprocess(bin),
			})
			if err != nil {
				t.Fatal(err)
			}
			if tc.figure(rep) == 0 || len(rep.Problems()) == 0 {
				var out strings.Builder
				rep.Print(&out)
				t.Errorf("the soak did not notice %s (%s is 0):\n%s", tc.mutant, tc.name, out.String())
			}
		})
	}
}
