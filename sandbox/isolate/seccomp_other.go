//go:build !linux || (!amd64 && !arm64)

package isolate

import "errors"

// The allowlist exists for amd64 and arm64 only; elsewhere the box
// reports the seccomp layer missing, as on a kernel without seccomp.

func loadSeccomp() error {
	return errors.New("seccomp: load filter: no allowlist for this architecture")
}

// SeccompSupported reports whether the kernel can load seccomp filters:
// never on an architecture without an allowlist.
func SeccompSupported() bool { return false }
