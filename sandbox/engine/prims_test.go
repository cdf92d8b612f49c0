package engine

import (
	"testing"

	"interleave/sandbox/trace"
)

// condvarCases are TestCondvar's runs.
var condvarCases = []runCase{
	{name: "wait and notify_one", want: trace.StatusOK, src: mainOf(`
    m = mutex("m")
    cv = condvar("cv")
    box = cell("box", 0)
    def consumer():
        m.lock()
        while box.get() == 0:
            cv.wait(m)
        v = box.get()
        m.unlock()
        return v
    h = spawn(consumer, name = "consumer")
    m.lock()
    box.set(42)
    cv.notify_one()
    m.unlock()
    check(h.join() == 42, "consumer saw 42")
`)},
	{name: "wait_while and notify_all", want: trace.StatusOK, src: mainOf(`
    m = mutex("m")
    cv = condvar("cv")
    go = cell("go", 0)
    done = cell("done", 0)
    def waiter():
        m.lock()
        cv.wait_while(m, lambda: go.get() == 0)
        m.unlock()
        done.add(1)
    hs = [spawn(waiter) for i in range(3)]
    sleep(1)
    m.lock()
    go.set(1)
    cv.notify_all()
    m.unlock()
    for h in hs:
        h.join()
    check(done.get() == 3, "all three woke")
`)},
	{name: "wait_timeout times out", want: trace.StatusOK, src: mainOf(`
    m = mutex("m")
    cv = condvar("cv")
    m.lock()
    check(cv.wait_timeout(m, 2) == True, "timed out")
    m.unlock()
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
		if e, ok := find(evs, trace.CvWoke, "cv"); !ok || e.V.Str != "timeout" {
			t.Errorf("cvwoke = %+v, want V timeout", e)
		}
	}},
	{name: "wait_timeout notified", want: trace.StatusOK, src: mainOf(`
    m = mutex("m")
    cv = condvar("cv")
    def notifier():
        m.lock()
        cv.notify_one()
        m.unlock()
    m.lock()
    h = spawn(notifier)
    check(cv.wait_timeout(m, 30000) == False, "notified in time")
    m.unlock()
    h.join()
`)},
	{name: "wait without the mutex", want: trace.StatusError, msg: "condvar cv: thread main waits with mutex m, which it does not hold", src: mainOf(`
    m = mutex("m")
    cv = condvar("cv")
    cv.wait(m)
`)},
	{name: "spurious wake-up breaks if", modes: []trace.Mode{trace.ModeSim}, want: trace.StatusOK, src: mainOf(`
    m = mutex("m")
    cv = condvar("cv", spurious = True)
    woke = 0
    m.lock()
    for i in range(20):
        if not cv.wait_timeout(m, 1):
            woke += 1
    m.unlock()
    check(woke > 0, "some waits woke early with no notify")
`)},
}

func TestCondvar(t *testing.T) {
	runCases(t, condvarCases)
}

func TestRWLock(t *testing.T) {
	runCases(t, []runCase{
		{name: "readers share, writer excludes", want: trace.StatusOK, src: mainOf(`
    l = rwlock("l")
    l.read()
    check(l.try_read() == True, "second read")
    check(l.try_write() == False, "no write while read")
    l.unlock()
    l.unlock()
    check(l.try_write() == True, "write when free")
    check(l.try_read() == False, "no read while written")
    l.unlock()
`)},
		{name: "writer waits for reader", want: trace.StatusOK, src: mainOf(`
    l = rwlock("l")
    c = cell("c")
    def writer():
        l.write()
        c.set(1)
        l.unlock()
    l.read()
    h = spawn(writer)
    sleep(1)
    check(c.get() == 0, "writer kept out")
    l.unlock()
    h.join()
    check(c.get() == 1, "writer got in")
`)},
		{name: "unlock not held", want: trace.StatusPanic, msg: "unlock of rwlock l by thread main, which holds neither", src: mainOf(`
    l = rwlock("l")
    l.unlock()
`)},
	})
}

func TestBarrier(t *testing.T) {
	runCases(t, []runCase{
		{name: "one leader per generation", want: trace.StatusOK, src: mainOf(`
    b = barrier("b", 3)
    leaders = cell("leaders")
    def worker():
        for gen in range(2):
            if b.wait():
                leaders.add(1)
    hs = [spawn(worker) for i in range(3)]
    for h in hs:
        h.join()
    check(leaders.get() == 2, "two generations, two leaders")
`)},
		{name: "n must be positive", want: trace.StatusError, msg: "barrier: n must be", src: mainOf(`
    barrier("b", 0)
`)},
	})
}

func TestSemaphore(t *testing.T) {
	runCases(t, []runCase{
		{name: "permits bound the holders", want: trace.StatusOK, src: mainOf(`
    s = semaphore("s", 2)
    inside = cell("inside")
    most = cell("most")
    def user():
        s.acquire()
        n = inside.add(1) + 1
        if n > most.get():
            most.set(n)
        sleep(1)
        inside.add(-1)
        s.release()
    hs = [spawn(user) for i in range(4)]
    for h in hs:
        h.join()
    check(most.get() <= 2, "at most two inside")
`)},
		{name: "try_acquire", want: trace.StatusOK, src: mainOf(`
    s = semaphore("s", 1)
    check(s.try_acquire() == True, "first")
    check(s.try_acquire() == False, "none left")
    s.release()
`)},
		{name: "release beyond permits", want: trace.StatusError, msg: "release of semaphore s by thread main beyond its 1 permits", src: mainOf(`
    s = semaphore("s", 1)
    s.release()
`)},
		{name: "unbounded release", want: trace.StatusOK, src: mainOf(`
    s = semaphore("s", 0, bounded = False)
    s.release()
    check(s.try_acquire(), "released permit")
`)},
	})
}

func TestParkOnceScope(t *testing.T) {
	runCases(t, []runCase{
		{name: "unpark before park is kept", want: trace.StatusOK, src: mainOf(`
    def sleeper():
        sleep(5)
        park()
        return 1
    h = spawn(sleeper)
    h.unpark()
    h.unpark()
    check(h.join() == 1, "park returned at once")
`)},
		{name: "park waits for unpark", want: trace.StatusOK, src: mainOf(`
    c = cell("c")
    def waiter():
        park()
        return c.get()
    h = spawn(waiter)
    sleep(2)
    c.set(7)
    h.unpark()
    check(h.join() == 7, "saw the value set before unpark")
`)},
		{name: "once runs fn once", want: trace.StatusOK, src: mainOf(`
    o = once("init")
    runs = cell("runs")
    def init():
        runs.add(1)
        sleep(1)
        return "config"
    def user():
        return o.call(init)
    hs = [spawn(user) for i in range(4)]
    got = [h.join() for h in hs]
    check(runs.get() == 1, "init ran once")
    check(got == ["config"] * 4, "everyone got its value")
`)},
		{name: "once tries again after a failure", want: trace.StatusOK, src: mainOf(`
    o = once("init")
    tries = cell("tries")
    def flaky():
        if tries.add(1) == 0:
            fail("first try fails")
        return "ok"
    h = spawn(lambda: o.call(flaky), name = "first")
    sleep(1)
    check(o.call(flaky) == "ok", "the second call ran it again")
    check(tries.get() == 2, "two tries")
`)},
		{name: "scope fails with its thread's panic", want: trace.StatusPanic, msg: "join: thread bad panicked", src: mainOf(`
    def body():
        spawn(lambda: fail("boom"), name = "bad")
    scope(body)
`)},
		{name: "scope joins and borrows", want: trace.StatusOK, src: mainOf(`
    data = [1, 2, 3, 4]
    total = cell("total")
    def add_all(xs):
        for x in xs:
            total.add(x)
    def body():
        spawn(add_all, data[:2])
        spawn(lambda: add_all(data[2:]))
    scope(body)
    check(total.get() == 10, "joined before scope returned")
    check(len(data) == 4, "main can still read data")
`)},
		{name: "scope borrow is read-only", want: trace.StatusPanic, msg: "borrowed read-only by thread", src: mainOf(`
    data = [1, 2]
    def body():
        spawn(lambda: len(data), name = "reader")
    scope(body)
    data.append(3)
`)},
	})
}

func TestDeadlockNewKinds(t *testing.T) {
	runCases(t, []runCase{
		{name: "condvar nobody notifies", want: trace.StatusDeadlock, msg: "consumer waits on not_empty; no thread left can notify it", src: mainOf(`
    m = mutex("m")
    cv = condvar("not_empty")
    def consumer():
        m.lock()
        cv.wait(m)
        m.unlock()
    spawn(consumer, name = "consumer").join()
`)},
		{name: "rwlock cycle", want: trace.StatusDeadlock, msg: "waits to write-lock table, held by", src: mainOf(`
    l = rwlock("table")
    m = mutex("m")
    def a():
        l.read()
        sleep(2)
        m.lock()
    def b():
        m.lock()
        sleep(2)
        l.write()
    x = spawn(a, name = "a")
    y = spawn(b, name = "b")
    x.join()
`)},
		{name: "upgrade read to write", want: trace.StatusDeadlock, msg: "upgrading a read lock", src: mainOf(`
    l = rwlock("l")
    l.read()
    l.write()
`)},
		{name: "barrier never fills", want: trace.StatusDeadlock, msg: "waits at barrier phase, which no thread left can fill", src: mainOf(`
    b = barrier("phase", 3)
    spawn(lambda: b.wait(), name = "w1")
    b.wait()
`)},
		{name: "semaphore nobody releases", want: trace.StatusDeadlock, msg: "waits for a permit of semaphore pool", src: mainOf(`
    s = semaphore("pool", 1)
    s.acquire()
    s.acquire()
`)},
		{name: "park nobody unparks", want: trace.StatusDeadlock, msg: "main is parked; no thread left can unpark it", src: mainOf(`
    park()
`)},
	})
}
