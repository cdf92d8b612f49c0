package engine

import (
	"errors"

	"go.starlark.net/starlark"
)

// scope(fn) calls fn and then joins every thread that fn spawned (directly,
// from the calling thread) before it returns, like Rust's thread::scope.
// Those threads borrow what they are given instead of taking it: the
// values are frozen as spawn freezes them, since two threads must not
// mutate one Starlark value, but the error a later mutation meets says
// "borrowed read-only ... in a scope", as Rust's shared borrow would
// refuse it. Starlark cannot unfreeze, so the values stay read-only after
// the scope ends. If fn or a scoped thread fails, scope still joins the
// rest, then fails with the first error.
func scopeBuiltin(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fn starlark.Callable
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &fn); err != nil {
		return nil, wrapArg(err)
	}
	t, err := begin(th, syncOp)
	if err != nil {
		return nil, err
	}
	line := callerLine(th)
	r := t.r
	r.mu.Lock()
	t.scopes = append(t.scopes, nil)
	r.mu.Unlock()
	v, ferr := starlark.Call(th, fn, nil, nil)
	r.mu.Lock()
	n := len(t.scopes)
	children := t.scopes[n-1]
	t.scopes = t.scopes[:n-1]
	r.mu.Unlock()
	first := ferr
	for _, c := range children {
		if _, err := t.joinThread(c, line); err != nil {
			if errors.Is(err, errCutoff) {
				return nil, err
			}
			if first == nil {
				first = err
			}
		}
	}
	if first != nil {
		return nil, first
	}
	return v, nil
}
