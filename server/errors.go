package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"interleave/limits"
	"interleave/sandbox/trace"
)

// errKind is what a refusal is. It decides, through kinds, the HTTP
// status of a request refused with it and the code of a WebSocket error.
type errKind int

const (
	kindInvalid     errKind = iota + 1 // the request must change
	kindNotFound                       // nothing has that address or id
	kindTooLarge                       // the request or a part of it is over a size limit
	kindRateLimited                    // the address sent too many of these lately
	kindForbidden                      // a foreign page or host name
	kindMediaType                      // a body that is not JSON
	kindSlowBody                       // a body that did not arrive in time
	kindUnavailable                    // sharing is off, or the server cannot take more now
	kindBusy                           // the run queue, or the address's share of it, is full
	kindShutdown                       // the server is stopping and starts no more runs
	kindPick                           // a pick or undo that does not fit the run's choice
	kindInteractive                    // an interactive run this server or mode cannot do
)

// kinds maps each kind to its HTTP status and its WebSocket error code
// (empty: the error message has no code).
var kinds = map[errKind]struct {
	status int
	code   string
}{
	kindInvalid:     {http.StatusBadRequest, ""},
	kindNotFound:    {http.StatusNotFound, ""},
	kindTooLarge:    {http.StatusRequestEntityTooLarge, ""},
	kindRateLimited: {http.StatusTooManyRequests, "rate"},
	kindForbidden:   {http.StatusForbidden, ""},
	kindMediaType:   {http.StatusUnsupportedMediaType, ""},
	kindSlowBody:    {http.StatusRequestTimeout, ""},
	kindUnavailable: {http.StatusServiceUnavailable, ""},
	kindBusy:        {http.StatusServiceUnavailable, "busy"},
	kindShutdown:    {http.StatusServiceUnavailable, "shutdown"},
	kindPick:        {http.StatusConflict, "pick"},
	kindInteractive: {http.StatusBadRequest, "interactive"},
}

// userError is a refusal: its kind and a sentence for the user. A run
// refused before it starts (a script error with its line and column, a
// param out of bounds, a script over the size limit) also carries the
// result that the page shows in the place of a run's.
type userError struct {
	kind   errKind
	msg    string
	result *trace.Result
}

func (e *userError) Error() string { return e.msg }

// refuse is a refusal of the kind, worded by format.
func refuse(kind errKind, format string, args ...any) error {
	return &userError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Sentences for what is not a refusal: a fault of the server, said
// without its detail, which goes to the log.
const (
	internalMessage    = "Something went wrong on the server."
	internalRunMessage = "Something went wrong on the server; the run did not start."
)

// The refusals that more than one door says, each worded once.

// notFound is the refusal of an address or id that names nothing.
var notFound = &userError{kind: kindNotFound, msg: "There is nothing here."}

// shuttingDown refuses a run when the server is stopping.
var shuttingDown = &userError{kind: kindShutdown, msg: "The server is shutting down; the run did not start."}

// sharingOff refuses to share or show shared things without a database.
var sharingOff = &userError{kind: kindUnavailable, msg: "Sharing is off on this server (it was started without a database)."}

// noPickWaiting refuses a pick or undo on a socket with no interactive
// run.
var noPickWaiting = &userError{kind: kindPick, msg: "There is no run waiting for a pick: press You schedule to start one."}

// pickTooSoon refuses a pick or undo while the run is still on its way to
// the next choice (the page sends one pick per choice).
var pickTooSoon = &userError{kind: kindPick, msg: "The run is still on its way to the next choice: pick when it asks."}

// interactiveNotSim refuses an interactive run in a mode with no choices
// to make.
var interactiveNotSim = &userError{kind: kindInteractive, msg: "Only sim mode runs can be scheduled by hand: choose mode sim for You schedule."}

// interactiveOff refuses an interactive run on a server whose Runner is
// not a Scheduler: one that only runs scripts to their end. (The
// cluster's client is one: its runners carry picks.)
var interactiveOff = &userError{kind: kindInteractive, msg: "This server cannot wait for your picks: You schedule is off here; use Run."}

// exploreOff refuses an exploration on a server whose Runner is not an
// Explorer.
var exploreOff = &userError{kind: kindUnavailable, msg: "This server cannot explore scripts: Explore is off here; use Run."}

// exploreFailed is the message for an exploration that ended without a
// report: the error's own sentence for people when it has one (the
// runner exploring it stopped), else that something went wrong.
func exploreFailed(err error) ErrorMessage {
	var said interface{ UserMessage() string }
	if errors.As(err, &said) {
		return ErrorMessage{Type: "error", Message: said.UserMessage()}
	}
	return ErrorMessage{Type: "error", Message: "Something went wrong on the server; the exploration did not finish."}
}

// pickRefused refuses a pick with a sentence that says why.
func pickRefused(msg string) *userError { return &userError{kind: kindPick, msg: msg} }

// scriptTooLarge refuses src if it is over the script size limit, and
// returns nil if it fits: every door that takes a script (a run, a
// snippet, a shared run) checks it here, once.
func (s *Server) scriptTooLarge(src string) *userError {
	if most := s.cfg.Limits.Script; len(src) > most {
		return &userError{kind: kindTooLarge, msg: limits.ScriptTooLarge(len(src), most)}
	}
	return nil
}

// tooMany refuses an address that asked for too many of what lately.
func tooMany(what string, wait time.Duration) error {
	return refuse(kindRateLimited, "Too many %s from your address; try again in %d s.", what, int(wait.Seconds())+1)
}

// refusalOf is err as a user sees it: a userError as it is, anything
// else as an internal fault with the sentence given.
func refusalOf(err error, internal string) (ue *userError, ok bool) {
	if errors.As(err, &ue) {
		return ue, true
	}
	return &userError{msg: internal}, false
}

// status is the HTTP status of a refusal; 500 for an internal fault.
func (e *userError) status() int {
	if k, ok := kinds[e.kind]; ok {
		return k.status
	}
	return http.StatusInternalServerError
}

// errorMessage is the WebSocket message of a refusal.
func (e *userError) errorMessage() ErrorMessage {
	return ErrorMessage{Type: "error", Code: kinds[e.kind].code, Message: e.msg}
}
