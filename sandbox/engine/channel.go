package engine

import (
	"fmt"

	"go.starlark.net/starlark"

	"interleave/sandbox/trace"
)

// chanObj is a channel: a FIFO queue of capacity cap (-1 = unbounded, 0 =
// rendezvous). Its state is guarded by run.mu. A blocked sender parks with
// its value in thread.chanVal; a receiver or the buffer takes it from
// there and sets chanDone. Every message is numbered as it is sent, and
// the number travels with it (nums beside buf, thread.chanNum), so that
// the sent and received events of one message name each other exactly.
type chanObj struct {
	r      *run
	name   string
	cap    int
	buf    []starlark.Value
	nums   []uint64
	msgs   uint64
	closed bool
	recvq  []*thread
	sendq  []*thread
	send   *starlark.Builtin
	recv   *starlark.Builtin
	close  *starlark.Builtin
}

// channel(name, capacity=None)
func newChannel(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var capv starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "capacity?", &capv); err != nil {
		return nil, wrapArg(err)
	}
	capacity := -1
	if capv != starlark.None {
		n, err := starlark.AsInt32(capv)
		if err != nil || n < 0 {
			return nil, argError("channel: capacity must be None (unbounded) or a whole number from 0 up, not %s", capv)
		}
		capacity = n
	}
	t, err := begin(th)
	if err != nil {
		return nil, err
	}
	c := &chanObj{r: t.r, name: name, cap: capacity}
	c.send = starlark.NewBuiltin("send", c.doSend)
	c.recv = starlark.NewBuiltin("recv", c.doRecv)
	c.close = starlark.NewBuiltin("close", c.doClose)
	return c, nil
}

func (c *chanObj) doSend(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v starlark.Value
	if err := starlark.UnpackPositionalArgs(c.name+".send", args, kwargs, 1, &v); err != nil {
		return nil, wrapArg(err)
	}
	t, err := begin(th)
	if err != nil {
		return nil, err
	}
	r := c.r
	line := callerLine(th)
	val := toValue(v)
	t.rec(trace.Send, c.name, val, line)
	r.mu.Lock()
	if needsFreeze(v) {
		r.moves.note(v, "sent on channel "+c.name)
	}
	if c.closed {
		r.mu.Unlock()
		return nil, fmt.Errorf("send on closed channel %s", c.name)
	}
	c.msgs++
	num := c.msgs
	if len(c.recvq) > 0 {
		rcv := c.recvq[0]
		c.recvq = c.recvq[1:]
		rcv.chanVal, rcv.chanNum, rcv.chanDone = v, num, true
		r.unpark(rcv)
	} else if c.cap < 0 || len(c.buf) < c.cap {
		c.buf = append(c.buf, v)
		c.nums = append(c.nums, num)
	} else {
		t.chanVal, t.chanNum, t.chanDone = v, num, false
		c.sendq = append(c.sendq, t)
		for !t.chanDone {
			if c.closed {
				c.sendq = remove(c.sendq, t)
				r.mu.Unlock()
				return nil, fmt.Errorf("send on closed channel %s", c.name)
			}
			if err := t.block(waitEdge{kind: waitSend, ch: c, line: line}); err != nil {
				r.mu.Unlock()
				return nil, err
			}
		}
		t.chanVal = nil
	}
	r.mu.Unlock()
	t.recVer(trace.Sent, c.name, val, line, num)
	return starlark.None, nil
}

func remove(q []*thread, t *thread) []*thread {
	for i, x := range q {
		if x == t {
			return append(q[:i:i], q[i+1:]...)
		}
	}
	return q
}

func (c *chanObj) doRecv(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := wrapArg(starlark.UnpackPositionalArgs(c.name+".recv", args, kwargs, 0)); err != nil {
		return nil, err
	}
	t, err := begin(th)
	if err != nil {
		return nil, err
	}
	v, _, err := c.receive(t, callerLine(th))
	return v, err
}

