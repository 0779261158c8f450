package htmlsel

import (
	"strings"
	"testing"
)

func TestFirstNameLooksInTheSelectedElement(t *testing.T) {
	const page = `<!doctype html><html><body>
<label id="first-name-label">Name: Alice</label>
<h1 id="first-name" class="name big" data-test=first>Hello, <b>Alice</b>!</h1>
<p class="names">Bob</p>
<span data-role="user name">Carol</span>
</body></html>`
	for _, c := range []struct {
		sel, name string
		want      bool
	}{
		{"#first-name", "Alice", true},
		{"#first-name", "Hello, Alice", true},    // text across child elements
		{"h1#first-name", "Alice", true},         // tag#id
		{"p#first-name", "Alice", false},         // wrong tag
		{"#first-name-label", "Alice", true},     // the label is its own element
		{"#first-name", "Name", false},           // the label's text is not the h1's
		{"#first", "Alice", false},               // an id prefix is not the id
		{".name", "Alice", true},                 // one of several classes
		{".names", "Alice", false},               // another element's class
		{".nam", "Alice", false},                 // a class prefix is not the class
		{"[data-test=first]", "Alice", true},     // unquoted attribute value
		{`h1[data-test="first"]`, "Alice", true}, // tag and quoted value
		{`[data-role='user name']`, "Carol", true},
		{"[data-test=fir]", "Alice", false},
		{"#missing", "Alice", false},
		{"h1", "Alice", true}, // a tag alone
	} {
		got, detail := TextContains([]byte(page), c.sel, c.name)
		if got != c.want {
			t.Errorf("TextContains(%q, %q) = %v (%s), want %v", c.sel, c.name, got, detail, c.want)
		}
	}
}

func TestFirstNameUnknownSelectorSaysItFellBack(t *testing.T) {
	got, detail := TextContains([]byte(`<div><p>Alice</p></div>`), "div > p", "Alice")
	if !got || !strings.Contains(detail, "only checked that the page contains") {
		t.Errorf("TextContains with a child combinator = %v, %q; want true and a note about the fallback", got, detail)
	}
	got, detail = TextContains([]byte(`<div><p>Bob</p></div>`), "div > p", "Alice")
	if got || !strings.Contains(detail, "div > p") {
		t.Errorf("TextContains without the name = %v, %q; want false naming the selector", got, detail)
	}
}
