// Command counter-mutex is scenarios/lib/counter-mutex.star in Go: the
// read and the write of the counter are made under a mutex.
package main

import (
	"fmt"
	"sync"
)

func main() {
	counter := 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				mu.Lock()
				v := counter
				counter = v + 1
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	fmt.Println(counter)
}
