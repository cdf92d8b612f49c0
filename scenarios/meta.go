package scenarios

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	"go.starlark.net/syntax"
)

// This file reads a script's metadata (topic, rust, modes, params) from
// its syntax tree. The server parses scripts from anyone, and evaluating
// even one expression of theirs ("x" * (1 << 30)) would let them spend
// its memory and time, so nothing here runs code: a value is accepted
// only if it is written as a literal, and anything else is an error at
// its own line and column. Only the sandboxed child evaluates Starlark.

// metaReader reads the metadata assignments of one file into a Scenario.
type metaReader struct {
	file string
	s    *Scenario
	at   map[string]syntax.Expr // where a challenge's metadata was set, for errors
}

// errAt is an *Error at the start of a node.
func (r *metaReader) errAt(n syntax.Node, format string, args ...any) *Error {
	start, _ := n.Span()
	return &Error{File: r.file, Line: int(start.Line), Col: int(start.Col), Msg: fmt.Sprintf(format, args...)}
}

// assign reads one top-level `name = value` metadata assignment.
func (r *metaReader) assign(name string, rhs syntax.Expr) error {
	switch name {
	case "topic", "rust":
		str, ok := stringLit(rhs)
		if !ok {
			return r.errAt(rhs, "%s must be a literal string, not %s", name, describe(rhs))
		}
		if name == "topic" {
			r.s.Topic = strings.TrimSpace(str)
		} else {
			r.s.Rust = strings.Trim(str, "\n")
		}
	case "modes":
		return r.modes(rhs)
	case "seed":
		v, ok := scalar(rhs)
		n, isInt := v.(int64)
		if !ok || !isInt || n < 0 {
			return r.errAt(rhs, "seed must be a literal whole number from 0 up, not %s", describe(rhs))
		}
		r.s.Seed = n
	case "params":
		return r.params(rhs)
	case "goal", "hints", "fix", "shortest":
		return r.challenge(name, rhs)
	}
	return nil
}

// Goals are what a challenge asks the person to make happen by picking
// the threads themselves: a deadlock, or a check that fails.
var Goals = []string{"deadlock", "fail"}

// MaxHints caps a challenge's hints: they are shown one at a time, and a
// page of them would give the answer away before the person tries.
const MaxHints = 5

// challenge reads the metadata of a challenge: goal, hints, fix and
// shortest (see docs/language.md).
func (r *metaReader) challenge(name string, rhs syntax.Expr) error {
	if r.at == nil {
		r.at = map[string]syntax.Expr{}
	}
	r.at[name] = rhs
	switch name {
	case "goal":
		str, ok := stringLit(rhs)
		if !ok || !slices.Contains(Goals, str) {
			return r.errAt(rhs, `goal must be "deadlock" or "fail", not %s`, describe(rhs))
		}
		r.s.Goal = str
	case "hints":
		l, ok := unparen(rhs).(*syntax.ListExpr)
		if !ok || len(l.List) == 0 || len(l.List) > MaxHints {
			return r.errAt(rhs, `hints must be a list of 1 to %d literal strings such as ["Which thread reads first?"], not %s`, MaxHints, describe(rhs))
		}
		hints := make([]string, 0, len(l.List))
		for _, e := range l.List {
			str, ok := stringLit(e)
			if !ok || strings.TrimSpace(str) == "" {
				return r.errAt(e, "hints must be a list of literal strings, each a sentence, not of %s", describe(e))
			}
			hints = append(hints, strings.TrimSpace(str))
		}
		r.s.Hints = hints
	case "fix":
		str, ok := stringLit(rhs)
		if !ok || !validID(str) {
			return r.errAt(rhs, `fix must be the id of a scenario, a literal string such as "lock-ordering", not %s`, describe(rhs))
		}
		r.s.Fix = str
	case "shortest":
		v, _ := scalar(rhs)
		n, isInt := v.(int64)
		if !isInt || n < 1 || n > MaxShortest {
			return r.errAt(rhs, "shortest must be a literal whole number from 1 to %d, not %s", MaxShortest, describe(rhs))
		}
		r.s.Shortest = int(n)
	}
	return nil
}

// checkChallenge refuses challenge metadata that cannot work: the person
// picks threads only in sim mode, and hints, fix or shortest say nothing
// without a goal.
func (r *metaReader) checkChallenge() error {
	s := r.s
	if s.Goal == "" {
		for _, name := range []string{"hints", "fix", "shortest"} {
			if e, ok := r.at[name]; ok {
				return r.errAt(e, `%s belongs to a challenge: add goal = "deadlock" or goal = "fail"`, name)
			}
		}
		return nil
	}
	if !slices.Contains(s.Modes, "sim") {
		return r.errAt(r.at["goal"], `a challenge is played in sim mode: add "sim" to modes`)
	}
	if s.Fix == s.ID {
		return r.errAt(r.at["fix"], "fix names the challenge itself: name the scenario that fixes it")
	}
	return nil
}

