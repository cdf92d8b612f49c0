package engine

import _ "unsafe" // for go:linkname

// nanotime is the runtime's monotonic clock: one vDSO call, cheaper than
// time.Now, which also reads the wall clock.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64
