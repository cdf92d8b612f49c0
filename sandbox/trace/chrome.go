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
// lock handoff and messages. The spans and arrows are the page's (Fold),
// and the output is the same bytes for the same run.
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
		c.raw(fmt.Sprintf(`{"name":"thread_name","ph":"M","pid":1,"tid":%d,"args":{"name":%s}}`, id, quote(names[id])))
		c.raw(fmt.Sprintf(`{"name":"thread_sort_index","ph":"M","pid":1,"tid":%d,"args":{"sort_index":%d}}`, id, id))
	}
	bySeq := make(map[uint64]Event, len(res.Events))
	for _, e := range res.Events {
		bySeq[e.Seq] = e
		c.event(e)
	}
	fold := Fold(res.Events)
	for i, s := range fold.Spans {
		c.span(s, bySeq, i+1, lastT(res))
	}
	for i, a := range fold.Arrows {
		name := a.Kind
		if a.Kind == "handoff" || a.Kind == "message" {
			name += " " + a.Obj
		}
		c.raw(fmt.Sprintf(`{"name":%s,"cat":"flow","ph":"s","id":%d,"pid":1,"tid":%d,"ts":%s}`, quote(name), i+1, a.FromThread, us(a.FromT)))
		c.raw(fmt.Sprintf(`{"name":%s,"cat":"flow","ph":"f","bp":"e","id":%d,"pid":1,"tid":%d,"ts":%s}`, quote(name), i+1, a.ToThread, us(a.ToT)))
	}
	bw.WriteString("]}\n")
	if c.err != nil {
		return c.err
	}
	return bw.Flush()
}

// chromePoints are the events a flow arrow starts or ends at: written as
// zero-length slices rather than instants, so that flows can bind to them.
var chromePoints = map[Kind]string{Spawn: "spawn", Start: "start", End: "end", Panic: "panic", Cutoff: "cutoff",
	Joined: "joined", Acquired: "acquired", Unlock: "unlock", Sent: "sent", Received: "received"}

// chromeSpanNames name the spans as Perfetto shows them.
var chromeSpanNames = map[string]string{"wait": "wait for lock", "join": "join", "send": "send", "recv": "recv", "sleep": "sleep", "work": "work"}

func (c *chromeWriter) event(e Event) {
	if name, ok := chromePoints[e.K]; ok {
		if e.Obj != "" && e.K != Start && e.K != End && e.K != Panic && e.K != Cutoff {
			name += " " + e.Obj
		}
		c.raw(fmt.Sprintf(`{"name":%s,"cat":%s,"ph":"X","pid":1,"tid":%d,"ts":%s,"dur":0,"args":%s}`,
			quote(name), quote(e.K.String()), e.Th, us(e.T), args(e)))
		return
	}
	if IsInstant(e.K) {
		c.instant(e)
	}
}

// span writes a wait as a complete slice, or a hold as an async slice
// (holds of different mutexes need not nest); id numbers the holds.
func (c *chromeWriter) span(s Span, bySeq map[uint64]Event, id int, last int64) {
	end := last
	if s.EndT != nil {
		end = *s.EndT
	}
	if s.Kind == "hold" {
		name := quote("hold " + s.Obj)
		c.raw(fmt.Sprintf(`{"name":%s,"cat":"hold","ph":"b","id":%d,"pid":1,"tid":%d,"ts":%s}`, name, id, s.Thread, us(s.StartT)))
		c.raw(fmt.Sprintf(`{"name":%s,"cat":"hold","ph":"e","id":%d,"pid":1,"tid":%d,"ts":%s}`, name, id, s.Thread, us(end)))
		return
	}
	label := chromeSpanNames[s.Kind]
	if s.Obj != "" {
		label += " " + s.Obj
	}
	a := `{"unfinished":true}`
	if s.EndSeq != nil {
		a = args(bySeq[*s.EndSeq])
	}
	c.raw(fmt.Sprintf(`{"name":%s,"cat":%s,"ph":"X","pid":1,"tid":%d,"ts":%s,"dur":%s,"args":%s}`,
		quote(label), quote(bySeq[s.StartSeq].K.String()), s.Thread, us(s.StartT), us(end-s.StartT), a))
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
