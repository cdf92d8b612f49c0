package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"interleave/limits"
	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
	"interleave/scenarios"
)

// TestRefusalKinds checks that every kind has its row in the table and
// that a refusal keeps its kind and sentence through wrapping.
func TestRefusalKinds(t *testing.T) {
	for k := kindInvalid; k <= kindShutdown; k++ {
		if _, ok := kinds[k]; !ok {
			t.Errorf("kind %d has no status in the table", k)
		}
	}
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"invalid", refuse(kindInvalid, "Bad %s.", "input"), http.StatusBadRequest, "", "Bad input."},
		{"wrapped rate", fmt.Errorf("share: %w", tooMany("runs", 0)), http.StatusTooManyRequests, "rate", "Too many runs from your address; try again in 1 s."},
		{"shutdown", shuttingDown, http.StatusServiceUnavailable, "shutdown", shuttingDown.msg},
		{"internal", errors.New("disk on fire"), http.StatusInternalServerError, "", internalMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ue, _ := refusalOf(tt.err, internalMessage)
			if got := ue.status(); got != tt.wantStatus {
				t.Errorf("refusalOf(%v).status() = %d, want %d", tt.err, got, tt.wantStatus)
			}
			if m := ue.errorMessage(); m.Code != tt.wantCode || m.Message != tt.wantMsg {
				t.Errorf("refusalOf(%v).errorMessage() = %+v, want code %q and %q", tt.err, m, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

// TestPrepareRefusalKinds checks the kind, and so the status and code,
// of prepare's refusals: a scenario id that names nothing is not found,
// not a bad request; a script over the limit is too large.
func TestPrepareRefusalKinds(t *testing.T) {
	cat, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{cfg: withDefaults(Config{Limits: limits.Limits{Script: 100}}), catalogue: cat}
	tests := []struct {
		name       string
		msg        ClientMessage
		wantStatus int
		wantMsg    string
	}{
		{"unknown scenario", ClientMessage{Type: "run", Request: engine.Request{Scenario: "nope"}},
			http.StatusNotFound, `There is no scenario "nope".`},
		{"script over the limit", ClientMessage{Type: "run", Request: engine.Request{Source: "def main():\n    pass\n" + strings.Repeat("#", 80)}},
			http.StatusRequestEntityTooLarge, "The script is 101 bytes; the script size limit is 100 bytes."},
		{"procs over the cap", ClientMessage{Type: "run", Request: engine.Request{Scenario: "lost-update", Mode: trace.ModeGreen, Procs: limits.MaxProcs + 1}},
			http.StatusBadRequest, "Procs must be from 1 to 64, not 65."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.prepare(tt.msg)
			ue, ok := refusalOf(err, internalMessage)
			if !ok || ue.status() != tt.wantStatus || ue.msg != tt.wantMsg {
				t.Errorf("prepare(%s) = %v (status %d), want %d %q", tt.name, err, ue.status(), tt.wantStatus, tt.wantMsg)
			}
		})
	}
}
