package target

import (
	"bytes"
	"sync"
)

// transcriptKeep bounds what a Transcript holds: past it, the oldest
// output goes, and Dropped says how much.
const transcriptKeep = 64 << 20

// Transcript is everything a target wrote to its stdout and stderr while
// the suite ran it, across restarts, for the scan of P8.10 (no issued token
// in the target's own output). It is safe for concurrent use.
type Transcript struct {
	mu      sync.Mutex
	buf     []byte
	dropped int
}

// Write keeps p.
func (t *Transcript) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - transcriptKeep; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.dropped += over
	}
	return len(p), nil
}

// Since returns the complete lines written from byte pos on (pos counts
// every byte ever written; 0 is the start), and the position after them:
// a line still being written waits for its newline. Bytes let go past
// the bound are skipped.
func (t *Transcript) Since(pos int) (text string, next int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	start := max(pos-t.dropped, 0)
	if start > len(t.buf) {
		start = len(t.buf)
	}
	end := bytes.LastIndexByte(t.buf[start:], '\n')
	if end < 0 {
		return "", t.dropped + start
	}
	return string(bytes.ToValidUTF8(t.buf[start:start+end+1], nil)), t.dropped + start + end + 1
}

// Dropped is how many of the oldest bytes were let go past the bound.
func (t *Transcript) Dropped() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dropped
}

// Transcribed is a target whose output the suite keeps: a Process, a
// Container. A target given by URL is none: the suite cannot read its
// output.
type Transcribed interface {
	Transcript() *Transcript
}