// MaxShortest bounds shortest: a challenge that takes more picks than
// this is not one a person solves by hand.
const MaxShortest = 1000

func (r *metaReader) modes(rhs syntax.Expr) error {
	l, ok := unparen(rhs).(*syntax.ListExpr)
	if !ok {
		return r.errAt(rhs, `modes must be a list such as ["os", "sim"], not %s`, describe(rhs))
	}
	modes := make([]string, 0, len(l.List))
	for _, e := range l.List {
		v, ok := scalar(e)
		if !ok {
			return r.errAt(e, `modes must be a list of literal strings such as ["os", "sim"], not of %s`, describe(e))
		}
		m, _ := v.(string)
		if !slices.Contains(AllModes, m) {
			return r.errAt(e, "modes: unknown mode %s: use os, green or sim", repr(v))
		}
		modes = append(modes, m)
	}
	r.s.Modes = modes
	return nil
}

func (r *metaReader) params(rhs syntax.Expr) error {
	d, ok := unparen(rhs).(*syntax.DictExpr)
	if !ok {
		return r.errAt(rhs, "params must be a dict of param(...) values, not %s", describe(rhs))
	}
	params := make([]Param, 0, len(d.List))
	seen := make(map[string]bool, len(d.List)) // a map: a script may declare thousands
	for _, e := range d.List {
		entry := e.(*syntax.DictEntry)
		k, ok := stringLit(entry.Key)
		if !ok {
			return r.errAt(entry.Key, "params: a key must be a literal string such as \"threads\", not %s", describe(entry.Key))
		}
		if seen[k] {
			return r.errAt(entry.Key, "params: %q is declared twice", k)
		}
		seen[k] = true
		p, err := r.param(k, entry.Value)
		if err != nil {
			return err
		}
		params = append(params, p)
	}
	r.s.Params = params
	return nil
}

// paramSlots are param's parameters in order, as ParamBuiltin takes them.
var paramSlots = []string{"default", "min", "max", "choices", "doc"}

// param reads `param(default, min = ..., max = ..., choices = [...], doc =
// "...")` and checks it as ParamBuiltin does when the script runs.
func (r *metaReader) param(name string, e syntax.Expr) (Param, error) {
	call, ok := unparen(e).(*syntax.CallExpr)
	if fn, isIdent := callee(call); !ok || !isIdent || fn != "param" {
		return Param{}, r.errAt(e, "params: %q must be declared with param(...), not %s", name, describe(e))
	}
	args, err := r.paramArgs(name, call)
	if err != nil {
		return Param{}, err
	}
	var p Param
	for i, slot := range paramSlots {
		if args[i] == nil {
			continue
		}
		if err := p.set(slot, literalValue(args[i])); err != nil {
			return Param{}, r.errAt(args[i], "params: %q: %v", name, err)
		}
	}
	if err := p.finish(); err != nil {
		return Param{}, r.errAt(call, "params: %q: %v", name, err)
	}
	p.Name = name
	return p, nil
}

// paramArgs sorts a param call's arguments into paramSlots, refusing what
// is not written as a literal.
func (r *metaReader) paramArgs(name string, call *syntax.CallExpr) ([]syntax.Expr, error) {
	args := make([]syntax.Expr, len(paramSlots))
	notLiteral := func(n syntax.Node) error {
		return r.errAt(n, "params: %q must be declared with param(...) whose arguments are literals, not %s", name, describe(n))
	}
	positional := 0
	for _, a := range call.Args {
		slot, value := -1, a
		switch x := a.(type) {
		case *syntax.UnaryExpr:
			if x.Op == syntax.STAR || x.Op == syntax.STARSTAR {
				return nil, notLiteral(a)
			}
		case *syntax.BinaryExpr:
			if id, ok := x.X.(*syntax.Ident); ok && x.Op == syntax.EQ {
				if slot = slices.Index(paramSlots, id.Name); slot < 0 {
					return nil, r.errAt(a, "params: %q: param has no argument %q: use %s", name, id.Name, strings.Join(paramSlots, ", "))
				}
				value = x.Y
			}
		}
		if slot < 0 {
			if positional == len(paramSlots) {
				return nil, r.errAt(a, "params: %q: param takes at most %d arguments", name, len(paramSlots))
			}
			slot = positional
			positional++
		}
		if args[slot] != nil {
			return nil, r.errAt(a, "params: %q: param got two values for %s", name, paramSlots[slot])
		}
		if !isLiteral(value) {
			return nil, notLiteral(value)
		}
		args[slot] = value
	}
	if args[0] == nil {
		return nil, r.errAt(call, "params: %q: param needs a default, as in param(4)", name)
	}
	return args, nil
}

