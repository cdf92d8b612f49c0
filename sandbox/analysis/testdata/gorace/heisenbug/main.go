// Command heisenbug is scenarios/lib/heisenbug.star in Go: two customers
// take a ticket number from a plain counter, a little apart in time.
package main

import (
	"fmt"
	"time"
)

func main() {
	next := 1
	tickets := make(chan int, 2)
	for i := range 2 {
		go func() {
			time.Sleep(time.Duration(i) * 30 * time.Microsecond)
			t := next
			next = t + 1
			tickets <- t
		}()
	}
	fmt.Println(<-tickets, <-tickets)
}
