package trace

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
)

// WriteChrome writes the run as Chrome Trace Event JSON, which Perfetto and
// chrome://tracing open: a track per thread, complete slices for waits,
// sleeps and work, async slices for lock holds (they need not nest),
// instants for cell accesses and prints, and flow arrows for spawn, join,
// lock handoff and messages.
func WriteChrome(w io.Writer, res *Result) error {
	bw := bufio.NewWriter(w)
	c := chromeWriter{w: bw, first: true}
	bw.WriteString(`{"displayTimeUnit":"ns","otherData":{"scenario":`)
	bw.Write(AppendJSONString(nil, res.Scenario))
	bw.WriteString(`,"mode":`)
	bw.Write(AppendJSONString(nil, string(res.Mode)))
	bw.WriteString(`,"status":`)
	bw.Write(AppendJSONString(nil, string(res.Status)))
	bw.WriteString(`},"traceEvents":[`)
	c.raw(`{"name":"process_name","ph":"M","pid":1,"tid":0,"args":{"name":` + quote("interleave: "+res.Scenario) + `}}`)
	f := chromeFold{
		c:        &c,
		names:    c.threadNames(res),
		pending:  map[int]openSpan{},
		holds:    map[string]Event{},
		lastFree: map[string]Event{},
		spawnOf:  map[int]Event{},
		endOf:    map[int]Event{},
		joining:  map[int]int{},
		sentQ:    map[string][]Event{},
		holdIDs:  map[string]int{},
	}
	for _, e := range res.Events {
		f.span(e)
		f.event(e)
	}
	f.closeOpen(lastT(res))
	bw.WriteString("]}\n")
	if c.err != nil {
		return c.err
	}
	return bw.Flush()
}

// threadNames writes a named, sorted track per thread, the ones the result
// lists and the ones only a spawn event names, and returns the names.
func (c *chromeWriter) threadNames(res *Result) map[int]string {
	names := map[int]string{0: "main"}
	for _, t := range res.Threads {
		names[t.ID] = t.Name
	}
	for _, e := range res.Events {
		if e.K == Spawn && e.V.Kind == VInt {
			names[int(e.V.Int)] = e.Obj
		}
	}
	for _, id := range slices.Sorted(maps.Keys(names)) {
		c.raw(fmt.Sprintf(`{"name":"thread_name","ph":"M","pid":1,"tid":%d,"args":{"name":%s}}`, id, quote(names[id])))
		c.raw(fmt.Sprintf(`{"name":"thread_sort_index","ph":"M","pid":1,"tid":%d,"args":{"sort_index":%d}}`, id, id))
	}
	return names
}

// openSpan is a wait, sleep or work that has begun and not yet ended.
type openSpan struct {
	e    Event
	name string
}

// chromeSpanBegins and chromeSpanEnds pair the events that bound a span.
var (
	chromeSpanBegins = map[Kind]string{Lock: "wait for lock", Join: "join", Send: "send", Recv: "recv", Sleep: "sleep", Work: "work"}
	chromeSpanEnds   = map[Kind]Kind{Acquired: Lock, Joined: Join, Sent: Send, Received: Recv, Wake: Sleep, Worked: Work}
)

// chromeFold folds the events, in order, into slices, holds and arrows.
type chromeFold struct {
	c        *chromeWriter
	names    map[int]string     // thread id -> name
	pending  map[int]openSpan   // thread -> an open wait, sleep or work
	holds    map[string]Event   // mutex -> acquired event
	lastFree map[string]Event   // mutex -> last unlock
	spawnOf  map[int]Event      // child -> its spawn
	endOf    map[int]Event      // thread -> its end
	joining  map[int]int        // joiner -> the thread id it joins
	sentQ    map[string][]Event // channel -> sends not yet received
	flowID   int
	asyncID  int
	holdIDs  map[string]int
}

// span opens or closes the complete slice e begins or ends.
func (f *chromeFold) span(e Event) {
	if name, ok := chromeSpanBegins[e.K]; ok {
		label := name
		if e.Obj != "" {
			label += " " + e.Obj
		}
		f.pending[e.Th] = openSpan{e: e, name: label}
	}
	if req, ok := chromeSpanEnds[e.K]; ok {
		if o, ok := f.pending[e.Th]; ok && o.e.K == req {
			f.c.raw(fmt.Sprintf(`{"name":%s,"cat":%s,"ph":"X","pid":1,"tid":%d,"ts":%s,"dur":%s,"args":%s}`,
				quote(o.name), quote(req.String()), e.Th, us(o.e.T), us(e.T-o.e.T), args(e)))
			delete(f.pending, e.Th)
		}
	}
}

