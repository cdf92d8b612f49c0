package engine

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"

	"go.starlark.net/starlark"

	"interleave/sandbox/trace"
)

// condvarObj is a condition variable. Its waiters are guarded by run.mu;
// notify_one wakes the longest waiter, notify_all every one, and a woken
// waiter then competes for its mutex like any other thread. With
// spurious=True, in sim mode, a wait may also return without a notify,
// as the standard library allows: whether it does is drawn from a PRNG
// seeded with the run's seed and the condvar's name, so the same seed
// shows the same spurious wake-ups whatever the schedule.
type condvarObj struct {
	r        *run
	name     string
	waiters  []*cvWaiter
	spurious *rand.Rand // nil: no spurious wake-ups
	wait     *starlark.Builtin
	waitW    *starlark.Builtin
	waitT    *starlark.Builtin
	one      *starlark.Builtin
	all      *starlark.Builtin
}

// cvWaiter is one thread in a condvar's wait queue.
type cvWaiter struct {
	t        *thread
	notified bool
}

// condvar(name, spurious=False)
func newCondvar(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	spurious := false
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "spurious?", &spurious); err != nil {
		return nil, wrapArg(err)
	}
	t, err := begin(th, Op{})
	if err != nil {
		return nil, err
	}
	c := &condvarObj{r: t.r, name: name}
	if spurious && t.r.sim != nil {
		h := fnv.New64a()
		h.Write([]byte(name))
		c.spurious = rand.New(rand.NewPCG(uint64(t.r.req.Seed), h.Sum64()))
	}
	c.wait = starlark.NewBuiltin("wait", c.doWait)
	c.waitW = starlark.NewBuiltin("wait_while", c.doWaitWhile)
	c.waitT = starlark.NewBuiltin("wait_timeout", c.doWaitTimeout)
	c.one = starlark.NewBuiltin("notify_one", c.doNotify)
	c.all = starlark.NewBuiltin("notify_all", c.doNotify)
	return c, nil
}

func mutexArg(b *starlark.Builtin, v starlark.Value) (*mutexObj, error) {
	m, ok := v.(*mutexObj)
	if !ok {
		return nil, argError("%s: the first argument must be a mutex, not %s", b.Name(), v.Type())
	}
	return m, nil
}

// waitOnce releases m, waits for a notify (or ns of time, if ns >= 0),
// and reacquires m. It reports whether the wait timed out.
func (c *condvarObj) waitOnce(t *thread, m *mutexObj, ns int64, line int) (bool, error) {
	r := c.r
	r.mu.Lock()
	if m.owner != t {
		r.mu.Unlock()
		return false, argError("condvar %s: thread %s waits with mutex %s, which it does not hold: lock it first", c.name, t.name, m.name)
	}
	if err := m.release(t, line); err != nil {
		r.mu.Unlock()
		return false, err
	}
	t.rec(trace.CvWait, c.name, trace.Str(m.name), line)
	if r.sim != nil {
		// Once woken, the thread's next step takes m back: a choice
		// says so, not that it will wait again.
		t.next = syncAt(trace.CvWoke, c.name, trace.Str(m.name))
		t.next.Line = line
	}
	w := &cvWaiter{t: t}
	how := "notified"
	switch {
	case c.spurious != nil && c.spurious.IntN(2) == 0:
		// A spurious wake-up: the wait returns at its next turn.
		how = "spurious"
		r.mu.Unlock()
		if err := r.sched.yield(t); err != nil {
			return false, err
		}
		r.mu.Lock()
	default:
		c.waiters = append(c.waiters, w)
		for !w.notified {
			var err error
			if ns >= 0 {
				err = t.timedPark(ns)
				if err == nil && !w.notified {
					how = "timeout"
					c.dequeue(w)
					break
				}
			} else {
				err = t.block(waitEdge{kind: waitCondvar, name: c.name, line: line})
			}
			if err != nil {
				c.dequeue(w)
				r.mu.Unlock()
				return false, err
			}
		}
	}
	r.mu.Unlock()
	t.rec(trace.CvWoke, c.name, trace.Str(how), line)
	if err := m.acquire(t, line); err != nil {
		return false, err
	}
	return how == "timeout", nil
}

