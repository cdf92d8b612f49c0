package server

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// positionLog records the positions told to one waiter.
type positionLog struct {
	mu  sync.Mutex
	pos []int
}

func (p *positionLog) notify(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pos = append(p.pos, n)
}

func (p *positionLog) get() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.pos...)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestAdmissionQueueOrderAndPositions(t *testing.T) {
	a := newAdmission(1, 1, 10, 10, 4)
	ctx := context.Background()
	if err := a.acquire(ctx, "first", nil); err != nil {
		t.Fatal(err)
	}
	var order []string
	var mu sync.Mutex
	logs := map[string]*positionLog{}
	var wg sync.WaitGroup
	for _, c := range []string{"b", "c", "d"} {
		logs[c] = &positionLog{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.acquire(ctx, c, logs[c].notify); err != nil {
				t.Errorf("acquire(%s) = %v", c, err)
				return
			}
			mu.Lock()
			order = append(order, c)
			mu.Unlock()
			a.release(c)
		}()
		// Queue them in a known order.
		waitFor(t, c+" queued", func() bool { _, w := a.stats(); return w == len(logs) })
	}
	a.release("first")
	wg.Wait()
	if got := order; len(got) != 3 || got[0] != "b" || got[1] != "c" || got[2] != "d" {
		t.Errorf("start order = %v, want [b c d]", got)
	}
	want := map[string][]int{"b": {1}, "c": {2, 1}, "d": {3, 2, 1}}
	for c, w := range want {
		got := logs[c].get()
		if len(got) != len(w) {
			t.Errorf("positions told to %s = %v, want %v", c, got, w)
			continue
		}
		for i := range w {
			if got[i] != w[i] {
				t.Errorf("positions told to %s = %v, want %v", c, got, w)
				break
			}
		}
	}
}

func TestAdmissionBusy(t *testing.T) {
	a := newAdmission(1, 1, 2, 2, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := a.acquire(ctx, "x", nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"y", "z"} {
		go a.acquire(ctx, c, nil)
	}
	waitFor(t, "two waiters", func() bool { _, w := a.stats(); return w == 2 })
	if err := a.acquire(ctx, "w", nil); !errors.Is(err, errBusy) {
		t.Errorf("acquire with a full queue = %v, want errBusy", err)
	}
}

func TestAdmissionOneRunPerClient(t *testing.T) {
	a := newAdmission(2, 1, 10, 10, 4)
	ctx := context.Background()
	if err := a.acquire(ctx, "same", nil); err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	go func() { second <- a.acquire(ctx, "same", nil) }()
	waitFor(t, "the second run of the same client to wait", func() bool { _, w := a.stats(); return w == 1 })
	// Another client is not held up by it, though it came later.
	if err := a.acquire(ctx, "other", nil); err != nil {
		t.Fatalf("acquire(other) = %v", err)
	}
	if r, w := a.stats(); r != 2 || w != 1 {
		t.Errorf("stats = %d running, %d waiting, want 2, 1", r, w)
	}
	a.release("same")
	if err := <-second; err != nil {
		t.Errorf("second run of the same client = %v after the first ended, want it started", err)
	}
}

func TestAdmissionCancelWhileWaiting(t *testing.T) {
	a := newAdmission(1, 1, 10, 10, 4)
	if err := a.acquire(context.Background(), "x", nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.acquire(ctx, "y", nil) }()
	waitFor(t, "y to wait", func() bool { _, w := a.stats(); return w == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("acquire after cancel = %v, want context.Canceled", err)
	}
	if _, w := a.stats(); w != 0 {
		t.Errorf("queue after a cancelled waiter = %d, want 0", w)
	}
	a.release("x")
	if r, _ := a.stats(); r != 0 {
		t.Errorf("running after release = %d, want 0", r)
	}
}

// TestAdmissionPerClientQueue: one address cannot fill the whole queue;
// another address still gets a place in it.
func TestAdmissionPerClientQueue(t *testing.T) {
	a := newAdmission(1, 1, 10, 2, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := a.acquire(ctx, "other", nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		go a.acquire(ctx, "greedy", nil)
	}
	waitFor(t, "two waiting runs of one client", func() bool { _, w := a.stats(); return w == 2 })
	if err := a.acquire(ctx, "greedy", nil); !errors.Is(err, errClientQueued) {
		t.Errorf("acquire(greedy) with 2 of its runs waiting = %v, want errClientQueued", err)
	}
	third := make(chan error, 1)
	go func() { third <- a.acquire(ctx, "third", nil) }()
	waitFor(t, "another client to wait", func() bool { _, w := a.stats(); return w == 3 })
	cancel()
	if err := <-third; !errors.Is(err, context.Canceled) {
		t.Errorf("acquire(third) = %v after cancel, want it to have waited in the queue", err)
	}
}

// An interactive run's seat: a paused run frees its CPU slot for others
// but keeps its client's slot and its place; a resume waits in the queue
// like any run, and survives close (the run may finish in the grace).
func TestAdmissionInteractiveSeat(t *testing.T) {
	a := newAdmission(1, 1, 10, 10, 1)
	ctx := context.Background()
	if err := a.acquireInteractive(ctx, "i", nil); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		got  error
		want error
	}{
		{"second place, same client", a.acquireInteractive(ctx, "i", nil), errClientInteractive},
		{"second place, another client", a.acquireInteractive(ctx, "j", nil), errInteractiveFull},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !errors.Is(c.got, c.want) {
				t.Errorf("acquireInteractive = %v, want %v", c.got, c.want)
			}
		})
	}
	a.pause()
	if live, paused := a.interactiveStats(); live != 1 || paused != 1 {
		t.Errorf("interactiveStats() = %d, %d after pause, want 1, 1", live, paused)
	}
	if err := a.acquire(ctx, "other", nil); err != nil {
		t.Fatalf("acquire beside a paused run = %v, want the free slot", err)
	}
	resumed := make(chan error, 1)
	pos := &positionLog{}
	go func() { resumed <- a.resume(ctx, "i", pos.notify) }()
	waitFor(t, "the resume to queue", func() bool { _, w := a.stats(); return w == 1 })
	a.close()
	if _, w := a.stats(); w != 1 {
		t.Errorf("close dropped the waiting resume: %d waiting, want 1", w)
	}
	a.release("other")
	if err := <-resumed; err != nil {
		t.Fatalf("resume = %v, want the slot freed by other", err)
	}
	if got := pos.get(); len(got) != 1 || got[0] != 1 {
		t.Errorf("resume positions = %v, want [1]", got)
	}
	a.leaveInteractive("i", true)
	if r, _ := a.stats(); r != 0 {
		t.Errorf("%d slots held after the run left, want 0", r)
	}
	if live, paused := a.interactiveStats(); live != 0 || paused != 0 {
		t.Errorf("interactiveStats() = %d, %d after leave, want 0, 0", live, paused)
	}
}