// literalValue is the Go value of a literal argument, as goValue makes it
// of the same Starlark value, so that Param.set checks both alike:
// scalars as they are, a list as []any, a tuple or dict by its type.
func literalValue(e syntax.Expr) any {
	if v, ok := scalar(e); ok {
		return v
	}
	switch x := unparen(e).(type) {
	case *syntax.ListExpr:
		l := make([]any, len(x.List))
		for i, el := range x.List {
			l[i] = literalValue(el)
		}
		return l
	case *syntax.TupleExpr:
		return typeOnly("tuple")
	case *syntax.DictExpr:
		return typeOnly("dict")
	}
	return typeOnly("expression") // paramArgs lets only literals through
}

// callee names the function a call calls when it is a plain name.
func callee(call *syntax.CallExpr) (string, bool) {
	if call == nil {
		return "", false
	}
	id, ok := call.Fn.(*syntax.Ident)
	if !ok {
		return "", false
	}
	return id.Name, true
}

// unparen removes the parentheses around an expression.
func unparen(e syntax.Expr) syntax.Expr {
	for {
		p, ok := e.(*syntax.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

func stringLit(e syntax.Expr) (string, bool) {
	lit, ok := unparen(e).(*syntax.Literal)
	if !ok || lit.Token != syntax.STRING {
		return "", false
	}
	s, ok := lit.Value.(string)
	return s, ok
}

// scalar is the value of a literal string, number, True, False or None
// (nil), or of a minus sign before a number. Ints are int64, or *big.Int
// when they do not fit.
func scalar(e syntax.Expr) (any, bool) {
	switch x := unparen(e).(type) {
	case *syntax.Literal:
		switch x.Token {
		case syntax.STRING:
			return x.Value, true
		case syntax.INT, syntax.FLOAT:
			return x.Value, true
		}
	case *syntax.Ident:
		switch x.Name {
		case "True":
			return true, true
		case "False":
			return false, true
		case "None":
			return nil, true
		}
	case *syntax.UnaryExpr:
		lit, ok := unparen(x.X).(*syntax.Literal)
		if !ok || (x.Op != syntax.MINUS && x.Op != syntax.PLUS) {
			return nil, false
		}
		return signed(x.Op, lit)
	}
	return nil, false
}

// signed applies a unary sign to a number literal.
func signed(op syntax.Token, lit *syntax.Literal) (any, bool) {
	neg := op == syntax.MINUS
	switch v := lit.Value.(type) {
	case int64:
		if neg {
			return -v, true // a literal is never negative, so this cannot overflow
		}
		return v, true
	case *big.Int:
		if !neg {
			return v, true
		}
		n := new(big.Int).Neg(v)
		if n.IsInt64() {
			return n.Int64(), true
		}
		return n, true
	case float64:
		if neg {
			return -v, true
		}
		return v, true
	}
	return nil, false
}

// isLiteral reports whether an expression is a literal: a scalar, or a
// list, tuple or dict (with string keys) of literals.
func isLiteral(e syntax.Expr) bool {
	if _, ok := scalar(e); ok {
		return true
	}
	switch x := unparen(e).(type) {
	case *syntax.ListExpr:
		return allLiteral(x.List)
	case *syntax.TupleExpr:
		return allLiteral(x.List)
	case *syntax.DictExpr:
		for _, d := range x.List {
			entry := d.(*syntax.DictEntry)
			if _, ok := stringLit(entry.Key); !ok || !isLiteral(entry.Value) {
				return false
			}
		}
		return true
	}
	return false
}

func allLiteral(list []syntax.Expr) bool {
	for _, e := range list {
		if !isLiteral(e) {
			return false
		}
	}
	return true
}

// describe says in a few words what an expression is, for errors.
func describe(n syntax.Node) string {
	e, ok := n.(syntax.Expr)
	if !ok {
		return "that"
	}
	if v, ok := scalar(e); ok {
		return "the " + typeName(v) + " " + repr(v)
	}
	switch x := unparen(e).(type) {
	case *syntax.Literal:
		return "a bytes literal"
	case *syntax.Ident:
		return fmt.Sprintf("the name %s (a variable is not read: write the value itself)", x.Name)
	case *syntax.ListExpr:
		return "a list"
	case *syntax.TupleExpr:
		return "a tuple"
	case *syntax.DictExpr:
		return "a dict"
	case *syntax.CallExpr:
		if fn, ok := callee(x); ok {
			return fmt.Sprintf("a call of %s (the server reads metadata without running the script)", fn)
		}
		return "a call (the server reads metadata without running the script)"
	case *syntax.Comprehension:
		return "a comprehension (the server reads metadata without running the script)"
	}
	return "an expression (the server reads metadata without running the script)"
}
