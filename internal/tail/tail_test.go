package tail

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestKeepsTheEnd(t *testing.T) {
	b := New(10)
	fmt.Fprint(b, "0123456789")
	fmt.Fprint(b, "abc")
	if got := b.String(); got != "3456789abc" {
		t.Errorf("String() = %q, want the last 10 bytes %q", got, "3456789abc")
	}
}

func TestLastLines(t *testing.T) {
	b := New(1 << 10)
	fmt.Fprint(b, "one\ntwo\nthree\nfour\n")
	if got := strings.Join(b.LastLines(2), "|"); got != "three|four" {
		t.Errorf("LastLines(2) = %q", got)
	}
	if got := New(10).LastLines(3); got != nil {
		t.Errorf("LastLines of nothing = %q, want nil", got)
	}
}

func TestValidUTF8AfterACut(t *testing.T) {
	b := New(3)
	fmt.Fprint(b, "aé€") // the cut falls inside a character
	for _, r := range b.String() {
		if r == '\uFFFD' {
			t.Fatalf("String() = %q has a replacement character; the broken bytes should be dropped", b.String())
		}
	}
}

func TestConcurrentWrites(t *testing.T) {
	b := New(64)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				fmt.Fprint(b, "line\n")
			}
		}()
	}
	wg.Wait()
	if len(b.String()) != 64 {
		t.Errorf("kept %d bytes, want 64", len(b.String()))
	}
}
