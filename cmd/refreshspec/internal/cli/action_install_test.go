package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// installStep is what the install tests read of an action step.
type installStep struct {
	ID   string            `json:"id"`
	If   string            `json:"if"`
	Uses string            `json:"uses"`
	Env  map[string]string `json:"env"`
	Run  string            `json:"run"`
}

func readInstallSteps(t *testing.T) []installStep {
	t.Helper()
	raw, err := os.ReadFile(actionPath)
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Runs struct {
			Steps []installStep `json:"steps"`
		} `json:"runs"`
	}
	if err := yaml.Unmarshal(raw, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a.Runs.Steps
}

// runInstallStep runs a step's script with bash as the runner would: its
// env with the inputs given, then env, in a temporary directory; it returns
// the step's outputs (GITHUB_OUTPUT), the PATH entries it added
// (GITHUB_PATH), its output and its error.
func runInstallStep(t *testing.T, step installStep, inputs map[string]string, env ...string) (outputs, path, out string, err error) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("bash", "-e", "-c", step.Run)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "RUNNER_TEMP=" + dir,
		"GITHUB_OUTPUT=" + filepath.Join(dir, "output"), "GITHUB_PATH=" + filepath.Join(dir, "path")}
	for name, value := range step.Env {
		if m := inputRef.FindStringSubmatch(value); m != nil {
			value = inputs[m[1]]
		}
		cmd.Env = append(cmd.Env, name+"="+value)
	}
	cmd.Env = append(cmd.Env, env...)
	raw, err := cmd.CombinedOutput()
	o, _ := os.ReadFile(filepath.Join(dir, "output"))
	p, _ := os.ReadFile(filepath.Join(dir, "path"))
	return string(o), string(p), string(raw), err
}

// The action installs a release tag from the release's archive, checked
// against the release's checksums file, with no Go toolchain; "latest" and
// commits it builds with go install, and only then sets up Go.
func TestActionInstallsReleasesFromTheArchive(t *testing.T) {
	steps := readInstallSteps(t)
	find := func(match func(installStep) bool) installStep {
		t.Helper()
		i := slices.IndexFunc(steps, match)
		if i < 0 {
			t.Fatal("action.yml lacks an install step")
		}
		return steps[i]
	}
	choose := find(func(s installStep) bool { return s.ID == "install" })
	release := find(func(s installStep) bool { return s.ID == "release" })
	setupGo := find(func(s installStep) bool { return strings.HasPrefix(s.Uses, "actions/setup-go@") })
	goInstall := find(func(s installStep) bool { return strings.Contains(s.Run, "CGO_ENABLED=0 go install") })
	fromSource, fromRelease := "steps.install.outputs.from == 'source'", "steps.install.outputs.from == 'release'"
	if setupGo.If != fromSource || goInstall.If != fromSource || release.If != fromRelease {
		t.Errorf("the steps' conditions: setup-go %q, go install %q, release %q; want %q, %q, %q", setupGo.If, goInstall.If, release.If, fromSource, fromSource, fromRelease)
	}

	for version, want := range map[string]string{
		"v0.1.0": "release", "v1.12.3-rc.1": "release",
		"latest": "source", "main": "source", "64618a58ead5df5261a9bab0986d98fc168e48e9": "source", "v0.1": "source",
	} {
		outputs, _, out, err := runInstallStep(t, choose, map[string]string{"version": version})
		if err != nil || outputs != "from="+want+"\n" {
			t.Errorf("version %s: outputs %q (%v, %s), want from=%s", version, outputs, err, out, want)
		}
	}

	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not found: the release step downloads with it")
	}
	// A release of v9.9.9 on disk, reached as file://, whose linux_amd64
	// archive holds a stand-in refreshspec.
	releases := t.TempDir()
	const tag = "v9.9.9"
	archive := "refreshspec_" + tag + "_linux_amd64.tar.gz"
	data := tarGz(t, map[string]string{"refreshspec": "#!/bin/sh\necho 'refreshspec " + tag + "'\n", "LICENSE": "Apache-2.0\n", "README.md": "# refreshspec\n"})
	writeRelease := func(sums string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(releases, tag), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(releases, tag, archive), data, 0o644)
		os.WriteFile(filepath.Join(releases, tag, "refreshspec_"+tag+"_checksums.txt"), []byte(sums), 0o644)
	}
	env := []string{"RELEASES=file://" + releases, "RUNNER_OS=Linux", "RUNNER_ARCH=X64"}
	inputs := map[string]string{"version": tag}

	sum := sha256.Sum256(data)
	writeRelease(fmt.Sprintf("%x  refreshspec_%s_darwin_arm64.tar.gz\n%x  %s\n", sha256.Sum256(nil), tag, sum, archive))
	_, path, out, err := runInstallStep(t, release, inputs, env...)
	if err != nil {
		t.Fatalf("the release step failed: %v\n%s", err, out)
	}
	bin := filepath.Join(strings.TrimSpace(path), "refreshspec")
	if got, err := exec.Command(bin).Output(); err != nil || string(got) != "refreshspec "+tag+"\n" {
		t.Errorf("the release step put %q on PATH, whose refreshspec printed %q (%v)", path, got, err)
	}
	if !strings.Contains(out, "refreshspec "+tag) {
		t.Errorf("the release step did not run refreshspec version:\n%s", out)
	}

	// An archive whose sum is not the file's, or that the file does not list.
	writeRelease(fmt.Sprintf("%x  %s\n", sha256.Sum256([]byte("another archive")), archive))
	if _, path, out, err := runInstallStep(t, release, inputs, env...); err == nil || path != "" {
		t.Errorf("the release step installed an archive whose checksum does not match (PATH %q):\n%s", path, out)
	}
	writeRelease(fmt.Sprintf("%x  refreshspec_%s_darwin_arm64.tar.gz\n", sum, tag))
	if _, path, out, err := runInstallStep(t, release, inputs, env...); err == nil || path != "" || !strings.Contains(out, archive+" is not in the release's checksums file") {
		t.Errorf("the release step installed an archive its checksums file does not list (PATH %q):\n%s", path, out)
	}
	// No archive for Windows: it says to use go install.
	if _, _, out, err := runInstallStep(t, release, inputs, "RUNNER_OS=Windows", "RUNNER_ARCH=X64"); err == nil || !strings.Contains(out, "no release archive for Windows/X64") {
		t.Errorf("on Windows the release step should stop and say so: %v\n%s", err, out)
	}
}

// tarGz is a .tar.gz of files, each executable.
func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(content))}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(content))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
