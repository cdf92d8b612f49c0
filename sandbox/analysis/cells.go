package analysis

import "interleave/sandbox/trace"

// access is one event on a cell, with the epoch its thread was in.
type access struct {
	seq   uint64
	v     trace.Value
	ver   uint64
	th    int32
	line  int32
	epoch uint32
	k     trace.Kind
}

// pendingRead is a thread's last get of a cell, until its next access
// to the cell says whether it acted on a value that had changed.
type pendingRead struct {
	read    access
	over    access // the first write by another thread after read
	hasOver bool
}

// perThread is what one cell remembers of one thread.
type perThread struct {
	idx                     int
	get, set, write         access // the last of each (write: of any kind)
	hasGet, hasSet, hasWrit bool
	pending                 pendingRead
	hasPending              bool
}

// ringSize is how many recent writes a cell keeps by version, to name the
// write that overtook a read whose event came late (a thread preempted
// between its access and its event): 4.6 KB a cell.
const ringSize = 64

// cell is one shared cell as the analysis follows it.
type cell struct {
	name      string
	ver       uint64       // the last write processed
	versioned bool         // its events carry versions
	rel       vclock       // what the last write released
	per       []*perThread // the threads that touched it
	recent    [ringSize]access
}

// firstAfter returns the earliest write after version ver that is still
// kept: the write of ver+1 unless it has left the ring.
func (c *cell) firstAfter(ver uint64) (access, bool) {
	if w := c.recent[(ver+1)%ringSize]; w.ver == ver+1 && ver+1 > 0 {
		return w, true
	}
	var first access
	found := false
	for _, w := range c.recent {
		if w.ver > ver && (!found || w.ver < first.ver) {
			first, found = w, true
		}
	}
	return first, found
}

// find returns what c remembers of thread idx, or nil. Few threads touch
// one cell, so a scan beats a map.
func (c *cell) find(idx int) *perThread {
	for _, p := range c.per {
		if p.idx == idx {
			return p
		}
	}
	return nil
}

// entry returns what c remembers of thread idx, made on first sight; nil
// once the analyzer holds maxEntries.
func (a *Analyzer) entry(c *cell, idx int) *perThread {
	if p := c.find(idx); p != nil {
		return p
	}
	if a.entries >= maxEntries {
		return nil
	}
	a.entries++
	p := &perThread{idx: idx}
	c.per = append(c.per, p)
	return p
}

// isWrite reports whether a cell event stored a value.
func isWrite(e *trace.Event) bool {
	switch e.K {
	case trace.Set, trace.Add, trace.Swap:
		return true
	case trace.Cas:
		return e.V.Kind == trace.VBool && e.V.Int != 0
	}
	return false
}

// access applies one cell event: the synchronisation of an atomic
// operation, then the checks for each kind of finding, then what the
// cell remembers.
func (a *Analyzer) access(t *thread, e *trace.Event) {
	c := a.cell(e.Obj)
	if c == nil {
		return
	}
	write := isWrite(e)
	ver := e.Ver
	switch {
	case ver > 0:
		c.versioned = true
	case write:
		ver = c.ver + 1 // a stream without versions: infer them in event order
	case !c.versioned:
		ver = c.ver // a read without a version read the latest write
	}
	atomic := e.K == trace.Add || e.K == trace.Cas || e.K == trace.Swap
	read := ver
	if write {
		read = ver - 1
	}
	if atomic && read == c.ver && c.rel != nil {
		t.vc.join(c.rel)
	}
	acc := access{seq: e.Seq, th: int32(t.id), k: e.K, line: int32(e.Line), v: e.V, ver: ver, epoch: t.epoch()}
	a.checkRace(c, t, &acc)
	p := a.entry(c, t.idx)
	if p == nil {
		if write {
			a.wrote(c, t, &acc)
		}
		return
	}
	if p.hasPending {
		a.checkPending(c, p, &acc, read)
		p.hasPending = false
	}
	switch {
	case e.K == trace.Get:
		p.get, p.hasGet = acc, true
		p.pending, p.hasPending = pendingRead{read: acc}, true
		if c.ver > ver {
			// Its event came after writes that overtook it.
			p.pending.over, p.pending.hasOver = c.firstAfter(ver)
		}
		t.lastGet = c
	case write:
		p.write, p.hasWrit = acc, true
		if e.K == trace.Set {
			p.set, p.hasSet = acc, true
		}
		a.wrote(c, t, &acc)
	}
}

// wrote records a write as the cell's latest: what it releases, and as
// the write that overtook other threads' pending reads.
func (a *Analyzer) wrote(c *cell, t *thread, acc *access) {
	if acc.ver > c.ver {
		c.ver = acc.ver
		c.rel = t.releaseInto(c.rel)
	}
	c.recent[acc.ver%ringSize] = *acc
	for _, q := range c.per {
		if q.idx != t.idx && q.hasPending && !q.pending.hasOver && q.pending.read.ver < acc.ver {
			q.pending.over, q.pending.hasOver = *acc, true
		}
	}
}

// checkRace reports acc, a plain get or set, if another thread's last
// plain access that conflicts with it is not ordered before it. Atomic
// operations race with nothing: a get beside an add reads the value
// before or after it, whole.
func (a *Analyzer) checkRace(c *cell, t *thread, acc *access) {
	if acc.k != trace.Get && acc.k != trace.Set {
		return
	}
	for _, p := range c.per {
		if p.idx == t.idx {
			continue
		}
		seen := t.vc.at(p.idx)
		var other *access
		switch {
		case p.hasSet && p.set.epoch > seen:
			other = &p.set
		case acc.k == trace.Set && p.hasGet && p.get.epoch > seen:
			other = &p.get
		}
		if other != nil {
			a.report(kindData, c.name, other, acc, nil, 0)
			return
		}
	}
}

// checkPending looks at a thread's next access to a cell after its get:
// a set over newer writes lost them; an add or swap on a newer version,
// or a failed check, acted on a stale value.
func (a *Analyzer) checkPending(c *cell, p *perThread, acc *access, read uint64) {
	r := &p.pending
	if read <= r.read.ver {
		return
	}
	switch acc.k {
	case trace.Set:
		a.report(kindLost, c.name, &r.read, a.overtaker(c, r), acc, read-r.read.ver)
	case trace.Add, trace.Swap:
		a.report(kindStale, c.name, &r.read, a.overtaker(c, r), acc, read-r.read.ver)
	}
}

// staleCheck reports a failed check right after a get of a cell that has
// changed since.
func (a *Analyzer) staleCheck(t *thread, c *cell, e *trace.Event) {
	p := c.find(t.idx)
	if p == nil || !p.hasPending || c.ver <= p.pending.read.ver {
		return
	}
	chk := access{seq: e.Seq, th: int32(t.id), k: e.K, line: int32(e.Line), v: e.V}
	a.report(kindStale, c.name, &p.pending.read, a.overtaker(c, &p.pending), &chk, c.ver-p.pending.read.ver)
}

// overtaker is the first write after a pending read, or the earliest
// one still known.
func (a *Analyzer) overtaker(c *cell, r *pendingRead) *access {
	if r.hasOver {
		return &r.over
	}
	w, _ := c.firstAfter(r.read.ver)
	return &w
}
