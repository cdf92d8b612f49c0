package server

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
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
