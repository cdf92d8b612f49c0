package analysis

import (
	"fmt"
	"strings"

	"interleave/sandbox/trace"
)

// The kinds of finding, as indexes.
const (
	kindData = iota
	kindLost
	kindStale
)

var kindNames = [...]string{
	kindData:  trace.RaceData,
	kindLost:  trace.RaceLostUpdate,
	kindStale: trace.RaceStaleRead,
}

// kindRank orders findings for people: the named bugs first, then the
// data races they come from.
func kindRank(k string) int {
	switch k {
	case trace.RaceLostUpdate:
		return 0
	case trace.RaceStaleRead:
		return 1
	}
	return 2
}

// finding is a kept finding, named and worded when the run is finished.
type finding struct {
	kind    int
	obj     string
	a, b, c access
	hasC    bool
	n       uint64 // writes overtaken
}

// report counts a finding and keeps the first Limit of its kind.
func (a *Analyzer) report(kind int, obj string, x, y, z *access, n uint64) {
	a.total++
	key := countKey{kind, obj}
	if len(a.order) == 0 || a.order[a.lastCount] != key {
		i, ok := a.countIdx[key]
		if !ok {
			i = len(a.order)
			a.countIdx[key] = i
			a.order = append(a.order, key)
			a.counts = append(a.counts, 0)
		}
		a.lastCount = i
	}
	a.counts[a.lastCount]++
	if len(a.found[kind]) >= Limit {
		return
	}
	if kind == kindData {
		if y.seq < x.seq {
			x, y = y, x
		}
		if a.seenPlaces(obj, x, y) {
			return
		}
	}
	f := finding{kind: kind, obj: obj, a: *x, b: *y, n: n}
	if z != nil {
		f.c, f.hasC = *z, true
	}
	a.found[kind] = append(a.found[kind], f)
}

// seenPlaces reports whether a data race between the same two places of
// the script is kept already: a loop races on every turn, and one of each
// pair is enough to show. The last match is tried first, as loops repeat.
func (a *Analyzer) seenPlaces(obj string, x, y *access) bool {
	px, py := place(x), place(y)
	same := func(i int) bool {
		p := &a.places[i]
		return p[0] == px && p[1] == py && a.found[kindData][i].obj == obj
	}
	if a.lastDup < len(a.places) && same(a.lastDup) {
		return true
	}
	for i := range a.places {
		if same(i) {
			a.lastDup = i
			return true
		}
	}
	a.places = append(a.places, [2]uint64{px, py})
	return false
}

// place packs where in the script an access was made, and by whom.
func place(x *access) uint64 {
	return uint64(uint32(x.th))<<40 | uint64(uint32(x.line))<<8 | uint64(x.k)
}

// race turns a finding into its JSON form with one sentence.
func (a *Analyzer) race(f finding) trace.Race {
	r := trace.Race{Kind: kindNames[f.kind], Obj: f.obj, A: toAccess(f.a), B: toAccess(f.b)}
	if f.hasC {
		r.C = toAccess(f.c)
	}
	r.Text = a.sentence(f)
	return r
}

func toAccess(x access) *trace.Access {
	return &trace.Access{Th: int(x.th), Seq: x.seq, K: x.k, Line: int(x.line), V: x.v, Ver: x.ver}
}

func (a *Analyzer) name(th int) string {
	if n, ok := a.names[th]; ok && n != "" {
		return n
	}
	return fmt.Sprintf("thread %d", th)
}

// did says what an access did, for a sentence: "read counter = 41".
func (a *Analyzer) did(x access, obj string) string {
	switch x.k {
	case trace.Get:
		return fmt.Sprintf("read %s = %s", obj, x.v)
	case trace.Set:
		return fmt.Sprintf("wrote %s = %s", obj, x.v)
	case trace.Add:
		return fmt.Sprintf("added to %s, which was %s by then", obj, x.v)
	case trace.Swap:
		return fmt.Sprintf("swapped %s into %s", x.v, obj)
	case trace.Cas:
		return fmt.Sprintf("compare-and-swapped %s", obj)
	}
	return fmt.Sprintf("%s %s", x.k, obj)
}

func (a *Analyzer) sentence(f finding) string {
	A, B := a.name(int(f.a.th)), a.name(int(f.b.th))
	switch f.kind {
	case kindLost:
		what := "update"
		if f.a.v.Kind == trace.VInt && f.c.v.Kind == trace.VInt && f.c.v.Int == f.a.v.Int+1 {
			what = "increment"
		}
		return fmt.Sprintf("%s read %s = %s (line %d); %s then %s (line %d)%s; %s wrote %s over %s (line %d): %s lost.",
			A, f.obj, f.a.v, f.a.line, B, changed(f.b), f.b.line, more(f.n), A, f.c.v, them(f.n), f.c.line, count(f.n, what))
	case kindStale:
		act := "checked, and the check failed"
		if f.c.k != trace.Check {
			act = "acted on what it had read: " + a.did(f.c, f.obj)
		}
		return fmt.Sprintf("%s read %s = %s (line %d); %s then %s (line %d)%s; %s %s (line %d): a stale read.",
			A, f.obj, f.a.v, f.a.line, B, changed(f.b), f.b.line, more(f.n), A, act, f.c.line)
	}
	return fmt.Sprintf("%s %s (line %d) and %s %s (line %d) with nothing ordering the two: a data race.",
		A, a.did(f.a, f.obj), f.a.line, B, a.did(f.b, f.obj), f.b.line)
}

// changed says what a write did, after "B then".
func changed(x access) string {
	switch x.k {
	case trace.Set:
		return "wrote " + x.v.String()
	case trace.Add:
		return "added to it"
	case trace.Swap:
		return "swapped in " + x.v.String()
	}
	return "compare-and-swapped it"
}

// luck is the sentence for a run that passed with a data race in it.
func (a *Analyzer) luck(f finding) string {
	names := []string{a.name(int(f.a.th)), a.name(int(f.b.th))}
	if f.b.th < f.a.th {
		names[0], names[1] = names[1], names[0]
	}
	return fmt.Sprintf("This run was correct by luck: %s touch %s with nothing ordering them.", strings.Join(names, " and "), f.obj)
}

func more(n uint64) string {
	switch {
	case n <= 1:
		return ""
	case n == 2:
		return ", and 1 more write followed"
	}
	return fmt.Sprintf(", and %d more writes followed", n-1)
}

func them(n uint64) string {
	if n > 1 {
		return "them"
	}
	return "it"
}

func count(n uint64, what string) string {
	if n == 1 {
		return "one " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
