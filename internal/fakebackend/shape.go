package fakebackend

import (
	"encoding/json"
	"strconv"
	"strings"
)

// shape is the layout of one kind of answer (a token answer, the user, an
// error), compiled from the mapping's dotted paths when the server starts:
// a tree of objects whose leaves are numbered slots. Rendering fills the
// slots in one pass with no reflection, so that any mapping answers as fast
// as the fixed structs of contract.md §1 did, and keys keep the order they
// were added in, so answers read the same whatever the mapping.
type shape struct{ root node }

type node struct {
	key      string
	slot     int // a leaf's slot; -1 for an object
	children []*node
}

// kind says what a slot holds; the zero value is absent, and an absent
// leaf is left out, as is an object with nothing present under it.
type kind uint8

const (
	kindAbsent kind = iota
	kindText
	kindNumber
	kindBool
	kindEmptyObject
)

// value is one slot's content: no interface, so filling slots allocates nothing.
type value struct {
	kind kind
	s    string
	n    int64
}

func textValue(s string) value { return value{kind: kindText, s: s} }
func numberValue(n int) value  { return value{kind: kindNumber, n: int64(n)} }

func boolValue(b bool) value {
	v := value{kind: kindBool}
	if b {
		v.n = 1
	}
	return v
}

func (v value) present() bool { return v.kind != kindAbsent }

// add places slot at the dotted path. Paths were checked by
// dialect.Mapping.Validate: none is inside another.
func (sh *shape) add(path string, slot int) {
	n := &sh.root
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		n = n.child(k)
	}
	n.children = append(n.children, &node{key: keys[len(keys)-1], slot: slot})
}

func (n *node) child(key string) *node {
	for _, c := range n.children {
		if c.key == key && c.slot < 0 {
			return c
		}
	}
	c := &node{key: key, slot: -1}
	n.children = append(n.children, c)
	return c
}

// render appends the answer as JSON, with a newline as encoding/json's
// Encoder writes it.
func (sh *shape) render(b []byte, vals []value) []byte {
	b = sh.root.appendObject(b, vals)
	return append(b, '\n')
}

func (n *node) any(vals []value) bool {
	if n.slot >= 0 {
		return vals[n.slot].present()
	}
	for _, c := range n.children {
		if c.any(vals) {
			return true
		}
	}
	return false
}

func (n *node) appendObject(b []byte, vals []value) []byte {
	b = append(b, '{')
	first := true
	for _, c := range n.children {
		if !c.any(vals) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, c.key)
		b = append(b, ':')
		if c.slot < 0 {
			b = c.appendObject(b, vals)
			continue
		}
		switch v := vals[c.slot]; v.kind {
		case kindText:
			b = appendString(b, v.s)
		case kindNumber:
			b = strconv.AppendInt(b, v.n, 10)
		case kindBool:
			b = strconv.AppendBool(b, v.n != 0)
		case kindEmptyObject:
			b = append(b, '{', '}')
		}
	}
	return append(b, '}')
}

// appendString appends s as a JSON string, escaped as encoding/json escapes
// it (HTML characters included). Tokens and codes take the fast path.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
