package engine

import (
	"fmt"

	"go.starlark.net/starlark"

	"interleave/sandbox/trace"
)

// semaphoreObj is a counting semaphore. Bounded (the default), it can
// never hold more permits than it started with, so a release without an
// acquire is a script error; unbounded, release always adds one. Waiters
// queue in order of arrival; a release wakes the longest one, which
// competes with any thread that arrives meanwhile. Guarded by run.mu.
type semaphoreObj struct {
	r       *run
	name    string
	permits int
	max     int // -1: unbounded
	waiters []*thread
	acquire *starlark.Builtin
	release *starlark.Builtin
	try     *starlark.Builtin
}

// semaphore(name, permits, bounded=True)
func newSemaphore(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var permits int
	bounded := true
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "permits", &permits, "bounded?", &bounded); err != nil {
		return nil, wrapArg(err)
	}
	if permits < 0 {
		return nil, argError("semaphore: permits must be a whole number from 0 up, not %d", permits)
	}
	t, err := begin(th, Op{})
	if err != nil {
		return nil, err
	}
	s := &semaphoreObj{r: t.r, name: name, permits: permits, max: -1}
	if bounded {
		s.max = permits
	}
	s.acquire = starlark.NewBuiltin("acquire", s.doAcquire)
	s.release = starlark.NewBuiltin("release", s.doRelease)
	s.try = starlark.NewBuiltin("try_acquire", s.doTry)
	return s, nil
}

// Events carry the permits left after them in V.

func (s *semaphoreObj) doAcquire(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(b, args, kwargs); err != nil {
		return nil, err
	}
	t, err := begin(th, syncAt(trace.SemAcquire, s.name, trace.Value{}))
	if err != nil {
		return nil, err
	}
	r, line := s.r, callerLine(th)
	t.rec(trace.SemAcquire, s.name, trace.Value{}, line)
	r.mu.Lock()
	for s.permits == 0 {
		s.waiters = append(s.waiters, t)
		if err := t.block(waitEdge{kind: waitSem, name: s.name, line: line}); err != nil {
			s.waiters = remove(s.waiters, t)
			r.mu.Unlock()
			return nil, err
		}
	}
	s.permits--
	t.rec(trace.SemAcquired, s.name, trace.Int(int64(s.permits)), line)
	r.mu.Unlock()
	return starlark.None, nil
}

func (s *semaphoreObj) doRelease(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(b, args, kwargs); err != nil {
		return nil, err
	}
	t, err := begin(th, syncAt(trace.SemRelease, s.name, trace.Value{}))
	if err != nil {
		return nil, err
	}
	r := s.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.max >= 0 && s.permits >= s.max {
		return nil, argError("release of semaphore %s by thread %s beyond its %d permits: release only what you acquired", s.name, t.name, s.max)
	}
	s.permits++
	t.rec(trace.SemRelease, s.name, trace.Int(int64(s.permits)), callerLine(th))
	for len(s.waiters) > 0 {
		w := s.waiters[0]
		s.waiters = s.waiters[1:]
		if w.state == stBlocked && w.wait.kind == waitSem {
			r.unpark(w)
			break
		}
	}
	return starlark.None, nil
}

func (s *semaphoreObj) doTry(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(b, args, kwargs); err != nil {
		return nil, err
	}
	t, err := begin(th, syncAt(trace.SemTry, s.name, trace.Value{}))
	if err != nil {
		return nil, err
	}
	r := s.r
	r.mu.Lock()
	ok := s.permits > 0
	if ok {
		s.permits--
	}
	t.rec(trace.SemTry, s.name, trace.Bool(ok), callerLine(th))
	r.mu.Unlock()
	return starlark.Bool(ok), nil
}

var _ starlark.HasAttrs = (*semaphoreObj)(nil)

func (s *semaphoreObj) String() string        { return fmt.Sprintf("<semaphore %s>", s.name) }
func (s *semaphoreObj) Type() string          { return "semaphore" }
func (s *semaphoreObj) Freeze()               {}
func (s *semaphoreObj) Truth() starlark.Bool  { return true }
func (s *semaphoreObj) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: semaphore") }
func (s *semaphoreObj) AttrNames() []string {
	return []string{"acquire", "name", "release", "try_acquire"}
}

func (s *semaphoreObj) Attr(name string) (starlark.Value, error) {
	switch name {
	case "acquire":
		return s.acquire, nil
	case "release":
		return s.release, nil
	case "try_acquire":
		return s.try, nil
	case "name":
		return starlark.String(s.name), nil
	}
	return nil, nil
}
