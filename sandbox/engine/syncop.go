package engine

// syncOp is the pending operation of a primitive whose steps the explorer
// has no finer model of (condvar, rwlock, barrier, semaphore, park, once,
// scope): it conflicts with every other step, so partial-order reduction
// never takes two of them to commute. Exploration stays complete, only
// less reduced where these primitives are used.
var syncOp = Op{ID: ObjGlobal, Write: true}
