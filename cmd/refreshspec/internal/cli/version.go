package cli

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit are stamped at build time, as make dist does:
//
//	go build -ldflags "-X github.com/refreshspec/refreshspec/cmd/refreshspec/internal/cli.version=v0.1.0 \
//	  -X github.com/refreshspec/refreshspec/cmd/refreshspec/internal/cli.commit=$(git rev-parse HEAD)" ./cmd/refreshspec
//
// Unstamped (go install, go build), they come from the build information
// the go command records: see buildVersion.
var (
	version string
	commit  string
)

// buildVersion is the version and commit a binary reports: the stamped ones,
// else the main module's version (v0.1.0 after go install ...@v0.1.0; a
// checkout's build is "(devel)", or a pseudo-version derived from git) and
// the vcs.revision setting (a build inside a git checkout), else "dev" and
// "unknown". A revision built with uncommitted changes is marked "(modified)".
func buildVersion(stampedVersion, stampedCommit string, info *debug.BuildInfo) (v, c string) {
	v, c = stampedVersion, stampedCommit
	if info != nil {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		if c == "" {
			var revision, modified string
			for _, s := range info.Settings {
				switch s.Key {
				case "vcs.revision":
					revision = s.Value
				case "vcs.modified":
					modified = s.Value
				}
			}
			if c = revision; c != "" && modified == "true" {
				c += " (modified)"
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	return v, c
}

// versionText is what `refreshspec version` prints.
func versionText() string {
	info, _ := debug.ReadBuildInfo()
	v, c := buildVersion(version, commit, info)
	return fmt.Sprintf("refreshspec %s\ncommit: %s\ngo: %s %s/%s\n", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func runVersion(_ context.Context, args []string, e env) error {
	fs := flag.NewFlagSet("refreshspec version", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage:\n  refreshspec version\n\nPrints the version, the commit and the Go version it was built with. It has no flags.\n")
	}
	if err := parse(fs, args, e.stderr); err != nil {
		return err
	}
	_, err := fmt.Fprint(e.stdout, versionText())
	return err
}
