//go:build linux

package isolate

import "golang.org/x/sys/unix"

// archDenied are amd64's older calls for what the filter denies.
var archDenied = []struct {
	name string
	nr   uint32
}{
	{"fork", unix.SYS_FORK}, {"vfork", unix.SYS_VFORK}, {"open", unix.SYS_OPEN},
}
