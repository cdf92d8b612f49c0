package trace

import "testing"

func TestTally(t *testing.T) {
	tl := NewTally(Result{Scenario: "s", Mode: ModeSim, Seed: 3})
	tl.Observe([]Event{
		{Th: 0, K: Spawn, Obj: "worker", V: Int(1)},
		{Th: 1, K: Start},
		{Th: 1, K: Get, Obj: "c", V: Int(0)},
		{Th: 1, K: End},
		{Th: 0, K: Spawn, Obj: "worker", V: Int(1)}, // the same id again: not a second thread
	})
	r := tl.Result(StatusError, "the child died")
	if r.Status != StatusError || r.Message != "the child died" || r.Scenario != "s" || r.Seed != 3 {
		t.Errorf("Result() head = %q %q %q %d, want error, the message, s, 3", r.Status, r.Message, r.Scenario, r.Seed)
	}
	if r.Stats.Events != 5 {
		t.Errorf("Result().Stats.Events = %d, want 5", r.Stats.Events)
	}
	want := []Thread{
		{ID: 0, Name: "main", Parent: -1, State: ThreadRunning, Events: 2},
		{ID: 1, Name: "worker", Parent: 0, State: ThreadEnded, Events: 3},
	}
	if len(r.Threads) != len(want) {
		t.Fatalf("Result().Threads = %+v, want %+v", r.Threads, want)
	}
	for i := range want {
		if r.Threads[i] != want[i] {
			t.Errorf("Result().Threads[%d] = %+v, want %+v", i, r.Threads[i], want[i])
		}
	}
	r.Threads[0].Name = "changed"
	if again := tl.Result(StatusOK, ""); again.Threads[0].Name != "main" {
		t.Errorf("a change to one Result's threads reached the tally: %q", again.Threads[0].Name)
	}
}
