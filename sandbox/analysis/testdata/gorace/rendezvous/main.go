// Command rendezvous is scenarios/lib/rendezvous.star in Go: messages
// pass through an unbuffered channel while an atomic counts them.
package main

import (
	"fmt"
	"sync/atomic"
)

func main() {
	ch := make(chan int)
	var sent atomic.Int64
	go func() {
		for i := range 5 {
			ch <- i
			sent.Add(1)
		}
		close(ch)
	}()
	received, ahead := 0, int64(0)
	for v := range ch {
		received++
		fmt.Println("took", v)
		ahead = max(ahead, sent.Load()-int64(received))
	}
	fmt.Println(ahead)
}
