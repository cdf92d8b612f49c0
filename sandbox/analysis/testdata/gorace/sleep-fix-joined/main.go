// Command sleep-fix-joined is scenarios/lib/sleep-fix.star with join =
// True in Go: main waits for the loader before it reads.
package main

import (
	"fmt"
	"sync"
)

func main() {
	config := ""
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		config = "loaded"
	}()
	wg.Wait()
	fmt.Println(config)
}
