package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/profile"
)

// helperEnv makes this test binary act as a tiny target: it serves /env
// (the variables it got) on $PORT, or $LISTEN_ON when a profile renames PORT.
const helperEnv = "TARGET_TEST_HELPER"

// init rather than TestMain, so that other test files of the package stay
// free to have their own TestMain.
func init() {
	if os.Getenv(helperEnv) == "1" {
		serveHelper()
		os.Exit(0)
	}
}

func serveHelper() {
	port := os.Getenv("PORT")
	if p := os.Getenv("LISTEN_ON"); p != "" {
		port = p
	}
	fmt.Println("helper starting on", port)
	http.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		for _, k := range []string{"BACKEND_URL", "SESSION_SECRET", "COOKIE_SECURE", "BACKEND_TIMEOUT", "SECRET_KEY", "EXTRA"} {
			fmt.Fprintf(w, "%s=%s\n", k, os.Getenv(k))
		}
	})
	_ = http.ListenAndServe("127.0.0.1:"+port, nil)
}

func helperCommand(t *testing.T) string {
	t.Helper()
	return helperEnv + "=1 '" + os.Args[0] + "' -test.run=^$"
}

func getEnv(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/env")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestProcessStartsRestartsAndStops(t *testing.T) {
	ctx := context.Background()
	p, err := StartProcess(ctx, ProcessOptions{
		Command:      helperCommand(t),
		Env:          map[string]string{"BACKEND_URL": "http://127.0.0.1:1", "EXTRA": "kept"},
		EnvNames:     profile.EnvNames{SessionSecret: "SECRET_KEY"},
		ReadyPath:    "/env",
		StartTimeout: 20 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(ctx)
	var _ Target = p

	env := getEnv(t, p.URL())
	secret := p.Env()["SESSION_SECRET"]
	for _, want := range []string{"BACKEND_URL=http://127.0.0.1:1", "COOKIE_SECURE=false", "BACKEND_TIMEOUT=2s", "EXTRA=kept", "SECRET_KEY=" + secret, "SESSION_SECRET=\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("the target's environment lacks %q:\n%s", want, env)
		}
	}
	if len(secret) != 48 {
		t.Errorf("the default SESSION_SECRET has %d characters, want 48", len(secret))
	}

	url := p.URL()
	if err := p.Restart(ctx, map[string]string{"SESSION_SECRET": strings.Repeat("n", 32) + "," + secret}); err != nil {
		t.Fatal(err)
	}
	if p.URL() != url {
		t.Errorf("the URL changed across a restart: %s, then %s", url, p.URL())
	}
	if env := getEnv(t, p.URL()); !strings.Contains(env, "SECRET_KEY="+strings.Repeat("n", 32)+","+secret) || !strings.Contains(env, "EXTRA=kept") {
		t.Errorf("after the restart the environment is:\n%s", env)
	}

	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(p.URL() + "/env"); err == nil {
		t.Error("the target still answers after Stop")
	}
	if err := p.Stop(ctx); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

func TestProcessThatExitsIsReportedWithItsOutput(t *testing.T) {
	_, err := StartProcess(context.Background(), ProcessOptions{
		Command:      "echo 'SESSION_SECRET is too short' >&2; exit 3",
		StartTimeout: 20 * time.Second,
	})
	if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "SESSION_SECRET is too short") {
		t.Fatalf("want an error naming the exit and the output, got %v", err)
	}
}

func TestProcessThatNeverAnswersTimesOut(t *testing.T) {
	start := time.Now()
	_, err := StartProcess(context.Background(), ProcessOptions{
		Command:      "echo waiting; exec sleep 30",
		StartTimeout: 300 * time.Millisecond,
	})
	if err == nil || !strings.Contains(err.Error(), "did not answer GET / within its start timeout of 300ms") || !strings.Contains(err.Error(), "waiting") {
		t.Fatalf("want a timeout error with the output, got %v", err)
	}
	if !errors.Is(err, ErrStartTimeout) {
		t.Errorf("%v is not ErrStartTimeout", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the timeout took %s", took)
	}
}

// When the caller's context ends before the start timeout (a run's
// --timeout), the error says so, with the context's cause, instead of
// naming a start timeout that never elapsed.
func TestProcessWhoseRunEndsFirstSaysSo(t *testing.T) {
	ctx, cancel := context.WithTimeoutCause(context.Background(), 300*time.Millisecond, errors.New("--timeout 300ms elapsed"))
	defer cancel()
	_, err := StartProcess(ctx, ProcessOptions{Command: "exec sleep 30", StartTimeout: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "did not answer GET / before the run's context ended (--timeout 300ms elapsed), earlier than its start timeout of 1m0s") {
		t.Fatalf("want the run's end named as what ended the wait, got %v", err)
	}
	if errors.Is(err, ErrStartTimeout) {
		t.Errorf("%v is ErrStartTimeout, though the start timeout never elapsed", err)
	}
}

func TestURLTargetCannotRestart(t *testing.T) {
	u := URL("http://127.0.0.1:3000/")
	if u.URL() != "http://127.0.0.1:3000" {
		t.Errorf("URL() = %q", u.URL())
	}
	if err := u.Restart(context.Background(), nil); !errors.Is(err, ErrNotRestartable) {
		t.Errorf("Restart = %v, want ErrNotRestartable", err)
	}
	if u.Env() != nil {
		t.Error("Env() should be nil for a target the suite did not start")
	}
}

func TestNoSessionSecretForATargetThatReadsNone(t *testing.T) {
	got := environment(map[string]string{"SESSION_SECRET": "s", "PORT": "1", "EXTRA": "x"}, profile.EnvNames{SessionSecret: profile.NoVariable, Port: "LISTEN_ON"})
	want := map[string]string{"LISTEN_ON": "1", "EXTRA": "x"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("environment = %v, want %v", got, want)
	}
}

func TestRestartThatFailsNamesWhatItChanged(t *testing.T) {
	ctx := context.Background()
	p, err := StartProcess(ctx, ProcessOptions{
		// The helper refuses to start with COOKIE_SECURE=true, as an app
		// would that demands TLS.
		Command:      `[ "$COOKIE_SECURE" = true ] && { echo 'COOKIE_SECURE needs https' >&2; exit 2; }; ` + helperCommand(t),
		ReadyPath:    "/env",
		StartTimeout: 20 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(ctx)
	err = p.Restart(ctx, map[string]string{"COOKIE_SECURE": "true"})
	if err == nil || !strings.Contains(err.Error(), "restart with COOKIE_SECURE changed") || !strings.Contains(err.Error(), "COOKIE_SECURE needs https") {
		t.Fatalf("want an error naming the changed variable and the output, got %v", err)
	}
}
