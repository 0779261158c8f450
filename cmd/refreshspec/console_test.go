package main

import (
	"regexp"
	"strings"
	"testing"
)

// The console against mutants of the reference, as a user reads it: each
// failure once, in sentences, under its requirement. These runs use the
// in-process fake backend: what they check is what the console prints.

// TestRunWideFindingIsPrintedOnce: the rotated Set-Cookie of
// bare-rotated-cookie lacks its attributes after every spec that rotates,
// and P1.2's check finds it each time. The console printed P1.2's whole
// block again after each of them, longer every time (27 blocks, 2615 lines);
// now P1.2 is printed once, and a later finding is an update that says so
// and gives only what is new.
func TestRunWideFindingIsPrintedOnce(t *testing.T) {
	r := runCLI(t, nil, "proxy", "--backend", "local", "--target-cmd", mutantProxy(t, "bare-rotated-cookie"))
	if r.code != 1 || !strings.Contains(r.stdout, "verdict: NOT conformant: P1.2 failed") {
		t.Fatalf("exit %d, want 1 with P1.2 failed\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	var first, updates int
	for _, line := range strings.Split(r.stdout, "\n") {
		switch {
		case !regexp.MustCompile(`^[A-Z]+ +P1\.2 `).MatchString(line):
		case strings.HasSuffix(line, "(update)") || strings.Contains(line, "(update: "):
			updates++
		default:
			first++
		}
	}
	if first != 1 || updates == 0 {
		t.Errorf("P1.2's line is printed %d times without saying it is an update (want once) and %d times as an update (want some: later specs found more):\n%s", first, updates, r.stdout)
	}
	// One line a scenario, P1.2's block, and a few lines an update.
	if lines := strings.Count(r.stdout, "\n"); lines > 200 {
		t.Errorf("the console printed %d lines for one defect:\n%s", lines, r.stdout)
	}
	if n := strings.Count(r.stdout, "requirement: every `Set-Cookie`"); n != 1 {
		t.Errorf("P1.2's requirement is printed %d times, want once:\n%s", n, r.stdout)
	}
}

// TestShouldFailureIsPrintedOnce: a SHOULD failure's message and its
// requirement are not printed again under "what the spec recorded".
func TestShouldFailureIsPrintedOnce(t *testing.T) {
	r := runCLI(t, nil, "proxy", "--backend", "local", "--focus", "P8.3", "--target-cmd", mutantProxy(t, "no-key-rotation"))
	if r.code != 0 || !strings.Contains(r.stdout, "FAIL  P8.3") {
		t.Fatalf("exit %d, want 0 with P8.3 failed (a SHOULD)\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if n := strings.Count(r.stdout, "no key rotation: a cookie sealed under old"); n != 1 {
		t.Errorf("the failure is printed %d times, want once:\n%s", n, r.stdout)
	}
	if n := strings.Count(r.stdout, "key rotation: with `SESSION_SECRET=new,old`"); n != 1 {
		t.Errorf("the requirement is printed %d times, want once:\n%s", n, r.stdout)
	}
	if !strings.Contains(r.stdout, "what the fake backend journaled during this spec") {
		t.Errorf("the journal is gone:\n%s", r.stdout)
	}
}

// TestSessionEndedOnABlipReadsAsASentence: P6's failure is one sentence
// with the response summarised, not the body, a blank line, a stray
// ", Location" and Gomega's "Expected <bool>: true to be false".
func TestSessionEndedOnABlipReadsAsASentence(t *testing.T) {
	r := runCLI(t, nil, "proxy", "--backend", "local", "--focus", "P6.1", "--target-cmd", mutantProxy(t, "logout-on-5xx"))
	if !strings.Contains(r.stdout, "FAIL  P6.1") {
		t.Fatalf("exit %d, want P6.1 failed\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	want := regexp.MustCompile(`(?m)^      P6\.1 \(SHOULD\): after a refresh answered 500 the session must survive, but the page GET /profile answered as if it had ended: ` +
		`GET /profile → 30[237] \([^\n]*body "[^\n]*", Location "/login"\)$`)
	if !want.MatchString(r.stdout) {
		t.Errorf("P6.1's message is not one line with the status, body and Location:\n%s", r.stdout)
	}
	block, _, _ := strings.Cut(r.stdout[strings.Index(r.stdout, "FAIL  P6.1"):], "what the spec recorded")
	for _, boilerplate := range []string{"Expected", "to be false", "to be true", "\n      \n"} {
		if strings.Contains(block, boilerplate) {
			t.Errorf("P6.1's block holds %q:\n%s", boilerplate, block)
		}
	}
}