// event writes e's point and the arrows it finishes.
func (f *chromeFold) event(e Event) {
	switch e.K {
	case Spawn:
		f.point(e, "spawn "+e.Obj)
		if e.V.Kind == VInt {
			f.spawnOf[int(e.V.Int)] = e
		}
	case Start:
		f.point(e, "start")
		if s, ok := f.spawnOf[e.Th]; ok {
			f.flow(s, e, "spawn")
		}
	case End, Panic, Cutoff:
		f.point(e, e.K.String())
		f.endOf[e.Th] = e
	case Join:
		if id, ok := joinTarget(e, f.names); ok {
			f.joining[e.Th] = id
		}
	case Joined:
		f.point(e, "joined "+e.Obj)
		if id, ok := f.joining[e.Th]; ok {
			if end, ok := f.endOf[id]; ok {
				f.flow(end, e, "join")
			}
			delete(f.joining, e.Th)
		}
	case Acquired:
		f.point(e, "acquired "+e.Obj)
		if u, ok := f.lastFree[e.Obj]; ok && u.Th != e.Th {
			f.flow(u, e, "handoff "+e.Obj)
		}
		f.hold(e)
	case TryLock:
		if e.V.Kind == VBool && e.V.Int != 0 {
			f.hold(e)
		}
		f.c.instant(e)
	case Unlock:
		f.point(e, "unlock "+e.Obj)
		if _, ok := f.holds[e.Obj]; ok {
			f.release(e.Obj, e.Th, e.T)
		}
		f.lastFree[e.Obj] = e
	case Sent:
		f.point(e, "sent "+e.Obj)
		f.sentQ[e.Obj] = append(f.sentQ[e.Obj], e)
	case Received:
		f.point(e, "received "+e.Obj)
		if q := f.sentQ[e.Obj]; len(q) > 0 {
			f.flow(q[0], e, "message "+e.Obj)
			f.sentQ[e.Obj] = q[1:]
		}
	case Get, Set, Add, Cas, Swap, Print, Check, Close, Yield:
		f.c.instant(e)
	}
}

// closeOpen ends what the run left open (a deadlock, a cut-off thread).
func (f *chromeFold) closeOpen(last int64) {
	for _, th := range slices.Sorted(maps.Keys(f.pending)) {
		o := f.pending[th]
		end := o.e.T
		if e, ok := f.endOf[th]; ok {
			end = e.T
		}
		f.c.raw(fmt.Sprintf(`{"name":%s,"cat":%s,"ph":"X","pid":1,"tid":%d,"ts":%s,"dur":%s,"args":{"unfinished":true}}`,
			quote(o.name), quote(o.e.K.String()), th, us(o.e.T), us(end-o.e.T)))
	}
	for _, obj := range slices.Sorted(maps.Keys(f.holds)) {
		f.release(obj, f.holds[obj].Th, last)
	}
}

func (f *chromeFold) flow(from, to Event, name string) {
	f.flowID++
	f.c.raw(fmt.Sprintf(`{"name":%s,"cat":"flow","ph":"s","id":%d,"pid":1,"tid":%d,"ts":%s}`, quote(name), f.flowID, from.Th, us(from.T)))
	f.c.raw(fmt.Sprintf(`{"name":%s,"cat":"flow","ph":"f","bp":"e","id":%d,"pid":1,"tid":%d,"ts":%s}`, quote(name), f.flowID, to.Th, us(to.T)))
}

// point is a zero-length slice rather than an instant, so flows can bind to it.
func (f *chromeFold) point(e Event, name string) {
	f.c.raw(fmt.Sprintf(`{"name":%s,"cat":%s,"ph":"X","pid":1,"tid":%d,"ts":%s,"dur":0,"args":%s}`,
		quote(name), quote(e.K.String()), e.Th, us(e.T), args(e)))
}

// hold begins the async slice of e's mutex being held.
func (f *chromeFold) hold(e Event) {
	f.holds[e.Obj] = e
	f.asyncID++
	f.holdIDs[e.Obj] = f.asyncID
	f.c.raw(fmt.Sprintf(`{"name":%s,"cat":"hold","ph":"b","id":%d,"pid":1,"tid":%d,"ts":%s}`, quote("hold "+e.Obj), f.asyncID, e.Th, us(e.T)))
}

