package target

import "testing"

// Since hands out complete lines only, each once, and skips what the bound
// let go.
func TestTranscriptSince(t *testing.T) {
	var tr Transcript
	_, _ = tr.Write([]byte("one\ntw"))
	text, pos := tr.Since(0)
	if text != "one\n" || pos != 4 {
		t.Fatalf("Since(0) = %q, %d; want %q, 4", text, pos, "one\n")
	}
	if text, next := tr.Since(pos); text != "" || next != pos {
		t.Fatalf("Since(%d) before the newline = %q, %d; want nothing, %d", pos, text, next, pos)
	}
	_, _ = tr.Write([]byte("o\nthree\n"))
	if text, next := tr.Since(pos); text != "two\nthree\n" || next != 14 {
		t.Fatalf("Since(%d) = %q, %d; want %q, 14", pos, text, next, "two\nthree\n")
	}
	tr.dropped, tr.buf = 100, []byte("late\n") // as if 100 bytes had gone past the bound
	if text, next := tr.Since(14); text != "late\n" || next != 105 {
		t.Fatalf("Since(14) after a drop = %q, %d; want %q, 105", text, next, "late\n")
	}
}
