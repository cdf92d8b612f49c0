package engine

import (
	"fmt"
	"slices"

	"go.starlark.net/resolve"
	"go.starlark.net/syntax"
)

// checkCaptures rejects a script that changes a variable after a nested
// function has captured it. Starlark closures share the variables they
// capture with the enclosing function, and spawn cannot copy them: if
// main reassigned one while a thread ran the closure, two OS threads
// would race on the variable itself, outside every builtin, unseen by
// the trace (and unsafe in Go). So, like Rust's move closures, a captured
// variable must not change once the function that captures it exists:
// no assignment after the def or lambda, and none in a loop around it
// (the loop would assign it again on its next turn).
func checkCaptures(f *syntax.File) error {
	w := captureWalk{assigns: map[*syntax.Ident][]captureAssign{}}
	syntax.Walk(f, w.visit)
	for _, c := range w.closures {
		for _, fv := range c.fn.FreeVars {
			for _, a := range w.assigns[fv.First] {
				after := a.id.NamePos.Line > c.fn.Pos.Line || (a.id.NamePos.Line == c.fn.Pos.Line && a.id.NamePos.Col > c.fn.Pos.Col)
				shared := slices.ContainsFunc(a.loops, func(l syntax.Node) bool { return slices.Contains(c.loops, l) })
				if !after && !shared {
					continue
				}
				name := a.id.Name
				return &scriptError{line: int(a.id.NamePos.Line), col: int(a.id.NamePos.Col), isArg: true,
					msg: fmt.Sprintf("%s changes here, but the function at line %d captures it, and a thread running that function would race with this change: pass it as an argument instead, as in spawn(f, %s), or keep it in a cell", name, c.fn.Pos.Line, name)}
			}
		}
	}
	return nil
}

// captureAssign is one assignment to a local variable, with the loops
// around it.
type captureAssign struct {
	id    *syntax.Ident
	loops []syntax.Node
}

// captureClosure is one def or lambda, with the loops around it.
type captureClosure struct {
	fn    *resolve.Function
	loops []syntax.Node
}

// captureWalk collects, in one walk of the syntax tree, the assignments
// to each variable (by its first binding) and the closures.
type captureWalk struct {
	assigns      map[*syntax.Ident][]captureAssign
	closures     []captureClosure
	stack, loops []syntax.Node
}

func (w *captureWalk) visit(n syntax.Node) bool {
	if n == nil {
		top := w.stack[len(w.stack)-1]
		w.stack = w.stack[:len(w.stack)-1]
		if len(w.loops) > 0 && w.loops[len(w.loops)-1] == top {
			w.loops = w.loops[:len(w.loops)-1]
		}
		return false
	}
	w.stack = append(w.stack, n)
	switch x := n.(type) {
	case *syntax.AssignStmt:
		w.bind(x.LHS)
	case *syntax.ForStmt:
		w.loops = append(w.loops, x)
		w.bind(x.Vars)
	case *syntax.WhileStmt:
		w.loops = append(w.loops, x)
	case *syntax.Comprehension:
		w.loops = append(w.loops, x)
		for _, c := range x.Clauses {
			if fc, ok := c.(*syntax.ForClause); ok {
				w.bind(fc.Vars)
			}
		}
	case *syntax.DefStmt:
		w.closure(x.Function)
	case *syntax.LambdaExpr:
		w.closure(x.Function)
	}
	return true
}

func (w *captureWalk) closure(f any) {
	if fn, ok := f.(*resolve.Function); ok {
		w.closures = append(w.closures, captureClosure{fn, slices.Clone(w.loops)})
	}
}

// bind records the local variables an assignment target e binds.
func (w *captureWalk) bind(e syntax.Expr) {
	switch x := e.(type) {
	case *syntax.Ident:
		if b, ok := x.Binding.(*resolve.Binding); ok && b.First != nil && (b.Scope == resolve.Cell || b.Scope == resolve.Local) {
			w.assigns[b.First] = append(w.assigns[b.First], captureAssign{x, slices.Clone(w.loops)})
		}
	case *syntax.TupleExpr:
		for _, y := range x.List {
			w.bind(y)
		}
	case *syntax.ListExpr:
		for _, y := range x.List {
			w.bind(y)
		}
	case *syntax.ParenExpr:
		w.bind(x.X)
	}
}
