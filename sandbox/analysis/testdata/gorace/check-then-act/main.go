// Command check-then-act is scenarios/lib/check-then-act.star in Go: the
// balance is an atomic, read with a load and changed with an add, so
// there is no data race, only a check that can go stale before the act.
package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	var balance atomic.Int64
	balance.Store(100)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if balance.Load() >= 80 {
				time.Sleep(100 * time.Microsecond)
				balance.Add(-80)
			}
		}()
	}
	wg.Wait()
	fmt.Println(balance.Load())
}