// release ends the async slice of obj being held.
func (f *chromeFold) release(obj string, th int, t int64) {
	f.c.raw(fmt.Sprintf(`{"name":%s,"cat":"hold","ph":"e","id":%d,"pid":1,"tid":%d,"ts":%s}`, quote("hold "+obj), f.holdIDs[obj], th, us(t)))
	delete(f.holds, obj)
}

// joinTarget is the id of the thread a join waits for: its value, or for
// runs recorded before joins carried it, the one thread of that name.
func joinTarget(e Event, names map[int]string) (int, bool) {
	if e.V.Kind == VInt {
		return int(e.V.Int), true
	}
	id, n := 0, 0
	for tid, name := range names {
		if name == e.Obj {
			id, n = tid, n+1
		}
	}
	return id, n == 1
}

type chromeWriter struct {
	w     *bufio.Writer
	first bool
	err   error
}

func (c *chromeWriter) raw(s string) {
	if !c.first {
		c.w.WriteByte(',')
	}
	c.first = false
	if _, err := c.w.WriteString(s); err != nil && c.err == nil {
		c.err = fmt.Errorf("write trace: %w", err)
	}
}

func (c *chromeWriter) instant(e Event) {
	name := e.K.String()
	if e.Obj != "" {
		name += " " + e.Obj
	}
	c.raw(fmt.Sprintf(`{"name":%s,"cat":%s,"ph":"i","s":"t","pid":1,"tid":%d,"ts":%s,"args":%s}`,
		quote(name), quote(e.K.String()), e.Th, us(e.T), args(e)))
}

func args(e Event) string {
	b := []byte(`{"seq":`)
	b = strconv.AppendUint(b, e.Seq, 10)
	if !e.V.IsZero() {
		b = append(b, `,"value":`...)
		b = e.V.AppendJSON(b)
	}
	if e.Line > 0 {
		b = append(b, `,"line":`...)
		b = strconv.AppendInt(b, int64(e.Line), 10)
	}
	if e.HasOS {
		b = append(b, `,"os_tid":`...)
		b = strconv.AppendInt(b, int64(e.Tid), 10)
		b = append(b, `,"cpu":`...)
		b = strconv.AppendInt(b, int64(e.CPU), 10)
	}
	return string(append(b, '}'))
}

func lastT(res *Result) int64 {
	if n := len(res.Events); n > 0 {
		return res.Events[n-1].T
	}
	return 0
}

// us renders nanoseconds as the microseconds the format counts in.
func us(ns int64) string { return strconv.FormatFloat(float64(ns)/1000, 'f', 3, 64) }

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// ValidateChrome checks Chrome Trace Event JSON against the format's
// rules: known phases, the fields each phase needs, complete slices with
// a duration, async begins and ends that pair up, and flow starts that
// have their finish.
func ValidateChrome(b []byte) error {
	var doc struct {
		TraceEvents []map[string]any `json:"traceEvents"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if len(doc.TraceEvents) == 0 {
		return fmt.Errorf("no traceEvents")
	}
	async := map[string]int{}
	flows := map[string]int{}
	for i, e := range doc.TraceEvents {
		ph, _ := e["ph"].(string)
		need := []string{"name", "ph", "pid", "tid"}
		switch ph {
		case "M":
		case "X":
			need = append(need, "ts", "dur")
		case "i", "I":
			need = append(need, "ts", "s")
		case "b", "e":
			need = append(need, "ts", "id", "cat")
			key := fmt.Sprint(e["cat"], e["id"])
			if ph == "b" {
				async[key]++
			} else {
				async[key]--
				if async[key] < 0 {
					return fmt.Errorf("event %d: async end without a begin: %v", i, e)
				}
			}
		case "s", "f":
			need = append(need, "ts", "id")
			key := fmt.Sprint(e["cat"], e["id"])
			if ph == "s" {
				flows[key]++
			} else {
				flows[key]--
			}
		default:
			return fmt.Errorf("event %d: unknown phase %q", i, ph)
		}
		for _, f := range need {
			if _, ok := e[f]; !ok {
				return fmt.Errorf("event %d (%s): missing %q: %v", i, ph, f, e)
			}
		}
		if d, ok := e["dur"].(float64); ok && d < 0 {
			return fmt.Errorf("event %d: negative duration", i)
		}
	}
	for k, n := range async {
		if n != 0 {
			return fmt.Errorf("async slice %s: %d begins without an end", k, n)
		}
	}
	for k, n := range flows {
		if n != 0 {
			return fmt.Errorf("flow %s: start and finish do not pair", k)
		}
	}
	return nil
}
