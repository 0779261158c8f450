package mutant

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Patch is a unified diff (diff -u, git diff) of one or more files.
type Patch struct {
	Name  string // names the patch in errors, such as its file name
	Files []FileDiff
}

// FileDiff is the change to one file.
type FileDiff struct {
	OldPath string // "" when the file is created (--- /dev/null)
	NewPath string // "" when the file is deleted (+++ /dev/null)
	Hunks   []Hunk
}

// Path is the file the diff changes, relative to the tree it applies to.
func (f FileDiff) Path() string {
	if f.NewPath != "" {
		return f.NewPath
	}
	return f.OldPath
}

// Hunk is one @@ section: lines of context (' '), removed ('-') and added
// ('+'), each kept with its prefix.
type Hunk struct {
	OldStart, OldLines int
	NewStart, NewLines int
	Lines              []string
	// Line is where the hunk's @@ line is in the patch, for errors.
	Line int
	// NoNewlineAtEnd says the new side's last line has no newline
	// ("\ No newline at end of file" after it).
	NoNewlineAtEnd bool
}

// Header is the hunk's @@ line, as errors show it.
func (h Hunk) Header() string {
	return fmt.Sprintf("@@ -%d,%d +%d,%d @@", h.OldStart, h.OldLines, h.NewStart, h.NewLines)
}

// old is what the hunk expects to find: its context and removed lines.
func (h Hunk) old() []string { return h.side('-') }

// new is what the hunk leaves: its context and added lines.
func (h Hunk) new() []string { return h.side('+') }

func (h Hunk) side(keep byte) []string {
	var out []string
	for _, l := range h.Lines {
		if l[0] == ' ' || l[0] == keep {
			out = append(out, l[1:])
		}
	}
	return out
}

