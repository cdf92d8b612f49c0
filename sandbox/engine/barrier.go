package engine

import (
	"fmt"

	"go.starlark.net/starlark"

	"interleave/sandbox/trace"
)

// barrierObj lets n threads meet: wait() blocks until n threads have
// called it, then lets them all go and starts a new generation. As in
// Rust, the last thread to arrive is the generation's leader. Guarded by
// run.mu.
type barrierObj struct {
	r       *run
	name    string
	n       int
	arrived []*thread
	gen     uint64
	wait    *starlark.Builtin
}

// barrier(name, n)
func newBarrier(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var n int
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "n", &n); err != nil {
		return nil, wrapArg(err)
	}
	if n < 1 {
		return nil, argError("barrier: n must be a whole number from 1 up, not %d", n)
	}
	t, err := begin(th, Op{})
	if err != nil {
		return nil, err
	}
	br := &barrierObj{r: t.r, name: name, n: n}
	br.wait = starlark.NewBuiltin("wait", br.doWait)
	return br, nil
}

// br.wait() returns True for the one leader of each generation.
func (br *barrierObj) doWait(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(b, args, kwargs); err != nil {
		return nil, err
	}
	t, err := begin(th, syncAt(trace.BarrierWait, br.name, trace.Value{}))
	if err != nil {
		return nil, err
	}
	r, line := br.r, callerLine(th)
	r.mu.Lock()
	// Ver is the generation (from 1), V how many have arrived with this one.
	t.recVer(trace.BarrierWait, br.name, trace.Int(int64(len(br.arrived)+1)), line, br.gen+1)
	leader := len(br.arrived)+1 == br.n
	gen := br.gen
	if leader {
		for _, w := range br.arrived {
			r.unpark(w)
		}
		br.arrived = br.arrived[:0]
		br.gen++
	} else {
		br.arrived = append(br.arrived, t)
		for br.gen == gen {
			if err := t.block(waitEdge{kind: waitBarrier, name: br.name, line: line}); err != nil {
				r.mu.Unlock()
				return nil, err
			}
		}
	}
	t.recVer(trace.BarrierPassed, br.name, trace.Bool(leader), line, gen+1)
	r.mu.Unlock()
	return starlark.Bool(leader), nil
}

var _ starlark.HasAttrs = (*barrierObj)(nil)

func (br *barrierObj) String() string        { return fmt.Sprintf("<barrier %s>", br.name) }
func (br *barrierObj) Type() string          { return "barrier" }
func (br *barrierObj) Freeze()               {}
func (br *barrierObj) Truth() starlark.Bool  { return true }
func (br *barrierObj) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: barrier") }
func (br *barrierObj) AttrNames() []string   { return []string{"n", "name", "wait"} }

func (br *barrierObj) Attr(name string) (starlark.Value, error) {
	switch name {
	case "wait":
		return br.wait, nil
	case "n":
		return starlark.MakeInt(br.n), nil
	case "name":
		return starlark.String(br.name), nil
	}
	return nil, nil
}
