package engine

import (
	"go.starlark.net/starlark"

	"interleave/sandbox/trace"
)

// park() and thread.unpark() follow Rust's token semantics: every thread
// has one token, initially absent. unpark makes it present (a second
// unpark before a park changes nothing); park consumes it, waiting for it
// first if it is absent. So an unpark that comes before the park is not
// lost. Unlike Rust's, this park never returns spuriously. The token is
// guarded by run.mu.

// park()
func parkBuiltin(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(b, args, kwargs); err != nil {
		return nil, err
	}
	t, err := begin(th, syncAt(trace.Park, "", trace.Value{}))
	if err != nil {
		return nil, err
	}
	r, line := t.r, callerLine(th)
	t.rec(trace.Park, "", trace.Bool(t.parkTokenNow()), line)
	r.mu.Lock()
	for !t.parkToken {
		if err := t.block(waitEdge{kind: waitPark, line: line}); err != nil {
			r.mu.Unlock()
			return nil, err
		}
	}
	t.parkToken = false
	r.mu.Unlock()
	t.rec(trace.Unparked, "", trace.Value{}, line)
	return starlark.None, nil
}

// parkTokenNow reads t's token, for the park event: whether the park will
// return at once.
func (t *thread) parkTokenNow() bool {
	t.r.mu.Lock()
	defer t.r.mu.Unlock()
	return t.parkToken
}

// thread.unpark()
func (h *handle) doUnpark(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(b, args, kwargs); err != nil {
		return nil, err
	}
	t, err := begin(th, syncAt(trace.Unpark, h.t.name, trace.Value{}))
	if err != nil {
		return nil, err
	}
	r, target := t.r, h.t
	r.mu.Lock()
	defer r.mu.Unlock()
	// Ver is the id of the thread unparked, as names need not be unique.
	t.recVer(trace.Unpark, target.name, trace.Bool(target.parkToken), callerLine(th), uint64(target.id))
	target.parkToken = true
	if target.state == stBlocked && target.wait.kind == waitPark {
		r.unpark(target)
	}
	return starlark.None, nil
}
