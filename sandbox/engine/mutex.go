package engine

import (
	"fmt"

	"go.starlark.net/starlark"

	"interleave/sandbox/trace"
)

// mutexObj is a mutual-exclusion lock. Its owner and waiters are guarded
// by run.mu, so that taking it and checking the wait-for graph for a cycle
// are one step. Unlock wakes the longest waiter, which then competes with
// any thread that arrives meanwhile (like most real mutexes, it is not
// strictly fair).
type mutexObj struct {
	r       *run
	name    string
	id      int // identity for sim mode's chooser
	owner   *thread
	waiters []*thread
	lock    *starlark.Builtin
	unlock  *starlark.Builtin
	tryLock *starlark.Builtin
}

// mutex(name)
func newMutex(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	t, name, err := beginNamed(th, b, args, kwargs)
	if err != nil {
		return nil, err
	}
	m := &mutexObj{r: t.r, name: name, id: t.r.newObjID()}
	m.lock = starlark.NewBuiltin("lock", m.doLock)
	m.unlock = starlark.NewBuiltin("unlock", m.doUnlock)
	m.tryLock = starlark.NewBuiltin("try_lock", m.doTryLock)
	return m, nil
}

func (m *mutexObj) doLock(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	t, err := beginNoArgs(th, b, args, kwargs, m.op(trace.Lock))
	if err != nil {
		return nil, err
	}
	if err := m.acquire(t, callerLine(th)); err != nil {
		return nil, err
	}
	return starlark.None, nil
}

// acquire takes m for t, waiting as long as it takes; a condvar wait
// reacquires its mutex this way too.
func (m *mutexObj) acquire(t *thread, line int) error {
	r := m.r
	t.rec(trace.Lock, m.name, trace.Value{}, line)
	r.mu.Lock()
	for m.owner != nil {
		m.waiters = append(m.waiters, t)
		if err := t.block(waitEdge{kind: waitLock, mu: m, line: line}); err != nil {
			r.mu.Unlock()
			return err
		}
	}
	m.owner = t
	t.rec(trace.Acquired, m.name, trace.Value{}, line)
	r.mu.Unlock()
	return nil
}

func (m *mutexObj) doUnlock(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	t, err := beginNoArgs(th, b, args, kwargs, m.op(trace.Unlock))
	if err != nil {
		return nil, err
	}
	m.r.mu.Lock()
	defer m.r.mu.Unlock()
	if err := m.release(t, callerLine(th)); err != nil {
		return nil, err
	}
	return starlark.None, nil
}

// release unlocks m, held by t, and wakes its longest waiter; r.mu is
// held.
func (m *mutexObj) release(t *thread, line int) error {
	r := m.r
	if m.owner != t {
		if m.owner == nil {
			return fmt.Errorf("unlock of mutex %s by thread %s, but it is not locked", m.name, t.name)
		}
		return fmt.Errorf("unlock of mutex %s by thread %s, but thread %s holds it", m.name, t.name, m.owner.name)
	}
	t.rec(trace.Unlock, m.name, trace.Value{}, line)
	m.owner = nil
	for len(m.waiters) > 0 {
		w := m.waiters[0]
		m.waiters = m.waiters[1:]
		if w.state == stBlocked && w.wait.mu == m {
			r.unpark(w)
			break
		}
	}
	return nil
}

func (m *mutexObj) doTryLock(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	t, err := beginNoArgs(th, b, args, kwargs, m.op(trace.TryLock))
	if err != nil {
		return nil, err
	}
	r := m.r
	r.mu.Lock()
	ok := m.owner == nil
	if ok {
		m.owner = t
	}
	t.rec(trace.TryLock, m.name, trace.Bool(ok), callerLine(th))
	r.mu.Unlock()
	return starlark.Bool(ok), nil
}

// op is what a thread about to call k on m will do.
func (m *mutexObj) op(k trace.Kind) Op {
	op := Op{K: k, Obj: m.name, ID: m.id, Write: true}
	if k == trace.Lock {
		op.blk = m
	}
	return op
}

var _ starlark.HasAttrs = (*mutexObj)(nil)

func (m *mutexObj) String() string        { return fmt.Sprintf("<mutex %s>", m.name) }
func (m *mutexObj) Type() string          { return "mutex" }
func (m *mutexObj) Freeze()               {}
func (m *mutexObj) Truth() starlark.Bool  { return true }
func (m *mutexObj) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: mutex") }
func (m *mutexObj) AttrNames() []string   { return []string{"lock", "name", "try_lock", "unlock"} }

func (m *mutexObj) Attr(name string) (starlark.Value, error) {
	switch name {
	case "lock":
		return m.lock, nil
	case "unlock":
		return m.unlock, nil
	case "try_lock":
		return m.tryLock, nil
	case "name":
		return starlark.String(m.name), nil
	}
	return nil, nil
}