// receive takes the next value; ok is false once the channel is closed and
// drained, and the value is then None.
func (c *chanObj) receive(t *thread, line int) (starlark.Value, bool, error) {
	r := c.r
	t.rec(trace.Recv, c.name, trace.Value{}, line)
	r.mu.Lock()
	var v starlark.Value
	var num uint64
	ok := true
	switch {
	case len(c.buf) > 0:
		v, num = c.buf[0], c.nums[0]
		c.buf[0] = nil
		c.buf, c.nums = c.buf[1:], c.nums[1:]
		if len(c.sendq) > 0 {
			s := c.sendq[0]
			c.sendq = c.sendq[1:]
			c.buf = append(c.buf, s.chanVal)
			c.nums = append(c.nums, s.chanNum)
			s.chanDone = true
			r.unpark(s)
		}
	case len(c.sendq) > 0:
		s := c.sendq[0]
		c.sendq = c.sendq[1:]
		v, num = s.chanVal, s.chanNum
		s.chanDone = true
		r.unpark(s)
	case c.closed:
		v, ok = starlark.None, false
	default:
		t.chanVal, t.chanDone = nil, false
		c.recvq = append(c.recvq, t)
		for !t.chanDone {
			if c.closed {
				c.recvq = remove(c.recvq, t)
				v, ok = starlark.None, false
				break
			}
			if err := t.block(waitEdge{kind: waitRecv, ch: c, line: line}); err != nil {
				r.mu.Unlock()
				return nil, false, err
			}
		}
		if t.chanDone {
			v, num = t.chanVal, t.chanNum
			t.chanVal = nil
		}
	}
	r.mu.Unlock()
	t.recVer(trace.Received, c.name, toValue(v), line, num)
	return v, ok, nil
}

func (c *chanObj) doClose(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := wrapArg(starlark.UnpackPositionalArgs(c.name+".close", args, kwargs, 0)); err != nil {
		return nil, err
	}
	t, err := begin(th)
	if err != nil {
		return nil, err
	}
	r := c.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("close of closed channel %s", c.name)
	}
	c.closed = true
	t.rec(trace.Close, c.name, trace.Value{}, callerLine(th))
	for _, w := range c.recvq {
		r.unpark(w)
	}
	for _, w := range c.sendq {
		r.unpark(w)
	}
	return starlark.None, nil
}

var (
	_ starlark.HasAttrs = (*chanObj)(nil)
	_ starlark.Iterable = (*chanObj)(nil)
)

func (c *chanObj) String() string        { return fmt.Sprintf("<channel %s>", c.name) }
func (c *chanObj) Type() string          { return "channel" }
func (c *chanObj) Freeze()               {}
func (c *chanObj) Truth() starlark.Bool  { return true }
func (c *chanObj) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: channel") }
func (c *chanObj) AttrNames() []string   { return []string{"close", "name", "recv", "send"} }

func (c *chanObj) Attr(name string) (starlark.Value, error) {
	switch name {
	case "send":
		return c.send, nil
	case "recv":
		return c.recv, nil
	case "close":
		return c.close, nil
	case "name":
		return starlark.String(c.name), nil
	}
	return nil, nil
}

// Iterate makes `for v in ch` receive until the channel is closed and
// drained. Starlark does not pass the thread to iterators, so the
// iterator finds it from the goroutine it runs on.
func (c *chanObj) Iterate() starlark.Iterator {
	return &chanIter{c: c, t: c.r.threadOfGoroutine()}
}

type chanIter struct {
	c *chanObj
	t *thread
}

func (it *chanIter) Next(p *starlark.Value) bool {
	t := it.t
	if t == nil {
		return false
	}
	if err := t.r.sched.point(t); err != nil {
		return false
	}
	line := 0
	if t.sth.CallStackDepth() > 0 {
		line = int(t.sth.CallFrame(0).Pos.Line)
	}
	v, ok, err := it.c.receive(t, line)
	if err != nil || !ok {
		return false
	}
	*p = v
	return true
}

func (it *chanIter) Done() {}
