package trace

import (
	"bytes"
	"testing"
)

func TestWriteChrome(t *testing.T) {
	res := &Result{Scenario: "demo", Mode: ModeSim, Status: StatusDeadlock,
		Threads: []Thread{{ID: 0, Name: "main"}, {ID: 1, Name: "alpha"}, {ID: 2, Name: "beta"}},
		Events: []Event{
			{Seq: 0, T: 0, Th: 0, K: Start},
			{Seq: 1, T: 10, Th: 0, K: Spawn, Obj: "alpha", V: Int(1)},
			{Seq: 2, T: 20, Th: 0, K: Spawn, Obj: "beta", V: Int(2)},
			{Seq: 3, T: 30, Th: 1, K: Start},
			{Seq: 4, T: 40, Th: 1, K: Lock, Obj: "first"},
			{Seq: 5, T: 50, Th: 1, K: Acquired, Obj: "first"},
			{Seq: 6, T: 60, Th: 1, K: Set, Obj: "x", V: Int(3)},
			{Seq: 7, T: 70, Th: 1, K: Unlock, Obj: "first"},
			{Seq: 8, T: 80, Th: 2, K: Start},
			{Seq: 9, T: 90, Th: 2, K: Lock, Obj: "first"},
			{Seq: 10, T: 100, Th: 2, K: Acquired, Obj: "first"},
			{Seq: 11, T: 110, Th: 2, K: Send, Obj: "ch", V: Str("hi")},
			{Seq: 12, T: 120, Th: 2, K: Sent, Obj: "ch"},
			{Seq: 13, T: 130, Th: 1, K: Recv, Obj: "ch"},
			{Seq: 14, T: 140, Th: 1, K: Received, Obj: "ch", V: Str("hi")},
			{Seq: 15, T: 150, Th: 1, K: End},
			{Seq: 16, T: 160, Th: 0, K: Join, Obj: "alpha"}, // as recorded before joins named the id
			{Seq: 17, T: 170, Th: 0, K: Joined, Obj: "alpha"},
			{Seq: 18, T: 180, Th: 0, K: Lock, Obj: "first"}, // left waiting: the run deadlocked
		}}
	var buf bytes.Buffer
	if err := WriteChrome(&buf, res); err != nil {
		t.Fatal(err)
	}
	if err := ValidateChrome(buf.Bytes()); err != nil {
		t.Fatalf("WriteChrome() output is invalid: %v\n%s", err, buf.Bytes())
	}
	for _, want := range []string{`"thread_name"`, `"alpha"`, `"hold first"`, `"wait for lock first"`, `"name":"spawn","cat":"flow","ph":"s"`,
		`"name":"handoff first"`, `"name":"message ch"`, `"name":"join"`, `"unfinished":true`, `"ph":"i"`} {
		if !bytes.Contains(buf.Bytes(), []byte(want)) {
			t.Errorf("WriteChrome() lacks %s", want)
		}
	}
}

// TestWriteChromeStable checks that the export is the same bytes every
// time and that joins link to the thread by id when two share a name.
func TestWriteChromeStable(t *testing.T) {
	res := &Result{Scenario: "twins", Mode: ModeSim, Status: StatusOK,
		Threads: []Thread{{ID: 0, Name: "main"}, {ID: 1, Name: "twin"}, {ID: 2, Name: "twin"}, {ID: 3, Name: "c"}, {ID: 4, Name: "d"}},
		Events: []Event{
			{Seq: 0, T: 0, Th: 0, K: Start},
			{Seq: 1, T: 10, Th: 0, K: Spawn, Obj: "twin", V: Int(1)},
			{Seq: 2, T: 20, Th: 0, K: Spawn, Obj: "twin", V: Int(2)},
			{Seq: 3, T: 30, Th: 1, K: Start},
			{Seq: 4, T: 40, Th: 2, K: Start},
			{Seq: 5, T: 50, Th: 1, K: End},
			{Seq: 6, T: 60, Th: 2, K: Lock, Obj: "m"},
			{Seq: 7, T: 70, Th: 2, K: Acquired, Obj: "m"},
			{Seq: 8, T: 80, Th: 2, K: Lock, Obj: "n"},
			{Seq: 9, T: 90, Th: 2, K: Acquired, Obj: "n"},
			{Seq: 10, T: 100, Th: 2, K: End},
			{Seq: 11, T: 110, Th: 0, K: Join, Obj: "twin", V: Int(2)},
			{Seq: 12, T: 120, Th: 0, K: Joined, Obj: "twin"},
			{Seq: 13, T: 130, Th: 0, K: Sleep, Obj: "", V: Int(5)},
		}}
	var first bytes.Buffer
	if err := WriteChrome(&first, res); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		var again bytes.Buffer
		if err := WriteChrome(&again, res); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), again.Bytes()) {
			t.Fatalf("WriteChrome() export %d differs from the first", i+2)
		}
	}
	// The join flow starts at thread 2's end (ts 0.100), not thread 1's.
	want := `{"name":"join","cat":"flow","ph":"s","id":3,"pid":1,"tid":2,"ts":0.100}`
	if !bytes.Contains(first.Bytes(), []byte(want)) {
		t.Errorf("WriteChrome() lacks %s\n%s", want, first.Bytes())
	}
}
