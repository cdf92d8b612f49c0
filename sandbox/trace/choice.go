package trace

import "fmt"

// An interactive run (the person as the scheduler) talks in two more
// frames besides events and the result: at each choice the child says
// what could run next and waits for a pick on its stdin; after an undo it
// says that the run starts again. Both payloads are JSON.
const (
	FrameChoice  byte = 'C' // payload: a Choice
	FrameRestart byte = 'U' // payload: a Restart
	// FrameRefused says that the child refused the last pick (the
	// supervisor checks picks first, so this is a defence); the same
	// choice still waits. Payload: the reason, a sentence.
	FrameRefused byte = 'F'
)

// Choice is a choice put to the person: the threads that may run next,
// each with the operation it will perform, after N choices made.
type Choice struct {
	N        int         `json:"n"`
	Current  int         `json:"current"` // the thread that ran last if it could go on, else -1
	Schedule string      `json:"schedule"`
	Runnable []Candidate `json:"runnable"`
}

// Candidate is one runnable thread at a choice and what it will do when picked.
type Candidate struct {
	Th     int    `json:"th"`
	Name   string `json:"name"`
	Blocks bool   `json:"blocks"` // its next operation would wait if it ran now
	Next   NextOp `json:"next"`
	Text   string `json:"text"` // one sentence for people
}

// NextOp is the operation a runnable thread is parked at. K is the event
// kind's name, or "" for plain code and a thread's start; V is absent
// when the value is not known before the operation runs.
type NextOp struct {
	K    string `json:"k"`
	Obj  string `json:"obj"`
	V    *Value `json:"v,omitempty"`
	Line int    `json:"line"`
}

// Restart says that an undo ended the execution: a new one replays
// Schedule (the old one less its last choice) and its events start again
// at sequence 0.
type Restart struct {
	Schedule string `json:"schedule"`
}

// Pick is the person's answer at a choice, as the supervisor writes it on
// the child's stdin, one JSON object per line: run thread Th (to its next
// choice, or with Until "blocks" until it would block), or Undo.
type Pick struct {
	Th    int    `json:"th"`
	Until string `json:"until,omitempty"`
	Undo  bool   `json:"undo,omitempty"`
}

// UntilBlocks is the Until of a pick that keeps picking its thread.
const UntilBlocks = "blocks"

// Check says why a pick does not fit the choice, as a sentence, or ""
// when it does. An undo fits any choice after the first. names, if not
// nil, names the threads of the run that are not among the runnable.
func (c *Choice) Check(p Pick, names map[int]string) string {
	if p.Undo {
		if c.N == 0 {
			return "There is nothing to undo yet."
		}
		return ""
	}
	for _, r := range c.Runnable {
		if r.Th == p.Th {
			if p.Until != "" && p.Until != UntilBlocks {
				return `A pick's "until" is "blocks" or absent.`
			}
			return ""
		}
	}
	return fmt.Sprintf("%s cannot run now: it is not among the runnable threads.", c.threadName(p.Th, names))
}

// threadName names thread th as the person knows it: by its name when
// known, else by its number.
func (c *Choice) threadName(th int, names map[int]string) string {
	for _, r := range c.Runnable {
		if r.Th == th && r.Name != "" {
			return r.Name
		}
	}
	if name := names[th]; name != "" {
		return name
	}
	return fmt.Sprintf("thread %d", th)
}
