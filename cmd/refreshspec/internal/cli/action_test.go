package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// actionPath is the GitHub composite action, from this package's folder.
var actionPath = filepath.Join("..", "..", "..", "..", ".github", "actions", "refreshspec", "action.yml")

// action is what the tests read of action.yml.
type action struct {
	Inputs map[string]struct {
		Default string `json:"default"`
	} `json:"inputs"`
	Runs struct {
		Steps []actionStep `json:"steps"`
	} `json:"runs"`
}

type actionStep struct {
	ID  string            `json:"id"`
	Env map[string]string `json:"env"`
	Run string            `json:"run"`
}

// inputRef is how a step's env takes an input: ${{ inputs.NAME }}.
var inputRef = regexp.MustCompile(`^\$\{\{ *inputs\.([a-z-]+) *\}\}$`)

// runAction runs the action's "run" step as the runner would, with the
// inputs given (the others at their defaults) and a stand-in refreshspec
// on PATH, and returns the arguments refreshspec got.
func runAction(t *testing.T, a action, inputs map[string]string) []string {
	t.Helper()
	i := slices.IndexFunc(a.Runs.Steps, func(s actionStep) bool { return s.ID == "run" })
	if i < 0 {
		t.Fatal("action.yml has no step with id run")
	}
	step := a.Runs.Steps[i]
	dir := t.TempDir()
	bin, argsFile := filepath.Join(dir, "bin"), filepath.Join(dir, "args")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	stub := "#!/bin/sh\nprintf '%s\\0' \"$@\" > " + argsFile + "\n"
	if err := os.WriteFile(filepath.Join(bin, "refreshspec"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-e", "-c", step.Run)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"RUNNER_TEMP=" + dir, "GITHUB_OUTPUT=" + filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY=" + filepath.Join(dir, "summary"),
	}
	for name, value := range step.Env {
		m := inputRef.FindStringSubmatch(value)
		if m == nil {
			t.Fatalf("the run step's %s is %q, not an input", name, value)
		}
		v, ok := inputs[m[1]]
		if !ok {
			v = a.Inputs[m[1]].Default
		}
		cmd.Env = append(cmd.Env, name+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the run step failed: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatalf("the run step did not call refreshspec: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
}

// The GitHub action passes each input of the run to `refreshspec proxy` as
// its flag (accept as --accept: a baseline in CI was only possible through
// the profile), every flag it passes is one refreshspec takes, and
// docs/cli.md lists every input.
func TestActionPassesEveryInput(t *testing.T) {
	raw, err := os.ReadFile(actionPath)
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.Unmarshal(raw, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	given := map[string]string{
		"target-command": "npm start", "target-image": "app:dev", "profile": "refreshspec.yaml",
		"accept": "refreshspec-accept.yaml", "strict": "true", "browser": "true", "backend": "local",
		"focus": "P2,P7.1", "skip": "P9",
	}
	args := runAction(t, a, given)
	joined := strings.Join(args, " ")
	for input, want := range map[string]string{
		"target-command": "--target-cmd npm start", "target-image": "--target-image app:dev", "profile": "--profile refreshspec.yaml",
		"accept": "--accept refreshspec-accept.yaml", "strict": "--strict", "browser": "--browser", "backend": "--backend local",
		"focus": "--focus P2,P7.1", "skip": "--skip P9",
	} {
		if _, ok := a.Inputs[input]; !ok {
			t.Errorf("action.yml has no input %s", input)
		}
		if !strings.Contains(joined, want) {
			t.Errorf("input %s: refreshspec got %q, want %q in it", input, joined, want)
		}
	}
	if len(args) == 0 || args[0] != "proxy" {
		t.Fatalf("refreshspec got %q, want the proxy command", args)
	}
	f := &proxyFlags{}
	if err := parse(f.flagSet(), args[1:], &bytes.Buffer{}); err != nil {
		t.Errorf("refreshspec proxy refuses the action's flags %q: %v", args[1:], err)
	}
	if defaults := strings.Join(runAction(t, a, nil), " "); strings.Contains(defaults, "--accept") || strings.Contains(defaults, "--strict") {
		t.Errorf("with the inputs left out refreshspec got %q, want no --accept and no --strict", defaults)
	}

	docs, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, list, _ := strings.Cut(string(docs), "\nInputs: ")
	list, _, _ = strings.Cut(list, "Outputs:")
	for input := range a.Inputs {
		if !strings.Contains(list, "`"+input+"`") {
			t.Errorf("docs/cli.md's list of the action's inputs lacks %s", input)
		}
	}
}
