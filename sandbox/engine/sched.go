package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"interleave/sandbox/trace"
)

// simSched is the deterministic scheduler of sim mode. Every scenario
// thread is still a goroutine, but only the one holding the baton runs:
// the others wait on their baton channel. Every builtin call is a
// scheduling point where the baton may pass. Time is virtual: each
// builtin costs simCost, sleep and work advance the clock, and when no
// thread can run the clock jumps to the next sleeper's wake-up. A thread
// that runs simQuantum Starlark steps without a builtin call also passes
// a scheduling point (preempt), so a pure loop cannot starve the others.
//
// A choice is a scheduling point with more than one runnable candidate;
// yield_now chooses among the others. Every choice is decided by a
// Chooser (chooser.go): by default the seeded random one (the running
// thread keeps the baton with probability 3/4, as if its time slice went
// on, else a candidate is drawn uniformly from a PCG seeded with the
// run's seed), or the replayer of a given schedule, or an explorer's.
// Since only one goroutine runs at a time and every decision is a
// function of the chooser, the same script, params and seed give the same
// events, byte for byte.
//
// For the chooser, each thread carries the operation it is about to
// perform (next, set by a builtin before its scheduling point) and the
// one its current step began with (cur): at every scheduling point the
// step ends, and cur becomes next.
//
// The schedule is the list of thread ids chosen at each choice, run-length
// encoded: entries separated by ".", each "id" or "id*count", e.g.
// "0*3.1*2.2" = 0,0,0,1,1,2. Replaying it reproduces the run exactly. When
// a replayed schedule runs out, the seeded PRNG decides the rest; a choice
// of a thread that cannot run then makes the run's status error.
type simSched struct {
	r        *run
	chooser  Chooser
	clock    atomic.Int64 // virtual ns; written by the baton holder
	cur      *thread      // the baton holder
	runnable []*thread    // by id
	sleepers []*thread

	log     []schedEntry
	choices int

	choice    Choice // reused at every choice
	wantSteps bool   // fill choice.Steps
}

const (
	simCost       = 1000 // virtual ns per builtin call
	simStepCost   = 10   // virtual ns per Starlark step
	simSlice      = 1e6  // virtual ns of work() between scheduling points
	maxLogEntries = 1 << 18
	maxScheduleID = 1 << 20
	maxSteps      = 1 << 12 // Choice.Steps between two choices
)

type schedEntry struct{ id, n int }

func newSimSched(r *run, seed int64, schedule string, opts Options) (*simSched, error) {
	s := &simSched{r: r, chooser: opts.Chooser, wantSteps: opts.Steps}
	if s.chooser == nil {
		s.chooser = NewRandomChooser(seed)
		if schedule != "" {
			replay, err := parseSchedule(schedule)
			if err != nil {
				return nil, err
			}
			s.chooser = &replayChooser{replay: replay, fallback: s.chooser}
		}
	}
	return s, nil
}

// parseSchedule reads the run-length encoded schedule.
func parseSchedule(str string) ([]schedEntry, error) {
	var out []schedEntry
	for i, part := range strings.Split(str, ".") {
		idS, nS, rep := strings.Cut(part, "*")
		id, err := strconv.Atoi(idS)
		if err != nil || id < 0 || id >= maxScheduleID {
			return nil, fmt.Errorf("invalid schedule: entry %d (%q) is not a thread id: the form is 0*3.1*2.2", i+1, part)
		}
		n := 1
		if rep {
			if n, err = strconv.Atoi(nS); err != nil || n < 1 {
				return nil, fmt.Errorf("invalid schedule: entry %d (%q) has a bad count: the form is 0*3.1*2.2", i+1, part)
			}
		}
		out = append(out, schedEntry{id, n})
	}
	return out, nil
}

// schedule is the run's choices, encoded; empty if there were too many to
// be worth replaying (the seed still reproduces the run).
func (s *simSched) schedule() string {
	if len(s.log) >= maxLogEntries {
		return ""
	}
	return encodeSchedule(s.log)
}

// encodeSchedule writes a schedule in its run-length form.
func encodeSchedule(log []schedEntry) string {
	var b strings.Builder
	for i, e := range log {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(e.id))
		if e.n > 1 {
			b.WriteByte('*')
			b.WriteString(strconv.Itoa(e.n))
		}
	}
	return b.String()
}

