package spec

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// P2.1 asks for the user's first name in the element the profile's
// first_name selector names, as a browser would find it with
// document.querySelector. pxFirstName parses the page and looks at that
// element's text (all descendant text), not at the raw bytes, so markup
// inside the element, attributes that merely start with the id, and names
// elsewhere on the page neither hide nor fake the name.

// pxSelector is the small subset of CSS selectors the suite understands:
// an optional tag with one #id, .class or [attr=value] part, or a tag alone.
type pxSelector struct {
	tag, attr, value string
	class            bool // value is one of the class attribute's words
}

var pxSelectorRE = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9-]*)?` +
	`(?:#([A-Za-z0-9_-]+)|\.([A-Za-z0-9_-]+)|\[\s*([A-Za-z_:][A-Za-z0-9_:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\]"'\s]+))\s*\])?$`)

// pxParseSelector parses a selector, ok false for syntax outside the subset.
func pxParseSelector(sel string) (pxSelector, bool) {
	sel = strings.TrimSpace(sel)
	m := pxSelectorRE.FindStringSubmatch(sel)
	if sel == "" || m == nil {
		return pxSelector{}, false
	}
	s := pxSelector{tag: strings.ToLower(m[1])}
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

func (s pxSelector) matches(n *html.Node) bool {
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

// pxFirstName reports whether an HTML page shows name in the first element
// the selector matches, and says what it found for a failure message. A
// selector outside the understood subset falls back to "the page contains
// the name", and the detail says so.
func pxFirstName(body []byte, selector, name string) (ok bool, detail string) {
	sel, understood := pxParseSelector(selector)
	if !understood {
		return bytes.Contains(body, []byte(name)), fmt.Sprintf(
			"the selector %q is outside the subset the suite parses (#id, tag#id, .class, [attr=value], tag[attr=value]), so only checked that the page contains %q anywhere",
			selector, name)
	}
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return false, fmt.Sprintf("the page does not parse as HTML: %v", err)
	}
	el := pxFind(doc, sel)
	if el == nil {
		return false, fmt.Sprintf("no element matches %s", selector)
	}
	text := pxText(el)
	return strings.Contains(text, name), fmt.Sprintf("the text of %s is %.200q", selector, text)
}

// pxFind returns the first element under n, in document order, that sel matches.
func pxFind(n *html.Node, sel pxSelector) *html.Node {
	for c := range n.Descendants() {
		if sel.matches(c) {
			return c
		}
	}
	return nil
}

// pxText is an element's text content: all its descendant text, in order.
func pxText(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}
