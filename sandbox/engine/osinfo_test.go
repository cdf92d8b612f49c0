package engine

import (
	"fmt"
	"runtime"
	"testing"

	"interleave/sandbox/trace"
)

func TestCurrentCPU(t *testing.T) {
	chooseCPUPaths()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for range 100 {
		if c := currentCPU(); c < 0 || c >= runtime.NumCPU() {
			t.Fatalf("currentCPU() = %d, want 0..%d", c, runtime.NumCPU()-1)
		}
	}
	if gettid() <= 0 {
		t.Errorf("gettid() = %d", gettid())
	}
}

var sinkInt int

func BenchmarkOSInfo(b *testing.B) {
	chooseCPUPaths()
	b.Run("nanotime", func(b *testing.B) {
		for range b.N {
			sinkInt += int(nanotime())
		}
	})
	b.Run("currentCPU", func(b *testing.B) {
		for range b.N {
			sinkInt += currentCPU()
		}
	})
	b.Run("getcpu-syscall", func(b *testing.B) {
		for range b.N {
			sinkInt += syscallCPU()
		}
	})
	b.Run("ticks", func(b *testing.B) {
		for range b.N {
			sinkInt += int(ticks())
		}
	})
	b.Run("runtimeTid", func(b *testing.B) {
		for range b.N {
			sinkInt += runtimeTid()
		}
	})
	b.Run("rseq", func(b *testing.B) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		_, a := rseqHere()
		if a == nil {
			b.Skip("the kernel refused an rseq area")
		}
		for range b.N {
			sinkInt += a.cpu()
		}
	})
	b.Run("gettid", func(b *testing.B) {
		for range b.N {
			sinkInt += gettid()
		}
	})
}

// TestOSTid checks the green-mode tid cache against gettid on threads
// that cannot move.
func TestOSTid(t *testing.T) {
	chooseCPUPaths()
	r := &run{}
	for range 3 {
		done := make(chan [2]int)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			th := &thread{r: r}
			var got int
			for range 10 {
				got = th.osTid()
				runtime.Gosched()
			}
			done <- [2]int{got, gettid()}
		}()
		if v := <-done; v[0] != v[1] {
			t.Errorf("osTid() = %d, want gettid() = %d", v[0], v[1])
		}
	}
}

// TestCPULevels checks, for every INTERLEAVE_CPU_PATH level, that a locked
// thread's events name its tid and a CPU that exists.
func TestCPULevels(t *testing.T) {
	defer func() { _ = configureCPU("auto") }()
	for _, level := range cpuLevels {
		t.Run(level, func(t *testing.T) {
			if err := configureCPU(level); err != nil {
				t.Fatalf("configureCPU(%q) = %v", level, err)
			}
			done := make(chan [3]int)
			go func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				th := &thread{r: &run{mode: trace.ModeGreen}}
				tid := th.osTid()
				done <- [3]int{tid, gettid(), th.cpu()}
			}()
			v := <-done
			if v[0] != v[1] {
				t.Errorf("osTid() = %d, want gettid() = %d", v[0], v[1])
			}
			if v[2] < 0 || v[2] >= runtime.NumCPU() {
				t.Errorf("cpu() = %d, want 0..%d", v[2], runtime.NumCPU()-1)
			}
		})
	}
	if err := configureCPU("fast"); err == nil {
		t.Errorf("configureCPU(%q) = nil, want an error", "fast")
	}
}

// TestRuntimeTid checks the runtime's record of the OS thread against
// gettid, which the engine also does before it trusts it.
func TestRuntimeTid(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if got, want := runtimeTid(), gettid(); runtime.GOARCH == "amd64" && got != want {
		t.Errorf("runtimeTid() = %d, want gettid() = %d", got, want)
	}
}

// TestRseqArea checks that a registered area follows the thread's CPU and
// can be unregistered and reused.
func TestRseqArea(t *testing.T) {
	done := make(chan error)
	go func() {
		runtime.LockOSThread() // the thread exits with the goroutine
		tid, a := rseqHere()
		if a == nil {
			done <- nil // the kernel refused: the engine falls back
			return
		}
		// Two tries: the thread may move between reading rseq and getcpu.
		if c, c1, c2 := a.cpu(), syscallCPU(), syscallCPU(); c < 0 || c >= runtime.NumCPU() || c != c1 && c != c2 {
			done <- fmt.Errorf("rseq cpu %d, getcpu %d", c, syscallCPU())
			return
		}
		if tid2, a2 := rseqHere(); tid2 != tid || a2 != a {
			done <- fmt.Errorf("rseqHere() again = %d, %p, want %d, %p", tid2, a2, tid, a)
			return
		}
		rseqForget(a)
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
