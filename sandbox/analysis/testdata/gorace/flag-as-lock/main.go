// Command flag-as-lock is the flag-as-lock script of the analysis tests
// in Go: a plain boolean used as a lock around a plain counter.
package main

import (
	"fmt"
	"runtime"
	"sync"
)

func main() {
	busy := false
	counter := 0
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				for busy {
					runtime.Gosched()
				}
				busy = true
				v := counter
				counter = v + 1
				busy = false
			}
		}()
	}
	wg.Wait()
	fmt.Println(counter)
}
