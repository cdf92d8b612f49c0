package explore

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"interleave/sandbox/engine"
)

// random runs the seeded scheduler of sim mode, seed after seed: the run
// with seed s here is the run `interleave run -mode sim -seed s` shows.
func (x *explorer) random() {
	var ch counter
	for i := int64(0); x.more(); i++ {
		req := x.req
		req.Seed = x.opts.Seed + i
		ch.reset(engine.NewRandomChooser(req.Seed))
		x.run(req, &ch, false)
	}
}

// repeat runs the script on real threads again and again.
func (x *explorer) repeat() {
	for x.more() {
		x.run(x.req, nil, false)
	}
}

// pct is probabilistic concurrency testing. Every thread gets a random
// priority above d when it first becomes runnable, and d-1 change points
// are drawn among the k choices of an execution (k: the most any
// execution so far made); at the i-th the thread about to run drops to
// priority i. The highest-priority runnable thread always runs.
func (x *explorer) pct() {
	rng := rand.New(rand.NewPCG(uint64(x.opts.Seed), 0x9c7))
	p := &pctChooser{rng: rng, d: x.opts.Depth}
	var ch counter
	k, n := 0, 1
	for x.more() {
		p.reset(k)
		ch.reset(p)
		res, ok := x.run(x.req, &ch, false)
		if ok {
			k = max(k, ch.choices)
			n = max(n, len(res.Threads))
		}
	}
	d := x.opts.Depth
	prob := 1 / (float64(n) * math.Pow(float64(max(k, 1)), float64(d-1)))
	x.guarantee = fmt.Sprintf("each execution finds a given bug of depth %d with probability at least 1/(n·k^(d-1)) = %.3g, for n = %d threads and k = %d choices", d, prob, n, k)
}

type pctChooser struct {
	rng     *rand.Rand
	d       int
	prio    map[int]uint64
	changes []int // choice numbers, ascending
	next    int
}

func (p *pctChooser) reset(k int) {
	if p.prio == nil {
		p.prio = map[int]uint64{}
	}
	clear(p.prio)
	p.changes, p.next = p.changes[:0], 0
	if k > 0 {
		for range p.d - 1 {
			p.changes = append(p.changes, p.rng.IntN(k))
		}
		slices.Sort(p.changes)
	}
}

func (p *pctChooser) Choose(c *engine.Choice) int {
	for _, r := range c.Runnable {
		if _, ok := p.prio[r.Th]; !ok {
			// Above every change point's priority; 40 random bits make
			// ties (broken by the lower id) unlikely.
			p.prio[r.Th] = uint64(p.d)<<40 | p.rng.Uint64()>>24
		}
	}
	best := p.highest(c)
	for p.next < len(p.changes) && p.changes[p.next] <= c.N {
		p.next++
		p.prio[best] = uint64(p.next)
		best = p.highest(c)
	}
	return best
}

// highest is the runnable thread of highest priority, among those that
// would not wait if there are any (PCT runs the highest enabled thread).
func (p *pctChooser) highest(c *engine.Choice) int {
	best, bestBlocks := -1, true
	for _, r := range c.Runnable {
		better := best < 0 || (bestBlocks && !r.Blocks) || (bestBlocks == r.Blocks && p.prio[r.Th] > p.prio[best])
		if better {
			best, bestBlocks = r.Th, r.Blocks
		}
	}
	return best
}
