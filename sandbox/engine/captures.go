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
	type assign struct {
		id    *syntax.Ident
		loops []syntax.Node
	}
	type closure struct {
		fn    *resolve.Function
		loops []syntax.Node
	}
	assigns := map[*syntax.Ident][]assign{} // by the variable's first binding
	var closures []closure
	var stack, loops []syntax.Node

	bind := func(e syntax.Expr, inLoop []syntax.Node) {
		var visit func(syntax.Expr)
		visit = func(e syntax.Expr) {
			switch x := e.(type) {
			case *syntax.Ident:
				if b, ok := x.Binding.(*resolve.Binding); ok && b.First != nil && (b.Scope == resolve.Cell || b.Scope == resolve.Local) {
					assigns[b.First] = append(assigns[b.First], assign{x, slices.Clone(inLoop)})
				}
			case *syntax.TupleExpr:
				for _, y := range x.List {
					visit(y)
				}
			case *syntax.ListExpr:
				for _, y := range x.List {
					visit(y)
				}
			case *syntax.ParenExpr:
				visit(x.X)
			}
		}
		visit(e)
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		if n == nil {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(loops) > 0 && loops[len(loops)-1] == top {
				loops = loops[:len(loops)-1]
			}
			return false
		}
		stack = append(stack, n)
		switch x := n.(type) {
		case *syntax.AssignStmt:
			bind(x.LHS, loops)
		case *syntax.ForStmt:
			loops = append(loops, x)
			bind(x.Vars, loops)
		case *syntax.WhileStmt:
			loops = append(loops, x)
		case *syntax.Comprehension:
			loops = append(loops, x)
			for _, c := range x.Clauses {
				if fc, ok := c.(*syntax.ForClause); ok {
					bind(fc.Vars, loops)
				}
			}
		case *syntax.DefStmt:
			if fn, ok := x.Function.(*resolve.Function); ok {
				closures = append(closures, closure{fn, slices.Clone(loops)})
			}
		case *syntax.LambdaExpr:
			if fn, ok := x.Function.(*resolve.Function); ok {
				closures = append(closures, closure{fn, slices.Clone(loops)})
			}
		}
		return true
	})
	for _, c := range closures {
		for _, fv := range c.fn.FreeVars {
			for _, a := range assigns[fv.First] {
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
