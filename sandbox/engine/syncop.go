package engine

import "interleave/sandbox/trace"

// syncOp is the pending operation of a primitive whose steps the explorer
// has no finer model of (condvar, rwlock, barrier, semaphore, park, once,
// scope): it conflicts with every other step, so partial-order reduction
// never takes two of them to commute. Exploration stays complete, only
// less reduced where these primitives are used.
var syncOp = Op{ID: ObjGlobal, Write: true}

// syncAt is syncOp with the kind, object and value a person reads in the
// picks panel ("ann will wait on ready"): without them every such step
// said "run its next lines of code". The explorer still sees one global
// step (ID and Write are syncOp's; it reads K only for steps that are not
// global, and for joins and yields).
func syncAt(k trace.Kind, obj string, v trace.Value) Op {
	op := syncOp
	op.K, op.Obj, op.V = k, obj, v
	return op
}
