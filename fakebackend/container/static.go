package container

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/testcontainers/testcontainers-go"

	"github.com/refreshspec/refreshspec/dialect"
)

// FakeBackendFlags are the flags the image's entrypoint gives the fake
// backend: inside a container its listeners must bind every interface to be
// published, and the control API must then be allowed off loopback (the
// ports themselves are published on the host's 127.0.0.1 only).
var FakeBackendFlags = []string{"--addr=0.0.0.0:8080", "--control-addr=0.0.0.0:8081", "--allow-remote-control"}

// WithStaticBinary builds the container's image on the spot from the static
// binary at path and a generated FROM scratch Dockerfile, so that no image has
// to be built beforehand and nothing is pulled from a registry. The binary
// lands at /<its file name>; the entrypoint defaults to that path followed by
// FakeBackendFlags. The image is removed when the container is terminated.
//
// The binary must be a static Linux executable: a scratch image has no
// dynamic loader or libc. BuildBinary makes one.
func WithStaticBinary(path string, entrypoint ...string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		if err := CheckStatic(path); err != nil {
			return fmt.Errorf("with static binary: %w", err)
		}
		name := filepath.Base(path)
		ep := entrypoint
		if len(ep) == 0 {
			ep = append([]string{"/" + name}, FakeBackendFlags...)
		}
		archive, err := buildContext(path, name, ep)
		if err != nil {
			return fmt.Errorf("with static binary: %w", err)
		}
		// A request may name an image or a build context, not both.
		req.Image = ""
		return testcontainers.WithDockerfile(testcontainers.FromDockerfile{
			ContextArchive: archive,
			Repo:           "refreshspec/static-" + strings.ToLower(name),
		})(req)
	}
}

// WithArgs appends flags to the fake backend's command line, after those of
// the entrypoint, for instance WithArgs("--access-ttl=1m", "--no-rate-limit").
func WithArgs(args ...string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithCmdArgs(args...)
}

// WithMapping makes the fake backend speak mapping m (its --mapping-json
// flag), for a proxy whose backend speaks another dialect than contract.md
// §1. The default mapping adds no flag, so an image built before the flag
// existed still runs.
func WithMapping(m dialect.Mapping) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		m.ApplyDefaults()
		if m == dialect.Default() {
			return nil
		}
		raw, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("with mapping: %w", err)
		}
		return testcontainers.WithCmdArgs("--mapping-json=" + string(raw))(req)
	}
}

// CheckStatic returns an error unless path is an ELF executable without a
// program interpreter (PT_INTERP), which is what a scratch image can run.
func CheckStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		var fe *elf.FormatError
		if errors.As(err, &fe) {
			return fmt.Errorf("%s is not a Linux (ELF) executable: build it with CGO_ENABLED=0 GOOS=linux go build", path)
		}
		return fmt.Errorf("open binary: %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked (it names a program interpreter) and cannot run in a scratch image: build it with CGO_ENABLED=0", path)
		}
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("%s is an ELF %s, not an executable", path, f.Type)
	}
	return nil
}

// buildContext returns a tar archive holding the binary as name and a
// Dockerfile that copies it into a scratch image with entrypoint. It is built
// in memory, so there is no temporary directory to clean up.
func buildContext(path, name string, entrypoint []string) (*bytes.Reader, error) {
	src, err := json.Marshal([]string{name, "/" + name})
	if err != nil {
		return nil, err
	}
	ep, err := json.Marshal(entrypoint)
	if err != nil {
		return nil, err
	}
	dockerfile := fmt.Sprintf("FROM scratch\nCOPY %s\nEXPOSE 8080 8081\nENTRYPOINT %s\n", src, ep)

	bin, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open binary: %w", err)
	}
	defer bin.Close()
	info, err := bin.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat binary: %w", err)
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile))}); err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	if _, err := io.WriteString(tw, dockerfile); err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: info.Size()}); err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	if _, err := io.Copy(tw, bin); err != nil {
		return nil, fmt.Errorf("build context: copy binary: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	return bytes.NewReader(buf.Bytes()), nil
}
