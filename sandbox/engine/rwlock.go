package engine

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"

	"interleave/sandbox/trace"
)

// rwlockObj is a readers-writer lock that prefers readers: a reader gets
// in whenever no writer holds the lock, even while writers wait, so a
// steady stream of readers can starve a writer (Rust's RwLock leaves the
// policy to the platform; this one is fixed so that starvation can be
// shown). Its state is guarded by run.mu. Every unlock wakes every
// waiter, which then checks again whether it may go in.
type rwlockObj struct {
	r       *run
	name    string
	writer  *thread
	readers map[*thread]int // thread -> read locks it holds
	waiters []*thread
	read    *starlark.Builtin
	write   *starlark.Builtin
	unlock  *starlark.Builtin
	tryR    *starlark.Builtin
	tryW    *starlark.Builtin
}

// rwlock(name)
func newRWLock(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	t, name, err := beginNamed(th, b, args, kwargs)
	if err != nil {
		return nil, err
	}
	l := &rwlockObj{r: t.r, name: name, readers: map[*thread]int{}}
	l.read = starlark.NewBuiltin("read", l.doLock)
	l.write = starlark.NewBuiltin("write", l.doLock)
	l.unlock = starlark.NewBuiltin("unlock", l.doUnlock)
	l.tryR = starlark.NewBuiltin("try_read", l.doTry)
	l.tryW = starlark.NewBuiltin("try_write", l.doTry)
	return l, nil
}

// holder is the thread a waiter for a read (write false) or write lock
// waits for: the writer, or for a writer the lowest reader. r.mu is held.
func (l *rwlockObj) holder(write bool) *thread {
	if l.writer != nil || !write {
		return l.writer
	}
	var low *thread
	for t := range l.readers {
		if low == nil || t.id < low.id {
			low = t
		}
	}
	return low
}

func (l *rwlockObj) free(write bool) bool {
	return l.writer == nil && (!write || len(l.readers) == 0)
}

func (l *rwlockObj) take(t *thread, write bool) {
	if write {
		l.writer = t
	} else {
		l.readers[t]++
	}
}

func rwKind(write bool) string {
	if write {
		return "write"
	}
	return "read"
}

// l.read(), l.write()
func (l *rwlockObj) doLock(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(b, args, kwargs); err != nil {
		return nil, err
	}
	t, err := begin(th, syncAt(trace.Lock, l.name, trace.Str(b.Name())))
	if err != nil {
		return nil, err
	}
	write := b.Name() == "write"
	kind, wk := rwKind(write), waitRead
	if write {
		wk = waitWrite
	}
	r, line := l.r, callerLine(th)
	t.rec(trace.Lock, l.name, trace.Str(kind), line)
	r.mu.Lock()
	for !l.free(write) {
		l.waiters = append(l.waiters, t)
		if err := t.block(waitEdge{kind: wk, rw: l, line: line}); err != nil {
			l.waiters = remove(l.waiters, t)
			r.mu.Unlock()
			return nil, err
		}
	}
	l.take(t, write)
	t.rec(trace.Acquired, l.name, trace.Str(kind), line)
	r.mu.Unlock()
	return starlark.None, nil
}

// l.unlock() releases the lock the thread holds, a write lock or one of
// its read locks.
func (l *rwlockObj) doUnlock(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(b, args, kwargs); err != nil {
		return nil, err
	}
	t, err := begin(th, syncAt(trace.Unlock, l.name, trace.Value{}))
	if err != nil {
		return nil, err
	}
	r := l.r
	r.mu.Lock()
	defer r.mu.Unlock()
	kind := "write"
	switch {
	case l.writer == t:
		l.writer = nil
	case l.readers[t] > 0:
		kind = "read"
		if l.readers[t]--; l.readers[t] == 0 {
			delete(l.readers, t)
		}
	case l.writer != nil:
		return nil, fmt.Errorf("unlock of rwlock %s by thread %s, but thread %s holds its write lock", l.name, t.name, l.writer.name)
	default:
		return nil, fmt.Errorf("unlock of rwlock %s by thread %s, which holds neither its read nor its write lock", l.name, t.name)
	}
	t.rec(trace.Unlock, l.name, trace.Str(kind), callerLine(th))
	for _, w := range l.waiters {
		r.unpark(w)
	}
	l.waiters = l.waiters[:0]
	return starlark.None, nil
}

// l.try_read(), l.try_write()
func (l *rwlockObj) doTry(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(b, args, kwargs); err != nil {
		return nil, err
	}
	t, err := begin(th, syncAt(trace.TryLock, l.name, trace.Str(strings.TrimPrefix(b.Name(), "try_"))))
	if err != nil {
		return nil, err
	}
	write := b.Name() == "try_write"
	r := l.r
	r.mu.Lock()
	ok := l.free(write)
	if ok {
		l.take(t, write)
	}
	t.rec(trace.TryLock, l.name, trace.Bool(ok), callerLine(th))
	r.mu.Unlock()
	return starlark.Bool(ok), nil
}

var _ starlark.HasAttrs = (*rwlockObj)(nil)

func (l *rwlockObj) String() string        { return fmt.Sprintf("<rwlock %s>", l.name) }
func (l *rwlockObj) Type() string          { return "rwlock" }
func (l *rwlockObj) Freeze()               {}
func (l *rwlockObj) Truth() starlark.Bool  { return true }
func (l *rwlockObj) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: rwlock") }
func (l *rwlockObj) AttrNames() []string {
	return []string{"name", "read", "try_read", "try_write", "unlock", "write"}
}

func (l *rwlockObj) Attr(name string) (starlark.Value, error) {
	switch name {
	case "read":
		return l.read, nil
	case "write":
		return l.write, nil
	case "unlock":
		return l.unlock, nil
	case "try_read":
		return l.tryR, nil
	case "try_write":
		return l.tryW, nil
	case "name":
		return starlark.String(l.name), nil
	}
	return nil, nil
}
