package mutant

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Apply applies the patch to the files of the tree at root, which it only
// reads, and returns the changed files' new contents by their slash-separated
// path relative to root (nil for a deleted file).
//
// Each hunk is located by its context and removed lines, searched outward
// from the line its header names (shifted by where the file's previous hunk
// landed), so that a change elsewhere in the file does not break the patch;
// the lines themselves must match exactly. A hunk that is not found is an
// error naming the patch, the file and the hunk.
func (p *Patch) Apply(root string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(p.Files))
	for _, f := range p.Files {
		name := f.Path()
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("mutant: %s: %s is patched twice", p.Name, name)
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		switch {
		case f.OldPath == "" && err == nil:
			return nil, fmt.Errorf("mutant: %s: %s is created by the patch but already exists", p.Name, name)
		case f.OldPath == "" && errors.Is(err, fs.ErrNotExist):
			src = nil
		case err != nil:
			return nil, fmt.Errorf("mutant: %s: %w", p.Name, err)
		}
		res, err := applyHunks(src, f.Hunks)
		if err != nil {
			return nil, fmt.Errorf("mutant: %s: %s: %w", p.Name, name, err)
		}
		if f.NewPath == "" {
			if len(res) != 0 {
				return nil, fmt.Errorf("mutant: %s: %s is deleted by the patch but its hunks leave %d bytes", p.Name, name, len(res))
			}
			res = nil
		}
		out[name] = res
	}
	return out, nil
}

// applyHunks applies hunks, in order and without overlap, to src.
func applyHunks(src []byte, hunks []Hunk) ([]byte, error) {
	text := string(src)
	endsWithNewline := text == "" || strings.HasSuffix(text, "\n")
	var lines []string
	if text != "" {
		lines = strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	}

	var out []string
	pos, offset := 0, 0 // pos: the first line no hunk has used yet
	for i, h := range hunks {
		old := h.old()
		// The header names the first old line (1-based); a hunk with no
		// old lines inserts after the line it names.
		want := h.OldStart - 1 + offset
		if len(old) == 0 {
			want = h.OldStart + offset
		}
		at, ok := locate(lines, old, pos, want)
		if !ok {
			return nil, fmt.Errorf("hunk %d (%s, patch line %d) does not apply: its %d context and removed lines are not in the file after line %d%s",
				i+1, h.Header(), h.Line, len(old), pos, firstLine(old))
		}
		out = append(out, lines[pos:at]...)
		out = append(out, h.new()...)
		pos = at + len(old)
		offset = at - want + offset
		if pos == len(lines) {
			endsWithNewline = !h.NoNewlineAtEnd
		}
	}
	out = append(out, lines[pos:]...)
	if len(out) == 0 {
		return []byte{}, nil
	}
	res := strings.Join(out, "\n")
	if endsWithNewline {
		res += "\n"
	}
	return []byte(res), nil
}

// locate finds old in lines at or after from, at the position nearest to
// want (the earlier one of two as near).
func locate(lines, old []string, from, want int) (int, bool) {
	last := len(lines) - len(old) // the last position old fits at
	if last < from {
		return 0, false
	}
	want = min(max(want, from), last)
	for d := 0; want-d >= from || want+d <= last; d++ {
		if p := want - d; p >= from && matchAt(lines, old, p) {
			return p, true
		}
		if p := want + d; d > 0 && p <= last && matchAt(lines, old, p) {
			return p, true
		}
	}
	return 0, false
}

func matchAt(lines, old []string, at int) bool {
	for i, l := range old {
		if lines[at+i] != l {
			return false
		}
	}
	return true
}

// firstLine quotes the first line a hunk looks for, to help find where it
// went.
func firstLine(old []string) string {
	for _, l := range old {
		if strings.TrimSpace(l) != "" {
			return fmt.Sprintf(" (the first is %q)", strings.TrimSpace(l))
		}
	}
	return ""
}
