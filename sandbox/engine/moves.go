package engine

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// moveTable remembers why values were frozen, so that Starlark's bare
// "cannot append to frozen list" can name the thread a list was moved
// into. Starlark's error does not say which list it was, so the table is
// consulted twice: by identity of the value (byVal) and by the variable
// names the value had where it was moved (byName), matched against the
// names on the failing line. Guarded by run.mu.
type moveTable struct {
	byVal   map[starlark.Value]string // *List, *Dict, *Set -> reason
	byName  map[string]string         // variable name -> reason
	globals starlark.StringDict
}

const globalReason = "defined at the top level of the script"

// needsFreeze reports whether v may hold a mutable container.
func needsFreeze(v starlark.Value) bool {
	switch v.(type) {
	case *starlark.List, *starlark.Dict, *starlark.Set, starlark.Tuple, *starlark.Function:
		return true
	}
	return false
}

// move freezes what spawn hands to a new thread: the function (with the
// variables it captures) and the arguments, remembering their names at
// the call site.
func (m *moveTable) move(sc *script, th *starlark.Thread, fn starlark.Callable, args starlark.Tuple, reason string) {
	if th.CallStackDepth() >= 2 {
		if ce := sc.calls[keyOf(th.CallFrame(1).Pos)]; ce != nil {
			i := 0
			for _, a := range ce.Args {
				if b, ok := a.(*syntax.BinaryExpr); ok && b.Op == syntax.EQ {
					continue // name = ...
				}
				if u, ok := a.(*syntax.UnaryExpr); ok && (u.Op == syntax.STAR || u.Op == syntax.STARSTAR) {
					break // *args: positions no longer line up
				}
				if id, ok := a.(*syntax.Ident); ok && i >= 1 && i-1 < len(args) {
					m.name(id.Name, args[i-1], reason)
				}
				i++
			}
		}
	}
	if f, ok := fn.(*starlark.Function); ok {
		for i := range f.NumFreeVars() {
			b, v := f.FreeVar(i)
			m.name(b.Name, v, reason)
		}
	}
	m.note(fn, reason)
	for _, a := range args {
		m.note(a, reason)
	}
}

func (m *moveTable) name(n string, v starlark.Value, reason string) {
	if v == nil || !needsFreeze(v) {
		return
	}
	if m.byName == nil {
		m.byName = map[string]string{}
	}
	if _, ok := m.byName[n]; !ok {
		m.byName[n] = reason
	}
}

// note records every mutable container reachable from v, then freezes v.
func (m *moveTable) note(v starlark.Value, reason string) {
	if v == nil || !needsFreeze(v) {
		return
	}
	if m.byVal == nil {
		m.byVal = map[starlark.Value]string{}
	}
	m.walk(v, reason, 0)
	freeze(v)
}

func (m *moveTable) walk(v starlark.Value, reason string, depth int) {
	if depth > 64 {
		return
	}
	switch x := v.(type) {
	case *starlark.List:
		if _, seen := m.byVal[x]; seen {
			return
		}
		m.byVal[x] = reason
		for i := range x.Len() {
			m.walk(x.Index(i), reason, depth+1)
		}
	case *starlark.Dict:
		if _, seen := m.byVal[x]; seen {
			return
		}
		m.byVal[x] = reason
		for _, kv := range x.Items() {
			m.walk(kv[1], reason, depth+1)
		}
	case *starlark.Set:
		if _, seen := m.byVal[x]; seen {
			return
		}
		m.byVal[x] = reason
	case starlark.Tuple:
		for _, e := range x {
			m.walk(e, reason, depth+1)
		}
	case *starlark.Function:
		if _, seen := m.byVal[x]; seen {
			return
		}
		m.byVal[x] = reason
		for i := range x.NumFreeVars() {
			_, fv := x.FreeVar(i)
			if fv != nil {
				m.walk(fv, reason, depth+1)
			}
		}
		for i := range x.NumParams() {
			if d := x.ParamDefault(i); d != nil {
				m.walk(d, reason, depth+1)
			}
		}
	}
}

