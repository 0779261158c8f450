package container

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
)

func TestCheckLoopback(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST", "localhost."} {
		if err := CheckLoopback(host); err != nil {
			t.Errorf("CheckLoopback(%q) = %v, want nil", host, err)
		}
	}
	for _, host := range []string{"172.17.0.1", "10.0.0.1", "192.168.1.10", "8.8.8.8", "0.0.0.0", "::", "docker", "host.docker.internal", ""} {
		err := CheckLoopback(host)
		if err == nil {
			t.Errorf("CheckLoopback(%q) = nil, want an error", host)
			continue
		}
		if !strings.Contains(err.Error(), "TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1") {
			t.Errorf("CheckLoopback(%q) error %q does not name the fix", host, err)
		}
	}
}

// fakeDocker stands in for a started container: only Host and MappedPort are
// called by the accessors.
type fakeDocker struct {
	testcontainers.Container
	host string
}

func (f fakeDocker) Host(context.Context) (string, error) { return f.host, nil }

func (f fakeDocker) MappedPort(_ context.Context, port string) (network.Port, error) {
	if port == ControlPort {
		return network.MustParsePort("40001/tcp"), nil
	}
	return network.MustParsePort("40000/tcp"), nil
}

func TestAccessorsRefuseHostOffLoopback(t *testing.T) {
	ctx := context.Background()
	c := &Container{Container: fakeDocker{host: "172.17.0.1"}}
	if u, err := c.URL(ctx); err == nil {
		t.Errorf("URL with a gateway host = %q, want an error", u)
	}
	if u, err := c.ControlURL(ctx); err == nil {
		t.Errorf("ControlURL with a gateway host = %q, want an error", u)
	}
	if _, err := c.Control(ctx); err == nil || !strings.Contains(err.Error(), "172.17.0.1") {
		t.Errorf("Control with a gateway host: err = %v, want one naming the host", err)
	}
}

func TestAccessorsDialPublishedLoopbackAddress(t *testing.T) {
	ctx := context.Background()
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		c := &Container{Container: fakeDocker{host: host}}
		u, err := c.URL(ctx)
		if err != nil || u != "http://127.0.0.1:40000" {
			t.Errorf("host %q: URL = %q, %v; want http://127.0.0.1:40000", host, u, err)
		}
		cl, err := c.Control(ctx)
		if err != nil || cl.BaseURL() != "http://127.0.0.1:40001" {
			t.Errorf("host %q: Control base = %v, %v; want http://127.0.0.1:40001", host, cl, err)
		}
	}
}

// writeELF writes a minimal 64-bit little-endian ELF executable header with
// one program header of type progType.
func writeELF(t *testing.T, progType elf.ProgType) string {
	t.Helper()
	var buf bytes.Buffer
	hdr := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Phoff: 64, Ehsize: 64, Phentsize: 56, Phnum: 1,
	}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	hdr.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	prog := elf.Prog64{Type: uint32(progType), Off: 0, Filesz: 64, Memsz: 64}
	if err := binary.Write(&buf, binary.LittleEndian, hdr); err != nil {
		t.Fatal(err)
	}
	if err := binary.Write(&buf, binary.LittleEndian, prog); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(path, buf.Bytes(), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckStatic(t *testing.T) {
	if err := CheckStatic(writeELF(t, elf.PT_LOAD)); err != nil {
		t.Errorf("static ELF: %v, want nil", err)
	}
	err := CheckStatic(writeELF(t, elf.PT_INTERP))
	if err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Errorf("dynamic ELF: err = %v, want one that says to build with CGO_ENABLED=0", err)
	}
	script := filepath.Join(t.TempDir(), "run.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckStatic(script); err == nil || !strings.Contains(err.Error(), "not a Linux (ELF) executable") {
		t.Errorf("script: err = %v, want not an ELF executable", err)
	}
	if err := WithStaticBinary(script).Customize(&testcontainers.GenericContainerRequest{}); err == nil {
		t.Error("WithStaticBinary accepted a script")
	}
}

func TestStaticBinaryBuildContext(t *testing.T) {
	path := writeELF(t, elf.PT_LOAD)
	req := testcontainers.GenericContainerRequest{}
	if err := WithStaticBinary(path).Customize(&req); err != nil {
		t.Fatal(err)
	}
	if req.ContextArchive == nil {
		t.Fatal("no build context set")
	}
	files := map[string]*tar.Header{}
	contents := map[string]string{}
	tr := tar.NewReader(req.ContextArchive)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name], contents[h.Name] = h, string(b)
	}
	want := "FROM scratch\nCOPY [\"bin\",\"/bin\"]\nEXPOSE 8080 8081\n" +
		"ENTRYPOINT [\"/bin\",\"--addr=0.0.0.0:8080\",\"--control-addr=0.0.0.0:8081\",\"--allow-remote-control\"]\n"
	if got := contents["Dockerfile"]; got != want {
		t.Errorf("Dockerfile =\n%s\nwant\n%s", got, want)
	}
	if h := files["bin"]; h == nil || h.Mode != 0o755 || h.Size != 120 {
		t.Errorf("binary entry = %+v, want mode 0755 and its 120 bytes", h)
	}
}

// outcomeTB records what RequireDocker decided instead of ending the test.
type outcomeTB struct {
	testing.TB
	fatal, skip string
}

func (o *outcomeTB) Helper()                           {}
func (o *outcomeTB) Fatalf(format string, args ...any) { o.fatal = fmt.Sprintf(format, args...) }
func (o *outcomeTB) Skipf(format string, args ...any)  { o.skip = fmt.Sprintf(format, args...) }

func TestRequireDockerSkipsOnlyWhenAllowed(t *testing.T) {
	noEngine := errors.New("Cannot connect to the Docker daemon")

	t.Setenv(RequireDockerEnv, "")
	o := &outcomeTB{TB: t}
	requireDocker(o, noEngine)
	if o.fatal != "" || !strings.Contains(o.skip, "no Docker engine") {
		t.Errorf("without %s: fatal %q, skip %q; want a skip", RequireDockerEnv, o.fatal, o.skip)
	}

	t.Setenv(RequireDockerEnv, "1")
	o = &outcomeTB{TB: t}
	requireDocker(o, noEngine)
	if o.skip != "" || !strings.Contains(o.fatal, RequireDockerEnv+"=1") {
		t.Errorf("with %s=1: fatal %q, skip %q; want a failure", RequireDockerEnv, o.fatal, o.skip)
	}

	o = &outcomeTB{TB: t}
	requireDocker(o, nil)
	if o.skip != "" || o.fatal != "" {
		t.Errorf("with an engine: fatal %q, skip %q; want neither", o.fatal, o.skip)
	}
}