func (s *simSched) logChoice(id int) {
	s.choices++
	if n := len(s.log); n > 0 && s.log[n-1].id == id {
		s.log[n-1].n++
		return
	}
	if len(s.log) < maxLogEntries {
		s.log = append(s.log, schedEntry{id, 1})
	}
}

// add makes a new thread runnable; the first one gets the baton.
func (s *simSched) add(t *thread) {
	s.insert(t)
	if s.cur == nil {
		s.cur = t
		t.baton <- struct{}{}
	}
}

func (s *simSched) insert(t *thread) {
	i, found := slices.BinarySearchFunc(s.runnable, t.id, func(x *thread, id int) int { return x.id - id })
	if !found {
		s.runnable = slices.Insert(s.runnable, i, t)
	}
}

func (s *simSched) remove(t *thread) {
	if i := slices.Index(s.runnable, t); i >= 0 {
		s.runnable = slices.Delete(s.runnable, i, i+1)
	}
}

func (s *simSched) enter(t *thread) error {
	select {
	case <-t.baton:
		return nil
	case <-s.r.done:
		return errCutoff
	}
}

// wakeDue moves the sleepers whose time has come to the runnable set.
func (s *simSched) wakeDue() {
	now := s.clock.Load()
	kept := s.sleepers[:0]
	for _, t := range s.sleepers {
		if t.wakeAt <= now {
			s.insert(t)
		} else {
			kept = append(kept, t)
		}
	}
	clear(s.sleepers[len(kept):])
	s.sleepers = kept
}

// advance jumps the clock to the earliest sleeper; false if none sleeps.
func (s *simSched) advance() bool {
	if len(s.sleepers) == 0 {
		return false
	}
	next := s.sleepers[0].wakeAt
	for _, t := range s.sleepers[1:] {
		next = min(next, t.wakeAt)
	}
	if next > s.clock.Load() {
		s.clock.Store(next)
	}
	s.wakeDue()
	return true
}

// choose picks the next thread to run among the runnable ones; cur is the
// running thread (nil when it cannot go on). It returns nil when the run
// must end (a bad schedule, or no thread left to run).
func (s *simSched) choose(cur *thread, yield bool) *thread {
	s.wakeDue()
	for len(s.runnable) == 0 {
		if !s.advance() {
			return nil
		}
	}
	cands := s.runnable
	if yield && cur != nil {
		if len(cands) == 1 {
			return cands[0]
		}
		others := make([]*thread, 0, len(cands)-1)
		for _, t := range cands {
			if t != cur {
				others = append(others, t)
			}
		}
		cands = others
	}
	if len(cands) == 1 {
		return cands[0]
	}
	pick := s.decide(cur, yield, cands)
	if pick == nil {
		return nil
	}
	s.logChoice(pick.id)
	return pick
}

// decide asks the chooser to pick one of cands.
func (s *simSched) decide(cur *thread, yield bool, cands []*thread) *thread {
	c := &s.choice
	c.N, c.Current, c.Yield, c.Sleeping = s.choices, -1, yield && cur != nil, len(s.sleepers)
	if !yield && cur != nil {
		c.Current = cur.id
	}
	c.Runnable = c.Runnable[:0]
	c.rec = s.r.rec
	// Objects change only under r.mu; the baton holder (here) is the only
	// Starlark running, but the end of a run may cut threads off meanwhile.
	s.r.mu.Lock()
	for _, t := range cands {
		c.Runnable = append(c.Runnable, Pending{Th: t.id, Name: t.name, Op: t.cur, Blocks: t.cur.blk != nil && t.cur.blk.blocks(t)})
	}
	s.r.mu.Unlock()
	id := s.chooser.Choose(c)
	c.Steps = c.Steps[:0]
	if id == Abandon {
		s.r.end(trace.StatusStopped, AbandonMessage)
		return nil
	}
	for _, t := range cands {
		if t.id == id {
			return t
		}
	}
	s.r.end(trace.StatusError, fmt.Sprintf("invalid schedule: choice %d picks thread %d, which cannot run at that point; the schedule belongs to another script, params or seed.", s.choices+1, id))
	return nil
}