// noteGlobals records the module's values, which Starlark freezes once
// the script has loaded.
func (m *moveTable) noteGlobals(g starlark.StringDict) {
	m.globals = g
	if m.byVal == nil {
		m.byVal = map[starlark.Value]string{}
	}
	for _, v := range g {
		m.walk(v, globalReason, 0)
	}
}

// frozenMatch finds Starlark's "cannot VERB frozen list" or "... frozen
// hash table" in msg, as the regular expression
// `cannot (.+?) frozen (list|hash table)` would, without linking regexp
// into every process that links the engine.
func frozenMatch(msg string) (verb, typ string, ok bool) {
	for from := 0; ; {
		i := strings.Index(msg[from:], "cannot ")
		if i < 0 {
			return "", "", false
		}
		start := from + i + len("cannot ")
		for j := start + 1; j < len(msg) && msg[j-1] != '\n'; j++ {
			rest := msg[j:]
			switch {
			case strings.HasPrefix(rest, " frozen list"):
				return msg[start:j], "list", true
			case strings.HasPrefix(rest, " frozen hash table"):
				return msg[start:j], "hash table", true
			}
		}
		from = start
	}
}

// explain rewrites a frozen-value error: "cannot append to list: it was
// moved into thread worker-1 by spawn (like Rust's move); copy it first
// with list(x)".
func (m *moveTable) explain(sc *script, ee *starlark.EvalError) string {
	verb, found, ok := frozenMatch(ee.Msg)
	if !ok {
		return ee.Msg
	}
	typ := "list"
	if found == "hash table" {
		typ = "dict"
	}
	line, col := innermost(ee.CallStack)
	recv := ""
	if ce := sc.calls[posKey{int32(line), int32(col)}]; ce != nil {
		if d, ok := ce.Fn.(*syntax.DotExpr); ok {
			if id, ok := d.X.(*syntax.Ident); ok {
				recv = id.Name
			}
		}
	}
	reason := ""
	if recv != "" {
		reason = m.byName[recv]
	}
	if reason == "" {
		for _, id := range sc.idents[line] {
			if r, ok := m.byName[id.Name]; ok {
				recv, reason = id.Name, r
				break
			}
		}
	}
	if reason == "" && recv != "" {
		if _, ok := m.globals[recv]; ok {
			reason = globalReason
		}
	}
	if reason == "" {
		// One reason for every frozen container of this kind: use it.
		seen := map[string]bool{}
		for v, r := range m.byVal {
			if kindOf(v) == typ && r != globalReason {
				seen[r] = true
			}
		}
		if len(seen) == 1 {
			for r := range seen {
				reason = r
			}
		}
	}
	x := recv
	if x == "" {
		x = "x"
	}
	copyHint := fmt.Sprintf("copy it first with %s(%s)", typ, x)
	switch {
	case reason == globalReason:
		return fmt.Sprintf("cannot %s %s: it is %s, and top-level values are frozen once the script has loaded; create it inside main", verb, typ, globalReason)
	case strings.HasPrefix(reason, "borrowed"):
		return fmt.Sprintf("cannot %s %s: it was %s (like Rust's shared borrow, and here it stays read-only after the scope); %s", verb, typ, reason, copyHint)
	case reason != "":
		return fmt.Sprintf("cannot %s %s: it was %s (like Rust's move); %s", verb, typ, reason, copyHint)
	}
	return fmt.Sprintf("cannot %s %s: it is frozen, because it was moved into another thread by spawn, sent on a channel or stored in a cell (like Rust's move); %s", verb, typ, copyHint)
}

func kindOf(v starlark.Value) string {
	switch v.(type) {
	case *starlark.List:
		return "list"
	case *starlark.Dict:
		return "dict"
	case *starlark.Set:
		return "set"
	}
	return ""
}
