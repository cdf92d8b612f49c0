package engine

import (
	"fmt"

	"interleave/sandbox/trace"
)

// A Person makes the choices of an interactive run: the student as the
// scheduler. The PickChooser shows them each choice it cannot decide by
// itself and waits for the answer.
type Person interface {
	// Ask shows the choice and waits for a pick; false means the person
	// is gone, and the run ends as a chooser abandons it. The choice is
	// reused after Ask returns.
	Ask(c *trace.Choice) (trace.Pick, bool)
	// Refuse says why a pick does not fit the choice (msg, a sentence);
	// Ask is called again for the same choice.
	Refuse(c *trace.Choice, msg string)
}

// MaxAutoPicks caps the choices one pick "until it blocks" makes for its
// thread, so that a thread in an endless loop still comes back to the
// person.
const MaxAutoPicks = 10000

// PickChooser is the chooser of an interactive run. It replays a prefix
// first (a link's solution so far) without asking, then asks its Person
// at every choice, except those a pick "until it blocks" decides. An undo
// abandons the run (status stopped); the caller then runs again with
// Back() as the prefix.
type PickChooser struct {
	person Person
	replay []schedEntry // what is left of the prefix
	n      int          // choices consumed from replay[0]
	log    []schedEntry // every choice made, encoded as a schedule is
	until  int          // the thread picked until it blocks, or -1
	auto   int          // choices that pick made for it so far
	undone bool
	desc   trace.Choice // reused at every question
}

// NewPickChooser returns a chooser that replays prefix (a schedule, or
// "") and then asks p.
func NewPickChooser(prefix string, p Person) (*PickChooser, error) {
	c := &PickChooser{person: p, until: -1}
	if prefix != "" {
		replay, err := parseSchedule(prefix)
		if err != nil {
			return nil, err
		}
		c.replay = replay
	}
	return c, nil
}

// Undone reports whether the run ended because the person asked to undo.
func (c *PickChooser) Undone() bool { return c.undone }

// Back is the schedule one choice short of the choices made: the prefix
// that takes an undone run back to the choice before.
func (c *PickChooser) Back() string {
	log := append([]schedEntry(nil), c.log...)
	if n := len(log); n > 0 {
		if log[n-1].n--; log[n-1].n == 0 {
			log = log[:n-1]
		}
	}
	return encodeSchedule(log)
}

// Choose implements Chooser.
func (c *PickChooser) Choose(ch *Choice) int {
	id := c.decide(ch)
	if id != Abandon {
		if n := len(c.log); n > 0 && c.log[n-1].id == id {
			c.log[n-1].n++
		} else {
			c.log = append(c.log, schedEntry{id, 1})
		}
	}
	return id
}

func (c *PickChooser) decide(ch *Choice) int {
	if len(c.replay) > 0 {
		e := &c.replay[0]
		if c.n++; c.n == e.n {
			c.replay, c.n = c.replay[1:], 0
		}
		return e.id // the engine ends a run whose prefix does not fit
	}
	if c.until >= 0 {
		if p := pending(ch, c.until); p != nil && !p.Blocks && c.auto < MaxAutoPicks {
			c.auto++
			return c.until
		}
		c.until = -1
	}
	Describe(&c.desc, ch, encodeSchedule(c.log))
	var p trace.Pick
	ok := false
	ch.Wait(func() { p, ok = c.ask() })
	switch {
	case !ok:
		return Abandon
	case p.Undo:
		c.undone = true
		return Abandon
	case p.Until == trace.UntilBlocks:
		c.until, c.auto = p.Th, 0
	}
	return p.Th
}

// ask asks the person until a pick fits the choice; false if they left.
func (c *PickChooser) ask() (trace.Pick, bool) {
	for {
		p, ok := c.person.Ask(&c.desc)
		if !ok {
			return p, false
		}
		msg := c.desc.Check(p, nil)
		if msg == "" {
			return p, true
		}
		c.person.Refuse(&c.desc, msg)
	}
}

// pending is thread th among the choice's candidates, or nil.
func pending(ch *Choice, th int) *Pending {
	for i := range ch.Runnable {
		if ch.Runnable[i].Th == th {
			return &ch.Runnable[i]
		}
	}
	return nil
}

