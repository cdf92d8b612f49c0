//go:build linux

package isolate

// archDenied is empty: arm64 has no fork, vfork or open, only clone and
// openat, which the common cases test.
var archDenied []struct {
	name string
	nr   uint32
}