func (c *condvarObj) dequeue(w *cvWaiter) {
	for i, x := range c.waiters {
		if x == w {
			c.waiters = append(c.waiters[:i:i], c.waiters[i+1:]...)
			return
		}
	}
}

// cv.wait(m)
func (c *condvarObj) doWait(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var mv starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &mv); err != nil {
		return nil, wrapArg(err)
	}
	m, err := mutexArg(b, mv)
	if err != nil {
		return nil, err
	}
	t, err := begin(th, syncAt(trace.CvWait, c.name, trace.Str(m.name)))
	if err != nil {
		return nil, err
	}
	if _, err := c.waitOnce(t, m, -1, callerLine(th)); err != nil {
		return nil, err
	}
	return starlark.None, nil
}

// cv.wait_while(m, pred): wait as long as pred() is true.
func (c *condvarObj) doWaitWhile(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var mv starlark.Value
	var pred starlark.Callable
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 2, &mv, &pred); err != nil {
		return nil, wrapArg(err)
	}
	m, err := mutexArg(b, mv)
	if err != nil {
		return nil, err
	}
	t, err := begin(th, syncAt(trace.CvWait, c.name, trace.Str(m.name)))
	if err != nil {
		return nil, err
	}
	line := callerLine(th)
	for {
		v, err := starlark.Call(th, pred, nil, nil)
		if err != nil {
			return nil, err
		}
		if !v.Truth() {
			return starlark.None, nil
		}
		if _, err := c.waitOnce(t, m, -1, line); err != nil {
			return nil, err
		}
	}
}

// cv.wait_timeout(m, ms): returns True if it timed out.
func (c *condvarObj) doWaitTimeout(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var mv, msv starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 2, &mv, &msv); err != nil {
		return nil, wrapArg(err)
	}
	m, err := mutexArg(b, mv)
	if err != nil {
		return nil, err
	}
	ms, ok := starlark.AsFloat(msv)
	if !ok || !(ms >= 0 && ms <= maxSleepMs) {
		return nil, argError("wait_timeout: ms must be a number from 0 to %d, not %s", maxSleepMs, msv)
	}
	t, err := begin(th, syncAt(trace.CvWait, c.name, trace.Str(m.name)))
	if err != nil {
		return nil, err
	}
	timedOut, err := c.waitOnce(t, m, int64(ms*1e6), callerLine(th))
	if err != nil {
		return nil, err
	}
	return starlark.Bool(timedOut), nil
}

// cv.notify_one(), cv.notify_all()
func (c *condvarObj) doNotify(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(b, args, kwargs); err != nil {
		return nil, err
	}
	t, err := begin(th, syncAt(trace.Notify, c.name, trace.Str(strings.TrimPrefix(b.Name(), "notify_"))))
	if err != nil {
		return nil, err
	}
	r := c.r
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(c.waiters)
	what := "all"
	if b.Name() == "notify_one" {
		n, what = min(n, 1), "one"
	}
	// V says which notify; Ver how many waiters it woke.
	t.recVer(trace.Notify, c.name, trace.Str(what), callerLine(th), uint64(n))
	for _, w := range c.waiters[:n] {
		w.notified = true
		if w.t.state == stSleeping {
			r.wakeTimed(w.t)
		} else {
			r.unpark(w.t)
		}
	}
	c.waiters = append(c.waiters[:0:0], c.waiters[n:]...)
	return starlark.None, nil
}

var _ starlark.HasAttrs = (*condvarObj)(nil)

func (c *condvarObj) String() string        { return fmt.Sprintf("<condvar %s>", c.name) }
func (c *condvarObj) Type() string          { return "condvar" }
func (c *condvarObj) Freeze()               {}
func (c *condvarObj) Truth() starlark.Bool  { return true }
func (c *condvarObj) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: condvar") }
func (c *condvarObj) AttrNames() []string {
	return []string{"name", "notify_all", "notify_one", "wait", "wait_timeout", "wait_while"}
}

func (c *condvarObj) Attr(name string) (starlark.Value, error) {
	switch name {
	case "wait":
		return c.wait, nil
	case "wait_while":
		return c.waitW, nil
	case "wait_timeout":
		return c.waitT, nil
	case "notify_one":
		return c.one, nil
	case "notify_all":
		return c.all, nil
	case "name":
		return starlark.String(c.name), nil
	}
	return nil, nil
}
