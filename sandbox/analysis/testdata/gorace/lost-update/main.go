// Command lost-update is scenarios/lib/lost-update.star in Go: two
// workers increment a plain counter with a separate read and write.
package main

import (
	"fmt"
	"sync"
)

func main() {
	counter := 0
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				v := counter
				counter = v + 1
			}
		}()
	}
	wg.Wait()
	fmt.Println(counter)
}
