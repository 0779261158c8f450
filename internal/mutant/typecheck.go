package mutant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// TypeCheck type-checks the packages that m's patch changes, with the patch
// applied, in this process: the quick way to learn that a patch still makes
// sense of the current reference. It reads the imports' export data, which
// one go list per tree and package set builds once and shares with every
// later call; a go build per patch would compile the whole package again
// each time, which on two busy cores took minutes for the whole set. What it
// does not do is link: Build does, for the mutation tests that run a patch.
func TypeCheck(ctx context.Context, root string, m *Mutant) error {
	files, err := m.Patch.Apply(root)
	if err != nil {
		return err
	}
	byDir := map[string]bool{}
	for rel := range files {
		byDir["./"+filepath.ToSlash(filepath.Dir(filepath.FromSlash(rel)))] = true
	}
	for dir := range byDir {
		info, err := loadPackage(ctx, root, dir)
		if err != nil {
			return fmt.Errorf("mutant: %s: %w", m.Name, err)
		}
		if err := info.check(ctx, root, files); err != nil {
			return fmt.Errorf("mutant: %s: %w", m.Name, err)
		}
	}
	return nil
}

// listedPackage is what go list says of a package the patches change: its
// files, and the export data of everything it imports.
type listedPackage struct {
	importPath string
	dir        string   // relative to the tree's root, slash-separated
	goFiles    []string // the files a build compiles, by name
	exports    map[string]string
}

// listed caches go list's answers by tree and package.
var listed sync.Map // string -> *listOnce

type listOnce struct {
	once sync.Once
	pkg  *listedPackage
	err  error
}

func loadPackage(ctx context.Context, root, dir string) (*listedPackage, error) {
	v, _ := listed.LoadOrStore(root+"\x00"+dir, &listOnce{})
	l := v.(*listOnce)
	l.once.Do(func() { l.pkg, l.err = goList(ctx, root, dir) })
	return l.pkg, l.err
}

// goList runs go list -deps -export on dir, which compiles its imports into
// the build cache (once: later runs find them there).
func goList(ctx context.Context, root, dir string) (*listedPackage, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", "-export", "-json=ImportPath,Dir,GoFiles,Export", dir)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -export %s: %w\n%s", dir, err, stderr.String())
	}
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	want := filepath.Join(absRoot, filepath.FromSlash(dir))
	pkg := &listedPackage{dir: strings.TrimPrefix(dir, "./"), exports: map[string]string{}}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath, Dir, Export string
			GoFiles                 []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list -export %s: %w", dir, err)
		}
		pkg.exports[p.ImportPath] = p.Export
		if p.Dir == want || p.ImportPath == dir {
			pkg.importPath, pkg.goFiles = p.ImportPath, p.GoFiles
		}
	}
	if pkg.importPath == "" {
		return nil, fmt.Errorf("go list -export %s: the package itself is not in the answer", dir)
	}
	return pkg, nil
}

// check type-checks the package with patched (contents by path relative to
// the root; nil deletes) in place of its files.
func (p *listedPackage) check(ctx context.Context, root string, patched map[string][]byte) error {
	names := slices.Clone(p.goFiles)
	for rel, content := range patched {
		dir, name := filepath.Split(filepath.FromSlash(rel))
		if filepath.ToSlash(filepath.Clean(dir)) == p.dir && content != nil && strings.HasSuffix(name, ".go") &&
			!strings.HasSuffix(name, "_test.go") && !slices.Contains(names, name) {
			names = append(names, name) // a file the patch adds
		}
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		rel := p.dir + "/" + name
		src, ok := patched[rel]
		if ok && src == nil {
			continue // the patch deletes it
		}
		if !ok {
			var err error
			if src, err = os.ReadFile(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
				return err
			}
		}
		f, err := parser.ParseFile(fset, rel, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	conf := types.Config{Importer: importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		export, ok := p.exports[path]
		if !ok {
			// An import the patch adds: go list it on its own.
			dep, err := loadPackage(ctx, root, path)
			if err != nil {
				return nil, err
			}
			export = dep.exports[path]
		}
		if export == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(export)
	})}
	var errs []error
	conf.Error = func(err error) { errs = append(errs, err) }
	_, _ = conf.Check(p.importPath, fset, files, nil)
	return errors.Join(errs...)
}
