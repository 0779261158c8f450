package cli

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// buildVersion takes what -ldflags -X stamped, else what the go command
// recorded: a released module version (go install ...@v0.1.0) but not
// "(devel)", and the git revision; else "dev" and "unknown".
func TestBuildVersion(t *testing.T) {
	info := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/refreshspec/refreshspec", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	for _, c := range []struct {
		name                    string
		stampedV, stampedC      string
		info                    *debug.BuildInfo
		wantVersion, wantCommit string
	}{
		{"stamped wins", "v0.1.0", "abc123", info("v0.0.9", "vcs.revision", "def456"), "v0.1.0", "abc123"},
		{"go install of a tag", "", "", info("v0.1.0"), "v0.1.0", "unknown"},
		{"a checkout", "", "", info("(devel)", "vcs.revision", "def456", "vcs.modified", "false"), "dev", "def456"},
		{"a checkout with changes", "", "", info("(devel)", "vcs.revision", "def456", "vcs.modified", "true"), "dev", "def456 (modified)"},
		{"no build information", "", "", nil, "dev", "unknown"},
		{"stamped version only", "v0.2.0", "", info("(devel)", "vcs.revision", "def456"), "v0.2.0", "def456"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, commit := buildVersion(c.stampedV, c.stampedC, c.info)
			if v != c.wantVersion || commit != c.wantCommit {
				t.Errorf("buildVersion = %q, %q; want %q, %q", v, commit, c.wantVersion, c.wantCommit)
			}
		})
	}
}

// `refreshspec version` and `--version` print the three lines and exit 0;
// an argument is a usage error; the usage lists the command.
func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, stderr := run(t, args...)
		if code != ExitConformant {
			t.Fatalf("refreshspec %v: exit %d\n%s", args, code, stderr)
		}
		lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "refreshspec ") || !strings.HasPrefix(lines[1], "commit: ") ||
			lines[2] != "go: "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH {
			t.Errorf("refreshspec %v printed %q, want the version, commit and go lines", args, stdout)
		}
	}
	if code, _, stderr := run(t, "version", "extra"); code != ExitUsage || !strings.Contains(stderr, `unexpected argument "extra"`) {
		t.Errorf("refreshspec version extra: exit %d, stderr %q; want exit 2 naming the argument", code, stderr)
	}
	if _, stdout, _ := run(t, "help"); !strings.Contains(stdout, "\n  version ") {
		t.Errorf("the usage does not list version:\n%s", stdout)
	}
}
