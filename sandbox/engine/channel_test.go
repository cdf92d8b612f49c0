package engine

import (
	"slices"
	"testing"

	"interleave/sandbox/trace"
)

// channelCases are TestChannel's runs.
var channelCases = []runCase{
	{name: "unbounded fifo", want: trace.StatusOK, src: mainOf(`
    c = channel("c")
    for i in range(5):
        c.send(i)
    c.close()
    got = [v for v in c]
    check(got == [0, 1, 2, 3, 4], "fifo")
    check(c.recv() == None, "closed and drained")
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
		s, _ := find(evs, trace.Sent, "c")
		if s.V != trace.Int(0) {
			t.Errorf("first sent = %+v, want V=0", s)
		}
		if n := countKind(evs, trace.Received); n != 7 {
			t.Errorf("received events = %d, want 7 (5 values, the end of the loop, the last recv)", n)
		}
	}},
	{name: "producer consumer", want: trace.StatusOK, src: mainOf(`
    jobs = channel("jobs", capacity = 2)
    results = channel("results")
    def worker():
        for j in jobs:
            results.send(j * j)
    ws = [spawn(worker, name = "w%d" % i) for i in range(3)]
    for i in range(10):
        jobs.send(i)
    jobs.close()
    for w in ws:
        w.join()
    results.close()
    total = 0
    for r in results:
        total += r
    check(total == 285, "sum of squares")
`)},
	{name: "rendezvous", want: trace.StatusOK, src: mainOf(`
    c = channel("c", capacity = 0)
    order = channel("order")
    def r():
        sleep(5)
        order.send("recv")
        return c.recv()
    h = spawn(r, name = "r")
    c.send("hi")
    order.send("sent")
    check(h.join() == "hi", "value")
    order.close()
    check([x for x in order] == ["recv", "sent"], "send waits for the receiver")
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
		got := kinds(evs, 0)
		i := slices.Index(got, "send")
		if i < 0 || got[i+1] != "sent" {
			t.Errorf("main's events = %v, want send then sent", got)
		}
	}},
	{name: "send on closed panics", want: trace.StatusPanic, msg: "send on closed channel c", src: mainOf(`
    c = channel("c")
    c.close()
    c.send(1)
`)},
	{name: "close twice panics", want: trace.StatusPanic, msg: "close of closed channel c", src: mainOf(`
    c = channel("c")
    c.close()
    c.close()
`)},
	{name: "close wakes a blocked receiver", want: trace.StatusOK, src: mainOf(`
    c = channel("c")
    def r():
        return c.recv()
    h = spawn(r)
    sleep(5)
    c.close()
    check(h.join() == None, "None once closed")
`)},
	{name: "a sent list is frozen", want: trace.StatusPanic, msg: "it was sent on channel c", src: mainOf(`
    c = channel("c")
    xs = [1]
    c.send(xs)
    xs.append(2)
`)},
	{name: "bad capacity", want: trace.StatusError, msg: "capacity must be None", src: mainOf(`
    channel("c", capacity = -1)
`)},
}

func TestChannel(t *testing.T) {
	runCases(t, channelCases)
}
