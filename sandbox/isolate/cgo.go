//go:build cgo

package isolate

// threadStackReserve is what RLIMIT_DATA must leave for each OS thread's
// stack. With cgo (the default for `go run .` where a C compiler exists),
// threads come from pthread_create, whose 8 MiB stacks are private
// writable mappings that RLIMIT_DATA counts though they are barely
// touched; the memory cgroup, which counts pages used, is unaffected.
const threadStackReserve = 8 << 20

// cgoBuild is true in a binary built with cgo. Landlock then cannot be
// applied to every thread: go-landlock does it through libpsx, whose
// signal-based cgo variant hangs in a process that is pid 1 of its pid
// namespace, which every sandbox child is.
const cgoBuild = true
