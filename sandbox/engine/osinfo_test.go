package engine

import (
	"runtime"
	"testing"
)

func TestCurrentCPU(t *testing.T) {
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
	b.Run("threadKey", func(b *testing.B) {
		for range b.N {
			sinkInt += int(threadKey())
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
