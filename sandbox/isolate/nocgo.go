//go:build !cgo

package isolate

// threadStackReserve is zero without cgo: the Go runtime makes its own
// small thread stacks.
const threadStackReserve = 0

// cgoBuild is false without cgo: Landlock reaches every thread through
// the Go runtime's own AllThreadsSyscall.
const cgoBuild = false
