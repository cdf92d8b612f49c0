package engine

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"interleave/sandbox/trace"
	"interleave/scenarios"
)

// script is a parsed scenario with an index of its call sites, used to
// name the variables that spawn moves. It is immutable once compiled.
type script struct {
	name   string
	params []scenarios.Param
	file   *syntax.File
	prog   *starlark.Program
	calls  map[posKey]*syntax.CallExpr
	idents map[int][]*syntax.Ident // by line
}

type posKey struct{ line, col int32 }

func keyOf(p syntax.Position) posKey { return posKey{p.Line, p.Col} }

// loadScript parses the metadata, resolves the params and compiles the
// module. Errors are *scriptError or *scenarios.Error or
// *scenarios.ParamError.
func loadScript(req Request) (*script, map[string]any, []starlark.Tuple, error) {
	id := req.Scenario
	if id == "" {
		id = "script"
	}
	id = strings.TrimSuffix(id, ".star")
	s, err := compile(id, req.Source)
	if err != nil {
		return nil, nil, nil, err
	}
	params, err := scenarios.Resolve(s.params, req.Params)
	if err != nil {
		return nil, nil, nil, err
	}
	return s, params, sortedKwargs(params), nil
}

// compile parses and compiles a script, or returns it from the cache: a
// compiled program holds no values, so runs of the same script share it,
// which makes repeated runs in one process (sim mode sweeps over seeds,
// tests) about twice as fast.
func compile(id, src string) (*script, error) {
	key := scriptKey{id, src}
	compiled.Lock()
	s, ok := compiled.m[key]
	compiled.Unlock()
	if ok {
		return s, nil
	}
	meta, err := scenarios.Parse(id, src)
	if err != nil {
		return nil, err
	}
	s = &script{name: id + ".star", params: meta.Params, calls: map[posKey]*syntax.CallExpr{}, idents: map[int][]*syntax.Ident{}}
	f, prog, err := starlark.SourceProgramOptions(scenarios.FileOptions, s.name, src, isPredeclared)
	if err != nil {
		return nil, err
	}
	s.file, s.prog = f, prog
	if err := checkCaptures(f); err != nil {
		return nil, err
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.CallExpr:
			s.calls[keyOf(x.Lparen)] = x
		case *syntax.Ident:
			s.idents[int(x.NamePos.Line)] = append(s.idents[int(x.NamePos.Line)], x)
		}
		return true
	})
	compiled.Lock()
	if len(compiled.m) >= maxCompiled {
		clear(compiled.m) // crude, but scripts are few and small
	}
	compiled.m[key] = s
	compiled.Unlock()
	return s, nil
}

type scriptKey struct{ id, src string }

const maxCompiled = 32

var compiled = struct {
	sync.Mutex
	m map[scriptKey]*script
}{m: map[scriptKey]*script{}}

func (s *script) exec(th *starlark.Thread, predeclared starlark.StringDict) (starlark.StringDict, error) {
	g, err := s.prog.Init(th, predeclared)
	if err != nil {
		return nil, err
	}
	g.Freeze()
	return g, nil
}

// isPredeclared says whether the engine predeclares name; the compiler
// needs to know before any run exists.
func isPredeclared(name string) bool {
	_, ok := builtins[name]
	return ok || name == "param"
}

// scriptError is a mistake located in the script, in words for a student.
type scriptError struct {
	line, col int
	msg       string
	isArg     bool // a wrong argument: status error rather than panic
}

func (e *scriptError) Error() string { return e.msg }

func (e *scriptError) sentence() string {
	msg := strings.TrimSuffix(e.msg, ".")
	if e.line > 0 {
		return fmt.Sprintf("line %d, column %d: %s.", e.line, e.col, msg)
	}
	return msg + "."
}

// result is the error's place for the result, or nil when it has none
// (a bad param is a mistake in the request, not at a place in the script).
func (e *scriptError) result() *trace.ScriptError {
	if e.line <= 0 {
		return nil
	}
	return &trace.ScriptError{Line: e.line, Col: e.col, Msg: e.msg}
}

// asScriptError locates a load-time error: syntax, resolution, params.
func asScriptError(err error) *scriptError {
	var se *scriptError
	if errors.As(err, &se) {
		return se
	}
	var me *scenarios.Error
	if errors.As(err, &me) {
		return &scriptError{line: me.Line, col: me.Col, msg: me.Msg}
	}
	var pe *scenarios.ParamError
	if errors.As(err, &pe) {
		return &scriptError{msg: pe.Error()}
	}
	var sx syntax.Error
	if errors.As(err, &sx) {
		return &scriptError{line: int(sx.Pos.Line), col: int(sx.Pos.Col), msg: sx.Msg}
	}
	var rl resolve.ErrorList
	if errors.As(err, &rl) && len(rl) > 0 {
		return &scriptError{line: int(rl[0].Pos.Line), col: int(rl[0].Pos.Col), msg: rl[0].Msg}
	}
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		line, col := innermost(ee.CallStack)
		return &scriptError{line: line, col: col, msg: ee.Msg}
	}
	return &scriptError{msg: err.Error()}
}

// innermost is the position of the innermost Starlark frame of a stack.
func innermost(stack starlark.CallStack) (line, col int) {
	for i := len(stack) - 1; i >= 0; i-- {
		p := stack[i].Pos
		if p.Filename() != "<builtin>" && p.Line > 0 {
			return int(p.Line), int(p.Col)
		}
	}
	return 0, 0
}

// locate moves a call's position from its "(" (where Starlark reports it)
// to the start of the call, where a reader looks for it.
func (s *script) locate(line, col int) (int, int) {
	if ce := s.calls[posKey{int32(line), int32(col)}]; ce != nil {
		start, _ := ce.Span()
		return int(start.Line), int(start.Col)
	}
	return line, col
}