// endStep ends t's current step at a scheduling point: the step is noted
// for the chooser, and t's next one begins with the operation it is
// parked at.
func (s *simSched) endStep(t *thread, ended bool) {
	if s.wantSteps {
		st := Step{Th: t.id, Op: t.cur, Printed: t.printed, Ended: ended}
		if n := len(s.choice.Steps); n >= maxSteps {
			// A long stretch without a choice: its last entry stands for
			// the rest, conflicting with everything.
			st.Op = Op{ID: ObjGlobal, Write: true}
			s.choice.Steps[n-1] = st
		} else {
			s.choice.Steps = append(s.choice.Steps, st)
		}
	}
	t.printed = false
	t.cur = t.next
}

// finish hands the chooser, if it wants them, the steps run since the
// last choice, ending with the step of the thread that ended the run.
func (s *simSched) finish(status trace.Status) {
	f, ok := s.chooser.(Finisher)
	if !ok {
		return
	}
	if s.wantSteps && s.cur != nil && status != trace.StatusStopped {
		s.choice.Steps = append(s.choice.Steps, Step{Th: s.cur.id, Op: s.cur.cur, Printed: s.cur.printed, Final: true})
	}
	f.Finish(s.choice.Steps)
	s.choice.Steps = s.choice.Steps[:0]
}

// switchTo hands the baton from t to next and waits for it to come back.
func (s *simSched) switchTo(t, next *thread) error {
	if next == nil {
		return errCutoff
	}
	if next == t {
		return nil
	}
	s.cur = next
	next.baton <- struct{}{}
	select {
	case <-t.baton:
		return nil
	case <-s.r.done:
		return errCutoff
	}
}

func (s *simSched) point(t *thread) error {
	if s.r.ended.Load() {
		return errCutoff
	}
	s.clock.Add(simCost)
	s.endStep(t, false)
	return s.switchTo(t, s.choose(t, false))
}

// preempt is the scheduling point of a thread that has run steps
// Starlark steps without calling a builtin; each step costs simStepCost.
func (s *simSched) preempt(t *thread, steps uint64) error {
	if s.r.ended.Load() {
		return errCutoff
	}
	s.clock.Add(int64(steps) * simStepCost)
	s.endStep(t, false)
	return s.switchTo(t, s.choose(t, false))
}

func (s *simSched) yield(t *thread) error {
	if s.r.ended.Load() {
		return errCutoff
	}
	s.clock.Add(simCost)
	s.endStep(t, false)
	return s.switchTo(t, s.choose(t, true))
}

func (s *simSched) park(t *thread) error {
	if s.r.ended.Load() {
		return errCutoff
	}
	s.remove(t)
	s.endStep(t, false)
	next := s.choose(nil, false)
	if next == nil {
		// Every thread is blocked and none sleeps: block() has caught
		// this as a deadlock already, unless the schedule was bad.
		return errCutoff
	}
	return s.switchTo(t, next)
}

func (s *simSched) unpark(t *thread) { s.insert(t) }

func (s *simSched) sleep(t *thread, ns int64) error {
	if s.r.ended.Load() {
		return errCutoff
	}
	s.remove(t)
	s.endStep(t, false)
	t.wakeAt = s.clock.Load() + ns
	s.sleepers = append(s.sleepers, t)
	return s.switchTo(t, s.choose(nil, false))
}

// work advances the clock by ns in slices of simSlice, each ending at a
// scheduling point, as a time-sliced CPU would run a busy thread.
func (s *simSched) work(t *thread, ns int64, _ int) error {
	for ns > 0 {
		if s.r.ended.Load() {
			return errCutoff
		}
		d := min(ns, simSlice)
		ns -= d
		s.clock.Add(d)
		if ns > 0 {
			s.endStep(t, false)
			if err := s.switchTo(t, s.choose(t, false)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *simSched) exit(t *thread) {
	if s.r.ended.Load() {
		return
	}
	s.remove(t)
	s.endStep(t, true)
	next := s.choose(nil, false)
	if next == nil {
		return
	}
	s.cur = next
	next.baton <- struct{}{}
}
