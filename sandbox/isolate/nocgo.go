//go:build !cgo

package isolate

// threadStackReserve is zero without cgo: the Go runtime makes its own
// small thread stacks.
const threadStackReserve = 0
