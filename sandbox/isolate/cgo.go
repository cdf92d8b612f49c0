//go:build cgo

package isolate

// threadStackReserve is what RLIMIT_DATA must leave for each OS thread's
// stack. With cgo (the default for `go run .` where a C compiler exists),
// threads come from pthread_create, whose 8 MiB stacks are private
// writable mappings that RLIMIT_DATA counts though they are barely
// touched; the memory cgroup, which counts pages used, is unaffected.
const threadStackReserve = 8 << 20
