// Command sleep-fix is scenarios/lib/sleep-fix.star in Go: main sleeps
// instead of waiting for the loader, then reads what it wrote.
package main

import (
	"fmt"
	"time"
)

func main() {
	config := ""
	go func() {
		config = "loaded"
	}()
	time.Sleep(4 * time.Millisecond)
	fmt.Println(config)
}
