// Package htmlsel finds what a browser's document.querySelector would find
// in a server-rendered page, for the small subset of CSS selectors that
// profiles use: an optional tag with one #id, .class or [attr=value] part,
// or a tag alone. The proxy suite checks a page's first name this way
// (P2.1) without a browser: it parses the page and reads the matching
// element's text, not the raw bytes, so markup inside the element,
// attributes that merely start with the id, and names elsewhere on the page
// neither hide nor fake what it looks for.
package htmlsel

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// selector is a parsed selector of the subset.
type selector struct {
	tag, attr, value string
	class            bool // value is one of the class attribute's words
}

var selectorRE = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9-]*)?` +
	`(?:#([A-Za-z0-9_-]+)|\.([A-Za-z0-9_-]+)|\[\s*([A-Za-z_:][A-Za-z0-9_:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\]"'\s]+))\s*\])?$`)

// parse parses a selector, ok false for syntax outside the subset.
func parse(sel string) (selector, bool) {
	sel = strings.TrimSpace(sel)
	m := selectorRE.FindStringSubmatch(sel)
	if sel == "" || m == nil {
		return selector{}, false
	}
	s := selector{tag: strings.ToLower(m[1])}
	switch {
	case m[2] != "":
		s.attr, s.value = "id", m[2]
	case m[3] != "":
		s.attr, s.value, s.class = "class", m[3], true
	case m[4] != "":
		s.attr, s.value = strings.ToLower(m[4]), m[5]+m[6]+m[7]
	}
	return s, true
}

func (s selector) matches(n *html.Node) bool {
	if n.Type != html.ElementNode || (s.tag != "" && n.Data != s.tag) {
		return false
	}
	if s.attr == "" {
		return true
	}
	for _, a := range n.Attr {
		if a.Namespace != "" || a.Key != s.attr {
			continue
		}
		if s.class {
			return slices.Contains(strings.Fields(a.Val), s.value)
		}
		return a.Val == s.value
	}
	return false
}

// TextContains reports whether the text of the first element of page that
// selector matches contains want, and says what it found, for a failure
// message. A selector outside the subset falls back to "the page contains
// want anywhere", and the detail says so.
func TextContains(page []byte, selector, want string) (ok bool, detail string) {
	sel, understood := parse(selector)
	if !understood {
		return bytes.Contains(page, []byte(want)), fmt.Sprintf(
			"the selector %q is outside the subset the suite parses (#id, tag#id, .class, [attr=value], tag[attr=value]), so only checked that the page contains %q anywhere",
			selector, want)
	}
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return false, fmt.Sprintf("the page does not parse as HTML: %v", err)
	}
	el := first(doc, sel)
	if el == nil {
		return false, fmt.Sprintf("no element matches %s", selector)
	}
	text := textOf(el)
	return strings.Contains(text, want), fmt.Sprintf("the text of %s is %.200q", selector, text)
}

// first returns the first element under n, in document order, that sel matches.
func first(n *html.Node, sel selector) *html.Node {
	for c := range n.Descendants() {
		if sel.matches(c) {
			return c
		}
	}
	return nil
}

// textOf is an element's text content: all its descendant text, in order.
func textOf(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}
