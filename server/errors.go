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
