package mutant

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
)

// ReferenceCommand is the package a mutant is usually built as: the
// reference proxy's command.
const ReferenceCommand = "./cmd/reference"

// builds caches the binaries built in this process by what went into them,
// so that several suites (or subtests) asking for one mutant share one build.
var builds = struct {
	mu sync.Mutex // guards byKey
	// byKey maps a build's key to the build; a failed build is dropped,
	// so that a later call tries again.
	byKey map[[32]byte]*build
}{byKey: map[[32]byte]*build{}}

type build struct {
	done chan struct{} // closed when path and err are set
	path string
	err  error
}

// Build builds pkg (a package path such as ReferenceCommand, relative to
// root) of the module at root with m's patch applied, into dir, and returns
// the binary's path. The tree is never modified: the patched files are
// written to a temporary directory and replace the originals in the build
// only (go build -overlay). The build is static (CGO_ENABLED=0) and
// stripped.
//
// A build is cached in this process by the patched files' content and pkg:
// asking again returns the same binary while it exists, even from another
// dir.
func Build(ctx context.Context, root, pkg string, m *Mutant, dir string) (string, error) {
	files, err := m.Patch.Apply(root)
	if err != nil {
		return "", err
	}
	key := buildKey(root, pkg, files)
	for {
		builds.mu.Lock()
		b, ok := builds.byKey[key]
		if !ok {
			b = &build{done: make(chan struct{})}
			builds.byKey[key] = b
			builds.mu.Unlock()
			b.path, b.err = overlayBuild(ctx, root, pkg, m.Name, files, dir)
			if b.err != nil {
				builds.mu.Lock()
				delete(builds.byKey, key)
				builds.mu.Unlock()
			}
			close(b.done)
			return b.path, b.err
		}
		builds.mu.Unlock()
		select {
		case <-b.done:
		case <-ctx.Done():
			return "", fmt.Errorf("mutant: waiting for the build of %s: %w", m.Name, ctx.Err())
		}
		if b.err == nil {
			if _, err := os.Stat(b.path); err == nil {
				return b.path, nil
			}
			// Its directory is gone (a finished test's): build again.
			builds.mu.Lock()
			if builds.byKey[key] == b {
				delete(builds.byKey, key)
			}
			builds.mu.Unlock()
		}
		// A failed build was dropped from the cache; the loop tries again
		// under this caller's context.
	}
}

func buildKey(root, pkg string, files map[string][]byte) [32]byte {
	h := sha256.New()
	for _, s := range []string{root, pkg} {
		fmt.Fprintf(h, "%d:%s\n", len(s), s)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(h, "%d:%s\n%d:", len(n), n, len(files[n]))
		h.Write(files[n])
	}
	var key [32]byte
	h.Sum(key[:0])
	return key
}

// overlayBuild runs go build with files (new contents by path relative to
// root; nil deletes) in an overlay.
func overlayBuild(ctx context.Context, root, pkg, name string, files map[string][]byte, dir string) (string, error) {
	tmp, err := os.MkdirTemp(dir, "overlay-"+name+"-")
	if err != nil {
		return "", fmt.Errorf("mutant: %s: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	overlayFile, err := writeOverlay(root, name, files, tmp)
	if err != nil {
		return "", err
	}
	bin, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		return "", fmt.Errorf("mutant: %s: %w", name, err)
	}
	// No symbol table or DWARF (-s -w): a third less link time, and a panic
	// still prints its stack.
	cmd := exec.CommandContext(ctx, "go", "build", "-overlay", overlayFile, "-ldflags=-s -w", "-o", bin, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("mutant: building %s (go build -overlay %s): %w\n%s", name, pkg, err, out)
	}
	return bin, nil
}

// writeOverlay writes files (new contents by path relative to root; nil
// deletes) into tmp with the overlay file that go build -overlay reads, and
// returns that file's path.
func writeOverlay(root, name string, files map[string][]byte, tmp string) (string, error) {
	overlay := struct{ Replace map[string]string }{Replace: map[string]string{}}
	i := 0
	for rel, content := range files {
		orig, err := filepath.Abs(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return "", fmt.Errorf("mutant: %s: %w", name, err)
		}
		if content == nil {
			overlay.Replace[orig] = "" // deleted in the build
			continue
		}
		i++
		patched := filepath.Join(tmp, strconv.Itoa(i)+"-"+filepath.Base(rel))
		if err := os.WriteFile(patched, content, 0o644); err != nil {
			return "", fmt.Errorf("mutant: %s: %w", name, err)
		}
		overlay.Replace[orig] = patched
	}
	spec, err := json.Marshal(overlay)
	if err != nil {
		return "", fmt.Errorf("mutant: %s: %w", name, err)
	}
	overlayFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlayFile, spec, 0o644); err != nil {
		return "", fmt.Errorf("mutant: %s: %w", name, err)
	}
	return overlayFile, nil
}

// Builds are mutant builds running ahead of their use, such as the child
// runs of a mutation test: each run waits for its own binary only.
type Builds struct {
	byName map[string]*build
}

// Prebuild starts building ms as Build does, at most parallel at a time,
// in their order, and returns at once. Every build ends by itself (or
// with ctx); Wait returns one's result.
func Prebuild(ctx context.Context, root, pkg string, ms []*Mutant, dir string, parallel int) *Builds {
	bs := &Builds{byName: make(map[string]*build, len(ms))}
	queue := make(chan *Mutant, len(ms))
	for _, m := range ms {
		bs.byName[m.Name] = &build{done: make(chan struct{})}
		queue <- m
	}
	close(queue)
	for range max(parallel, 1) {
		go func() {
			for m := range queue {
				b := bs.byName[m.Name]
				b.path, b.err = Build(ctx, root, pkg, m, dir)
				close(b.done)
			}
		}()
	}
	return bs
}

// Wait returns the binary of m, once its build has ended.
func (bs *Builds) Wait(ctx context.Context, m *Mutant) (string, error) {
	b, ok := bs.byName[m.Name]
	if !ok {
		return "", errors.New("mutant: " + m.Name + " was not among the mutants prebuilt")
	}
	select {
	case <-b.done:
		return b.path, b.err
	case <-ctx.Done():
		return "", fmt.Errorf("mutant: waiting for the build of %s: %w", m.Name, ctx.Err())
	}
}