// Describe fills d with the choice as the person sees it: each candidate
// with its next operation and a sentence.
func Describe(d *trace.Choice, ch *Choice, schedule string) {
	d.N, d.Current, d.Schedule = ch.N, ch.Current, schedule
	d.Runnable = d.Runnable[:0]
	for _, p := range ch.Runnable {
		next := trace.NextOp{K: kindName(p.Op.K), Obj: p.Op.Obj, Line: p.Op.Line}
		if !p.Op.V.IsZero() {
			v := p.Op.V
			next.V = &v
		}
		d.Runnable = append(d.Runnable, trace.Candidate{Th: p.Th, Name: p.Name, Blocks: p.Blocks, Next: next, Text: opText(p)})
	}
}

// kindName is an operation's kind as a choice names it: "" for plain
// code and a thread's start.
func kindName(k trace.Kind) string {
	if k == trace.KindInvalid || k == trace.Start {
		return ""
	}
	return k.String()
}

// opText is one sentence saying what the candidate will do if picked.
func opText(p Pending) string {
	s := p.Name + " will " + opVerb(p.Op)
	if p.Op.Line > 0 {
		s += fmt.Sprintf(" (line %d)", p.Op.Line)
	}
	if p.Blocks {
		s += ", and would have to wait"
	}
	return s
}

// opVerb says what an operation does, for opText.
func opVerb(op Op) string {
	v, obj := op.V.String(), op.Obj
	if op.V.Kind == trace.VStr {
		v = fmt.Sprintf("%q", trace.Clip(op.V.Str, 60))
	}
	switch op.K {
	case trace.KindInvalid:
		if obj != "" {
			return "create " + obj
		}
		return "run its next lines of code"
	case trace.Start:
		return "start"
	case trace.Lock:
		return "lock " + obj + rwFor(op.V)
	case trace.Unlock:
		return "unlock " + obj
	case trace.TryLock:
		return "try to lock " + obj + rwFor(op.V)
	case trace.Get:
		return "read " + obj
	case trace.Set:
		return fmt.Sprintf("set %s = %s", obj, v)
	case trace.Add:
		return fmt.Sprintf("add %s to %s", v, obj)
	case trace.Cas:
		return fmt.Sprintf("compare-and-swap %s (new value %s)", obj, v)
	case trace.Swap:
		return fmt.Sprintf("swap %s into %s", v, obj)
	case trace.Send:
		return fmt.Sprintf("send %s on %s", v, obj)
	case trace.Recv:
		return "receive from " + obj
	case trace.Close:
		return "close " + obj
	case trace.Join:
		return "join " + obj
	case trace.Spawn:
		return "spawn " + obj
	case trace.Wake:
		return "wake up from sleep"
	case trace.Yield:
		return "go on after yield_now"
	case trace.Check:
		return "check a condition"
	case trace.Work:
		return "work for " + v + " s"
	case trace.Sleep:
		return "sleep for " + v + " s"
	}
	return syncVerb(op)
}

// syncVerb says what a condvar, barrier, semaphore, park or once step
// does, for opVerb.
func syncVerb(op Op) string {
	obj := op.Obj
	switch op.K {
	case trace.CvWait:
		return fmt.Sprintf("wait on %s, letting go of %s", obj, op.V.Str)
	case trace.CvWoke:
		return fmt.Sprintf("wake up from %s and lock %s again", obj, op.V.Str)
	case trace.Notify:
		if op.V.Str == "all" {
			return "notify every thread waiting on " + obj
		}
		return "notify one thread waiting on " + obj
	case trace.BarrierWait:
		return "wait at " + obj
	case trace.SemAcquire:
		return "acquire a permit of " + obj
	case trace.SemRelease:
		return "release a permit of " + obj
	case trace.SemTry:
		return "try to acquire a permit of " + obj
	case trace.Park:
		return "park until it is unparked"
	case trace.Unpark:
		return "unpark " + obj
	case trace.Once:
		return "call once " + obj
	}
	if obj != "" {
		return op.K.String() + " " + obj
	}
	return op.K.String()
}

// rwFor says which side of a readers-writer lock a lock step takes; ""
// for a mutex.
func rwFor(v trace.Value) string {
	switch v.Str {
	case "read":
		return " for reading"
	case "write":
		return " for writing"
	}
	return ""
}
