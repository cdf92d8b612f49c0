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
		name := names[id]
		c.raw(fmt.Sprintf(`{"name":"thread_name","ph":"M","pid":1,"tid":%d,"args":{"name":%s}}`, id, quote(name)))
		c.raw(fmt.Sprintf(`{"name":"thread_sort_index","ph":"M","pid":1,"tid":%d,"args":{"sort_index":%d}}`, id, id))
	}

	type open struct {
		e    Event
		name string
	}
	var (
		pending  = map[int]open{}       // thread -> an open wait, sleep or work
		holds    = map[string]Event{}   // mutex -> acquired event
		lastFree = map[string]Event{}   // mutex -> last unlock
		spawnOf  = map[int]Event{}      // child -> its spawn
		endOf    = map[int]Event{}      // thread -> its end
		joining  = map[int]int{}        // joiner -> the thread id it joins
		sentQ    = map[string][]Event{} // channel -> sends not yet received
		flowID   = 0
		asyncID  = 0
		holdIDs  = map[string]int{}
		begins   = map[Kind]string{Lock: "wait for lock", Join: "join", Send: "send", Recv: "recv", Sleep: "sleep", Work: "work"}
		ends     = map[Kind]Kind{Acquired: Lock, Joined: Join, Sent: Send, Received: Recv, Wake: Sleep, Worked: Work}
	)
	flow := func(from, to Event, name string) {
		flowID++
		c.raw(fmt.Sprintf(`{"name":%s,"cat":"flow","ph":"s","id":%d,"pid":1,"tid":%d,"ts":%s}`, quote(name), flowID, from.Th, us(from.T)))
		c.raw(fmt.Sprintf(`{"name":%s,"cat":"flow","ph":"f","bp":"e","id":%d,"pid":1,"tid":%d,"ts":%s}`, quote(name), flowID, to.Th, us(to.T)))
	}
	point := func(e Event, name string) {
		// A zero-length slice rather than an instant, so flows can bind to it.
		c.raw(fmt.Sprintf(`{"name":%s,"cat":%s,"ph":"X","pid":1,"tid":%d,"ts":%s,"dur":0,"args":%s}`,
			quote(name), quote(e.K.String()), e.Th, us(e.T), args(e)))
	}
	for _, e := range res.Events {
		if name, ok := begins[e.K]; ok {
			label := name
			if e.Obj != "" {
				label += " " + e.Obj
			}
			pending[e.Th] = open{e: e, name: label}
		}
		if req, ok := ends[e.K]; ok {
			if o, ok := pending[e.Th]; ok && o.e.K == req {
				c.raw(fmt.Sprintf(`{"name":%s,"cat":%s,"ph":"X","pid":1,"tid":%d,"ts":%s,"dur":%s,"args":%s}`,
					quote(o.name), quote(req.String()), e.Th, us(o.e.T), us(e.T-o.e.T), args(e)))
				delete(pending, e.Th)
			}
		}
		switch e.K {
		case Spawn:
			point(e, "spawn "+e.Obj)
			if e.V.Kind == VInt {
				spawnOf[int(e.V.Int)] = e
			}
		case Start:
			point(e, "start")
			if s, ok := spawnOf[e.Th]; ok {
				flow(s, e, "spawn")
			}
		case End, Panic, Cutoff:
			point(e, e.K.String())
			endOf[e.Th] = e
		case Join:
			if id, ok := joinTarget(e, names); ok {
				joining[e.Th] = id
			}
		case Joined:
			point(e, "joined "+e.Obj)
			if id, ok := joining[e.Th]; ok {
				if end, ok := endOf[id]; ok {
					flow(end, e, "join")
				}
				delete(joining, e.Th)
			}
		case Acquired:
			point(e, "acquired "+e.Obj)
			if u, ok := lastFree[e.Obj]; ok && u.Th != e.Th {
				flow(u, e, "handoff "+e.Obj)
			}
			holds[e.Obj] = e
			asyncID++
			holdIDs[e.Obj] = asyncID
			c.raw(fmt.Sprintf(`{"name":%s,"cat":"hold","ph":"b","id":%d,"pid":1,"tid":%d,"ts":%s}`, quote("hold "+e.Obj), asyncID, e.Th, us(e.T)))
		case TryLock:
			if e.V.Kind == VBool && e.V.Int != 0 {
				holds[e.Obj] = e
				asyncID++
				holdIDs[e.Obj] = asyncID
				c.raw(fmt.Sprintf(`{"name":%s,"cat":"hold","ph":"b","id":%d,"pid":1,"tid":%d,"ts":%s}`, quote("hold "+e.Obj), asyncID, e.Th, us(e.T)))
			}
			c.instant(e)
		case Unlock:
			point(e, "unlock "+e.Obj)
			if _, ok := holds[e.Obj]; ok {
				c.raw(fmt.Sprintf(`{"name":%s,"cat":"hold","ph":"e","id":%d,"pid":1,"tid":%d,"ts":%s}`, quote("hold "+e.Obj), holdIDs[e.Obj], e.Th, us(e.T)))
				delete(holds, e.Obj)
			}
			lastFree[e.Obj] = e
		case Sent:
			point(e, "sent "+e.Obj)
			sentQ[e.Obj] = append(sentQ[e.Obj], e)
		case Received:
			point(e, "received "+e.Obj)
			if q := sentQ[e.Obj]; len(q) > 0 {
				flow(q[0], e, "message "+e.Obj)
				sentQ[e.Obj] = q[1:]
			}
		case Get, Set, Add, Cas, Swap, Print, Check, Close, Yield:
			c.instant(e)
		}
	}
	// Close what the run left open (a deadlock, a cut-off thread).
	for _, th := range slices.Sorted(maps.Keys(pending)) {
		o := pending[th]
		end := o.e.T
		if e, ok := endOf[th]; ok {
			end = e.T
		}
		c.raw(fmt.Sprintf(`{"name":%s,"cat":%s,"ph":"X","pid":1,"tid":%d,"ts":%s,"dur":%s,"args":{"unfinished":true}}`,
			quote(o.name), quote(o.e.K.String()), th, us(o.e.T), us(end-o.e.T)))
	}
	for _, obj := range slices.Sorted(maps.Keys(holds)) {
		e := holds[obj]
		c.raw(fmt.Sprintf(`{"name":%s,"cat":"hold","ph":"e","id":%d,"pid":1,"tid":%d,"ts":%s}`, quote("hold "+obj), holdIDs[obj], e.Th, us(lastT(res))))
	}
	bw.WriteString("]}\n")
	if c.err != nil {
		return c.err
	}
	return bw.Flush()
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
