package server

import (
	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
	"interleave/sandbox/trace"
	"slices"
)

// The WebSocket protocol of /ws, one JSON object per message, as
// docs/protocol.md describes it and TestProtocolDoc checks. A new message
// gets its type here, its section there, and its entry in the test's
// table of messages.

// ClientMessage is what a page sends: a run request (type "run") or a
// stop (type "stop", which carries nothing else). A run request is the
// engine's request as the child reads it, less the limits, which the
// server alone sets.
type ClientMessage struct {
	Type string `json:"type"`
	engine.Request
	// An explore message's own fields (see exploreOptions).
	Strategy     string `json:"strategy,omitempty"`
	Budget       int    `json:"budget,omitempty"`
	Preemptions  *int   `json:"preemptions,omitempty"`
	Depth        int    `json:"depth,omitempty"`
	UntilFailure bool   `json:"until_failure,omitempty"`
	// Interactive makes a sim-mode run's choices the person's: the run
	// stops at each choice with a ChoiceMessage and waits for a pick.
	Interactive bool `json:"interactive,omitempty"`
	// A pick message's own fields: the thread, and "blocks" to keep
	// picking it until it would block.
	Th    int    `json:"th,omitempty"`
	Until string `json:"until,omitempty"`
}

// QueuedMessage says that a run waits for a slot, and where in the line.
type QueuedMessage struct {
	Type     string `json:"type"` // "queued"
	Position int    `json:"position"`
}

// StartedMessage says that a run has its slot and starts, with the
// request as the server resolved it.
type StartedMessage struct {
	Type     string         `json:"type"` // "started"
	Run      string         `json:"run"`  // the run's id, for the logs
	Scenario string         `json:"scenario"`
	Mode     trace.Mode     `json:"mode"`
	Procs    int            `json:"procs"`
	Seed     int64          `json:"seed"`
	Params   map[string]any `json:"params"`
	// Interactive is true for a run whose choices the person makes.
	Interactive bool `json:"interactive,omitempty"`
}

// ChoiceMessage puts a choice of an interactive run to the person: the
// threads that may run next, each with its next operation and a
// sentence. Every event before it has been sent.
type ChoiceMessage struct {
	Type string `json:"type"` // "choice"
	trace.Choice
}

// RestartMessage follows an undo: the page clears its timeline, and the
// events that follow start again at sequence 0, replaying Schedule.
type RestartMessage struct {
	Type     string `json:"type"` // "restart"
	Schedule string `json:"schedule"`
}

// ProgressMessage is what an exploration has found so far, a few times
// a second.
type ProgressMessage struct {
	Type string `json:"type"` // "progress"
	explore.Progress
}

// ExploredMessage carries an exploration's report, its fields beside the
// type, in the place of a run's end.
type ExploredMessage struct {
	Type string `json:"type"` // "explored"
	*explore.Report
}

// EventsMessage carries a batch of a run's events in sequence order. It
// is written by appendEventsMessage, which encodes the batch without
// copying it; the type says what that writes.
type EventsMessage struct {
	Type   string        `json:"type"` // "events"
	Events []trace.Event `json:"events"`
}

// EndMessage carries a run's result, without its events: the last
// message of every run, and the whole answer to a run refused with a
// result (a script error, a param out of bounds).
type EndMessage struct {
	Type   string        `json:"type"` // "end"
	Result *trace.Result `json:"result"`
	Rest   *restOffer    `json:"rest,omitempty"` // where the events shed while it streamed can be fetched
}

// ErrorMessage refuses a message or a run with a sentence for the user;
// Code, when set, names a refusal the page reacts to (busy, rate,
// shutdown).
type ErrorMessage struct {
	Type    string `json:"type"` // "error"
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

// appendEventsMessage encodes a batch as one EventsMessage.
func appendEventsMessage(b []byte, evs []trace.Event) []byte {
	// Room for the batch at once (most events take under 128 bytes of
	// JSON): growing it from nothing copied it a dozen times, a fifth of
	// the server's CPU while a run streams.
	b = slices.Grow(b, 64+128*len(evs))
	b = append(b, `{"type":"events","events":`...)
	b = trace.AppendEventsJSON(b, evs)
	return append(b, '}')
}
