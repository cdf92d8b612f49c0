// Package scenarios is the catalogue of threading scenarios: Starlark files
// embedded in the binary or read from a teacher's folder, with the metadata
// a page needs (title, notes, topic, params, an equivalent Rust listing)
// read from their syntax tree without running them: the server never
// evaluates user code, only the sandboxed child does.
package scenarios

import (
	"errors"
	"fmt"
	"strings"

	"go.starlark.net/syntax"
)

// FileOptions is the Starlark dialect of scenarios: while loops (spin loops
// need them), recursion, sets and top-level control flow.
var FileOptions = &syntax.FileOptions{
	Set:             true,
	While:           true,
	TopLevelControl: true,
	Recursion:       true,
}

// Scenario is one parsed scenario file.
type Scenario struct {
	ID     string   // file name without .star
	Title  string   // first line of the docstring
	Notes  string   // the rest of the docstring, Markdown
	Topic  string   // topic = "..."
	Rust   string   // rust = """...""", optional
	Modes  []string // modes = ["os", "green", "sim"]; all when absent
	Seed   int64    // seed = N: the sim seed a link opens at; 0 when absent
	Params []Param
	Source string
	Course bool // from a teacher's course folder, not built in
}

// Error is a mistake in a script, located by line and column.
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// AllModes lists the modes a scenario runs in unless it says otherwise.
var AllModes = []string{"os", "green", "sim"}

// Parse reads a scenario's metadata: the docstring, and the literal
// values of the top-level assignments to topic, rust, modes and params.
// It reads them from the syntax tree and evaluates nothing (see meta.go),
// so it is safe to call on untrusted text: its cost is that of parsing.
// It does not cap the script's size: each caller checks the limit it is
// configured with before calling it.
func Parse(id, src string) (*Scenario, error) {
	file := id + ".star"
	f, err := FileOptions.Parse(file, src, 0)
	if err != nil {
		return nil, syntaxError(file, err)
	}
	s := &Scenario{ID: id, Source: src, Modes: AllModes}
	if len(f.Stmts) > 0 {
		if e, ok := f.Stmts[0].(*syntax.ExprStmt); ok {
			if doc, ok := stringLit(e.X); ok {
				s.Title, s.Notes = splitDoc(doc)
			}
		}
	}
	if s.Title == "" {
		s.Title = id
	}
	var main *syntax.DefStmt
	r := &metaReader{file: file, s: s}
	for _, stmt := range f.Stmts {
		switch st := stmt.(type) {
		case *syntax.DefStmt:
			if st.Name.Name == "main" {
				main = st
			}
		case *syntax.AssignStmt:
			if id, ok := st.LHS.(*syntax.Ident); ok && st.Op == syntax.EQ {
				if err := r.assign(id.Name, st.RHS); err != nil {
					return nil, err
				}
			}
		}
	}
	if main == nil {
		return nil, &Error{File: file, Line: 1, Col: 1, Msg: "the script has no main function: define def main(...) to run"}
	}
	if err := checkMain(file, main, s.Params); err != nil {
		return nil, err
	}
	return s, nil
}

func splitDoc(doc string) (title, notes string) {
	doc = strings.TrimSpace(doc)
	title, notes, _ = strings.Cut(doc, "\n")
	return strings.TrimSpace(title), dedent(notes)
}

// dedent removes the indentation common to the notes' lines, as Python's
// inspect.cleandoc does, so indented docstrings render as Markdown.
func dedent(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	for i, l := range lines {
		if len(l) >= indent && indent > 0 {
			lines[i] = l[indent:]
		} else {
			lines[i] = strings.TrimLeft(l, " \t")
		}
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// checkMain makes sure main(**params) will bind: each declared param must be
// a parameter of main and each parameter of main without a default must be
// declared.
func checkMain(file string, def *syntax.DefStmt, params []Param) error {
	declared := make(map[string]bool, len(params)) // maps: both lists may be long
	for _, p := range params {
		declared[p.Name] = true
	}
	names := map[string]bool{}
	variadic := false
	for _, p := range def.Params {
		switch x := p.(type) {
		case *syntax.Ident:
			names[x.Name] = true
			if !declared[x.Name] {
				return &Error{File: file, Line: int(x.NamePos.Line), Col: int(x.NamePos.Col),
					Msg: fmt.Sprintf("main takes %s, but params declares no %q: add it to params or give it a default", x.Name, x.Name)}
			}
		case *syntax.BinaryExpr: // name = default
			if id, ok := x.X.(*syntax.Ident); ok {
				names[id.Name] = true
			}
		case *syntax.UnaryExpr: // *args, **kwargs
			if x.Op == syntax.STARSTAR {
				variadic = true
			}
		}
	}
	if variadic {
		return nil
	}
	for _, p := range params {
		if !names[p.Name] {
			return &Error{File: file, Line: int(def.Def.Line), Col: int(def.Def.Col),
				Msg: fmt.Sprintf("params declares %q, but main has no parameter of that name", p.Name)}
		}
	}
	return nil
}

func syntaxError(file string, err error) error {
	var se syntax.Error
	if errors.As(err, &se) {
		return &Error{File: file, Line: int(se.Pos.Line), Col: int(se.Pos.Col), Msg: se.Msg}
	}
	return &Error{File: file, Msg: err.Error()}
}
