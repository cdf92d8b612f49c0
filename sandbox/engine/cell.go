package engine

import (
	"fmt"
	"sync/atomic"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"interleave/sandbox/trace"
)

// cellObj is a shared memory word. Its value lives behind an atomic
// pointer, so get and set are each atomic but a get followed by a set is
// not: that gap is where lost updates happen, on real threads. Each value
// carries its version, made by the write that stored it in the same
// atomic step, so that an event can say exactly which write a read saw.
type cellObj struct {
	r    *run
	name string
	v    atomic.Pointer[cellBox]

	get, set, add, cas, swap *starlark.Builtin
}

type cellBox struct {
	v   starlark.Value
	ver uint64 // 0 for the initial value, then 1, 2, ... per write
}

type cellOp func(*cellObj, *thread, *starlark.Thread, starlark.Tuple) (starlark.Value, error)

// cell(name, value=0)
func newCell(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var v starlark.Value = starlark.MakeInt(0)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "value?", &v); err != nil {
		return nil, wrapArg(err)
	}
	t, err := begin(th)
	if err != nil {
		return nil, err
	}
	r := t.r
	c := &cellObj{r: r, name: name}
	r.mu.Lock()
	r.moves.note(v, "stored in cell "+name)
	r.cells = append(r.cells, c)
	r.mu.Unlock()
	c.v.Store(&cellBox{v: v})
	c.get = c.method("get", nil, (*cellObj).doGet)
	c.set = c.method("set", []string{"v"}, (*cellObj).doSet)
	c.add = c.method("add", []string{"d"}, (*cellObj).doAdd)
	c.cas = c.method("cas", []string{"old", "new"}, (*cellObj).doCas)
	c.swap = c.method("swap", []string{"v"}, (*cellObj).doSwap)
	return c, nil
}

// method makes the builtin for one operation, taking exactly params.
func (c *cellObj) method(m string, params []string, op cellOp) *starlark.Builtin {
	return starlark.NewBuiltin(m, func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if len(kwargs) > 0 || len(args) != len(params) {
			return nil, arityError(c.name+"."+m, params, len(args)+len(kwargs))
		}
		t, err := begin(th)
		if err != nil {
			return nil, err
		}
		return op(c, t, th, args)
	})
}

// arityError says how a method with exactly params is called.
func arityError(fn string, params []string, got int) error {
	if len(params) == 0 {
		return argError("%s() takes no arguments", fn)
	}
	s := "s"
	if len(params) == 1 {
		s = ""
	}
	return argError("%s(%s) takes %d positional argument%s, got %d", fn, joinNames(params), len(params), s, got)
}

func joinNames(ps []string) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += ", "
		}
		s += p
	}
	return s
}

func (c *cellObj) load() starlark.Value { return c.v.Load().v }

func (c *cellObj) doGet(t *thread, th *starlark.Thread, _ starlark.Tuple) (starlark.Value, error) {
	box := c.v.Load()
	t.recVer(trace.Get, c.name, toValue(box.v), callerLine(th), box.ver)
	return box.v, nil
}

func (c *cellObj) freeze(v starlark.Value) {
	if needsFreeze(v) {
		c.r.mu.Lock()
		c.r.moves.note(v, "stored in cell "+c.name)
		c.r.mu.Unlock()
	}
}

func (c *cellObj) doSet(t *thread, th *starlark.Thread, args starlark.Tuple) (starlark.Value, error) {
	v := args[0]
	c.freeze(v)
	// A store that knows the version it replaces: a compare-and-swap
	// loop, which costs what the plain atomic store did on amd64.
	nb := &cellBox{v: v}
	for {
		old := c.v.Load()
		nb.ver = old.ver + 1
		if c.v.CompareAndSwap(old, nb) {
			break
		}
	}
	t.recVer(trace.Set, c.name, toValue(v), callerLine(th), nb.ver)
	return starlark.None, nil
}

// add(d) is an atomic fetch-add: it returns the old value.
func (c *cellObj) doAdd(t *thread, th *starlark.Thread, args starlark.Tuple) (starlark.Value, error) {
	for {
		old := c.v.Load()
		nv, err := starlark.Binary(syntax.PLUS, old.v, args[0])
		if err != nil {
			return nil, fmt.Errorf("%s.add: %w", c.name, err)
		}
		if c.v.CompareAndSwap(old, &cellBox{nv, old.ver + 1}) {
			t.recVer(trace.Add, c.name, toValue(old.v), callerLine(th), old.ver+1)
			return old.v, nil
		}
	}
}

// cas(old, new) sets new if the value equals old, atomically.
func (c *cellObj) doCas(t *thread, th *starlark.Thread, args starlark.Tuple) (starlark.Value, error) {
	c.freeze(args[1])
	for {
		cur := c.v.Load()
		eq, err := starlark.Equal(cur.v, args[0])
		if err != nil {
			return nil, fmt.Errorf("%s.cas: %w", c.name, err)
		}
		if !eq {
			t.recVer(trace.Cas, c.name, trace.Bool(false), callerLine(th), cur.ver)
			return starlark.False, nil
		}
		if c.v.CompareAndSwap(cur, &cellBox{args[1], cur.ver + 1}) {
			t.recVer(trace.Cas, c.name, trace.Bool(true), callerLine(th), cur.ver+1)
			return starlark.True, nil
		}
	}
}

// swap(v) stores v and returns the old value, atomically.
func (c *cellObj) doSwap(t *thread, th *starlark.Thread, args starlark.Tuple) (starlark.Value, error) {
	c.freeze(args[0])
	nb := &cellBox{v: args[0]}
	for {
		old := c.v.Load()
		nb.ver = old.ver + 1
		if c.v.CompareAndSwap(old, nb) {
			t.recVer(trace.Swap, c.name, toValue(args[0]), callerLine(th), nb.ver)
			return old.v, nil
		}
	}
}

var _ starlark.HasAttrs = (*cellObj)(nil)

func (c *cellObj) String() string        { return fmt.Sprintf("<cell %s>", c.name) }
func (c *cellObj) Type() string          { return "cell" }
func (c *cellObj) Freeze()               {}
func (c *cellObj) Truth() starlark.Bool  { return true }
func (c *cellObj) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: cell") }
func (c *cellObj) AttrNames() []string   { return []string{"add", "cas", "get", "name", "set", "swap"} }

func (c *cellObj) Attr(name string) (starlark.Value, error) {
	switch name {
	case "get":
		return c.get, nil
	case "set":
		return c.set, nil
	case "add":
		return c.add, nil
	case "cas":
		return c.cas, nil
	case "swap":
		return c.swap, nil
	case "name":
		return starlark.String(c.name), nil
	}
	return nil, nil
}
