package engine

import (
	"fmt"

	"go.starlark.net/starlark"

	"interleave/sandbox/trace"
)

// onceObj runs one function once, like Rust's OnceLock::get_or_init:
// the first call(fn) runs fn; calls that come while it runs wait for it;
// every later call returns the value it returned without running
// anything. If fn fails, the once stays empty and the next call tries
// again. Guarded by run.mu.
type onceObj struct {
	r       *run
	name    string
	done    bool
	value   starlark.Value
	running *thread
	waiters []*thread
	call    *starlark.Builtin
}

// once(name)
func newOnce(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	t, name, err := beginNamed(th, b, args, kwargs)
	if err != nil {
		return nil, err
	}
	o := &onceObj{r: t.r, name: name}
	o.call = starlark.NewBuiltin("call", o.doCall)
	return o, nil
}

// o.call(fn): the oncedone event's V says whether this call ran fn.
func (o *onceObj) doCall(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fn starlark.Callable
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &fn); err != nil {
		return nil, wrapArg(err)
	}
	t, err := begin(th, syncAt(trace.Once, o.name, trace.Value{}))
	if err != nil {
		return nil, err
	}
	r, line := o.r, callerLine(th)
	t.rec(trace.Once, o.name, trace.Value{}, line)
	r.mu.Lock()
	for !o.done && o.running != nil {
		o.waiters = append(o.waiters, t)
		if err := t.block(waitEdge{kind: waitOnce, once: o, line: line}); err != nil {
			o.waiters = remove(o.waiters, t)
			r.mu.Unlock()
			return nil, err
		}
	}
	if o.done {
		v := o.value
		r.mu.Unlock()
		t.rec(trace.OnceDone, o.name, trace.Bool(false), line)
		return v, nil
	}
	o.running = t
	r.mu.Unlock()
	v, err := starlark.Call(th, fn, nil, nil)
	r.mu.Lock()
	o.running = nil
	if err == nil {
		freeze(v) // shared by every thread from now on
		o.done, o.value = true, v
		// Before the waiters wake, so that it comes before their oncedone.
		t.rec(trace.OnceDone, o.name, trace.Bool(true), line)
	}
	for _, w := range o.waiters {
		r.unpark(w)
	}
	o.waiters = o.waiters[:0]
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return v, nil
}

var _ starlark.HasAttrs = (*onceObj)(nil)

func (o *onceObj) String() string        { return fmt.Sprintf("<once %s>", o.name) }
func (o *onceObj) Type() string          { return "once" }
func (o *onceObj) Freeze()               {}
func (o *onceObj) Truth() starlark.Bool  { return true }
func (o *onceObj) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: once") }
func (o *onceObj) AttrNames() []string   { return []string{"call", "name"} }

func (o *onceObj) Attr(name string) (starlark.Value, error) {
	switch name {
	case "call":
		return o.call, nil
	case "name":
		return starlark.String(o.name), nil
	}
	return nil, nil
}
