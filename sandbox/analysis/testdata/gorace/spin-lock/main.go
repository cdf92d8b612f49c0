// Command spin-lock is scenarios/lib/spin-lock.star in Go: a lock word
// taken with compare-and-swap and released with a store guards a plain
// counter.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

func main() {
	var taken atomic.Int32
	counter := 0
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				for !taken.CompareAndSwap(0, 1) {
					runtime.Gosched()
				}
				v := counter
				counter = v + 1
				taken.Store(0)
			}
		}()
	}
	wg.Wait()
	fmt.Println(counter)
}
