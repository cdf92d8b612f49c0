package analysis

import (
	"strconv"

	"interleave/sandbox/trace"
)

// syncKey names the clock of one coordination object: a condvar's
// notifies, one generation of a barrier, a semaphore's releases, one
// thread's park token, a once's initialisation.
type syncKey struct {
	kind trace.Kind // the releasing kind
	obj  string
}

// sync applies the happens-before edges of the coordination primitives
// (docs/protocol.md): each releasing event joins the thread's clock into
// its object's, and each acquiring event joins the object's clock into
// the thread's. Joining, not replacing, over-approximates when several
// notifies or releases race, which can hide a race but never invents one
// between threads the primitive really ordered.
func (a *Analyzer) sync(t *thread, e *trace.Event) {
	var key syncKey
	release := true
	switch e.K {
	case trace.Notify, trace.SemRelease:
		key = syncKey{e.K, e.Obj}
	case trace.BarrierWait:
		key = syncKey{e.K, e.Obj + "#" + strconv.FormatUint(e.Ver, 10)}
	case trace.Unpark:
		key = syncKey{e.K, strconv.FormatUint(e.Ver, 10)}
	case trace.OnceDone:
		key = syncKey{e.K, e.Obj}
		release = e.V.Kind == trace.VBool && e.V.Int != 0
	case trace.CvWoke:
		key, release = syncKey{trace.Notify, e.Obj}, false
		if e.V.Kind == trace.VStr && e.V.Str != "notified" {
			return // a timeout or a spurious wake-up: nothing woke it
		}
	case trace.BarrierPassed:
		key, release = syncKey{trace.BarrierWait, e.Obj + "#" + strconv.FormatUint(e.Ver, 10)}, false
	case trace.SemAcquired:
		key, release = syncKey{trace.SemRelease, e.Obj}, false
	case trace.SemTry:
		if e.V.Kind != trace.VBool || e.V.Int == 0 {
			return
		}
		key, release = syncKey{trace.SemRelease, e.Obj}, false
	case trace.Unparked:
		key, release = syncKey{trace.Unpark, strconv.Itoa(t.id)}, false
	default:
		return
	}
	c, ok := a.syncs[key]
	if !release {
		if ok {
			t.vc.join(c)
		}
		return
	}
	if !ok {
		if a.objects >= maxObjects {
			return
		}
		a.objects++
	}
	c.join(t.release())
	a.syncs[key] = c
}