var hunkHeader = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@`)

// ParsePatch reads the unified diff in data. Lines before the first "--- "
// are the patch's preamble, returned as they are (a mutant's header lives
// there); git's "diff --git", "index" and file-mode lines between files are
// skipped. Anything else outside a hunk is an error, since it is most often a
// hunk whose line counts are wrong.
func ParsePatch(name string, data []byte) (*Patch, []string, error) {
	p := &Patch{Name: name}
	lines := strings.Split(strings.TrimSuffix(string(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))), "\n"), "\n")
	fail := func(i int, format string, args ...any) error {
		return fmt.Errorf("mutant: %s: line %d: %s", name, i+1, fmt.Sprintf(format, args...))
	}

	i := 0
	var preamble []string
	for ; i < len(lines) && !strings.HasPrefix(lines[i], "--- "); i++ {
		if strings.HasPrefix(lines[i], "@@ ") || strings.HasPrefix(lines[i], "+++ ") {
			return nil, nil, fail(i, "%q before any \"--- \" file line", lines[i])
		}
		preamble = append(preamble, lines[i])
	}
	// git's lines that announce the next file belong to it, not the preamble.
	for len(preamble) > 0 && isGitFileLine(preamble[len(preamble)-1]) {
		preamble = preamble[:len(preamble)-1]
	}

	for i < len(lines) {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "--- "):
			if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "+++ ") {
				return nil, nil, fail(i, "a \"--- \" line without a \"+++ \" line after it")
			}
			oldPath, err := diffPath(lines[i][4:], "a/")
			if err != nil {
				return nil, nil, fail(i, "%v", err)
			}
			newPath, err := diffPath(lines[i+1][4:], "b/")
			if err != nil {
				return nil, nil, fail(i+1, "%v", err)
			}
			if oldPath == "" && newPath == "" {
				return nil, nil, fail(i, "both sides are /dev/null")
			}
			if oldPath != "" && newPath != "" && oldPath != newPath {
				return nil, nil, fail(i, "renames are not supported (%s to %s)", oldPath, newPath)
			}
			p.Files = append(p.Files, FileDiff{OldPath: oldPath, NewPath: newPath})
			i += 2
		case strings.HasPrefix(line, "@@"):
			if len(p.Files) == 0 {
				return nil, nil, fail(i, "a hunk before any file")
			}
			h, next, err := parseHunk(lines, i)
			if err != nil {
				return nil, nil, fmt.Errorf("mutant: %s: %w", name, err)
			}
			f := &p.Files[len(p.Files)-1]
			f.Hunks = append(f.Hunks, h)
			i = next
		case isGitFileLine(line) || (strings.TrimSpace(line) == "" && i == len(lines)-1):
			i++
		default:
			return nil, nil, fail(i, "%q is outside any hunk (are the hunk's line counts right?)", line)
		}
	}
	if len(p.Files) == 0 {
		return nil, nil, fmt.Errorf("mutant: %s: no \"--- \"/\"+++ \" file lines: not a unified diff", name)
	}
	for _, f := range p.Files {
		if len(f.Hunks) == 0 {
			return nil, nil, fmt.Errorf("mutant: %s: %s has no hunk", name, f.Path())
		}
	}
	return p, preamble, nil
}

func isGitFileLine(l string) bool {
	for _, p := range []string{"diff --git ", "index ", "new file mode ", "deleted file mode ", "old mode ", "new mode "} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// diffPath reads the path of a ---/+++ line: without its a/ or b/ prefix
// and the timestamp diff puts after a tab; "" for /dev/null. The path must
// stay inside the tree the patch applies to.
func diffPath(field, prefix string) (string, error) {
	p, _, _ := strings.Cut(field, "\t")
	p = strings.TrimSpace(p)
	if p == "/dev/null" {
		return "", nil
	}
	p = strings.TrimPrefix(p, prefix)
	if p == "" || path.IsAbs(p) || p != path.Clean(p) || p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("path %q: want a clean relative path such as %sinternal/reference/fetch.go", field, prefix)
	}
	return p, nil
}

// parseHunk reads the hunk whose @@ line is lines[at], and returns it with
// the index of the line after it.
func parseHunk(lines []string, at int) (Hunk, int, error) {
	m := hunkHeader.FindStringSubmatch(lines[at])
	if m == nil {
		return Hunk{}, 0, fmt.Errorf("line %d: %q is not a hunk header (@@ -l,s +l,s @@)", at+1, lines[at])
	}
	num := func(s string) int {
		if s == "" {
			return 1 // "@@ -3 +3 @@": one line
		}
		n, _ := strconv.Atoi(s) // the pattern allows digits only
		return n
	}
	h := Hunk{OldStart: num(m[1]), OldLines: num(m[2]), NewStart: num(m[3]), NewLines: num(m[4]), Line: at + 1}
	oldSeen, newSeen := 0, 0
	i := at + 1
	for ; i < len(lines) && (oldSeen < h.OldLines || newSeen < h.NewLines); i++ {
		l := lines[i]
		if l == "" {
			l = " " // an editor stripped the blank context line's space
		}
		switch l[0] {
		case ' ':
			oldSeen++
			newSeen++
		case '-':
			oldSeen++
		case '+':
			newSeen++
		case '\\':
			continue // "\ No newline at end of file" of the old side
		default:
			return Hunk{}, 0, fmt.Errorf("hunk %s at line %d: line %d %q ends it after %d of %d old and %d of %d new lines",
				h.Header(), h.Line, i+1, l, oldSeen, h.OldLines, newSeen, h.NewLines)
		}
		h.Lines = append(h.Lines, l)
	}
	if oldSeen != h.OldLines || newSeen != h.NewLines {
		return Hunk{}, 0, fmt.Errorf("hunk %s at line %d: the patch ends after %d of %d old and %d of %d new lines",
			h.Header(), h.Line, oldSeen, h.OldLines, newSeen, h.NewLines)
	}
	if i < len(lines) && strings.HasPrefix(lines[i], `\`) {
		if last := h.Lines[len(h.Lines)-1]; last[0] != '-' {
			h.NoNewlineAtEnd = true
		}
		i++
	}
	return h, i, nil
}
