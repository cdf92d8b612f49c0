package server_test

import (
	"encoding/json"
	"testing"

	"interleave/server"
)

// healthField is a /healthz field that may report the server unhealthy,
// as the cluster's client does while NATS is down.
type healthField string

func (h healthField) Unhealthy() string { return string(h) }

func TestHealthUnhealthyField(t *testing.T) {
	tests := []struct {
		name       string
		field      any
		wantStatus int
		wantState  string
	}{
		{"plain field", map[string]string{"level": "strict"}, 200, "ok"},
		{"healthy", healthField(""), 200, "ok"},
		{"unhealthy", healthField("The server is not connected to NATS."), 503, "unhealthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServerWith(t, server.Config{MaxRuns: 1, Health: map[string]any{"cluster": tt.field}})
			code, body := get(t, ts.URL+"/healthz")
			var h map[string]any
			if err := json.Unmarshal([]byte(body), &h); err != nil {
				t.Fatalf("/healthz = %s: %v", body, err)
			}
			if code != tt.wantStatus || h["status"] != tt.wantState {
				t.Errorf("/healthz = %d %v, want %d %s", code, h["status"], tt.wantStatus, tt.wantState)
			}
			if reason := h["reason"]; tt.wantState == "unhealthy" && reason != string(tt.field.(healthField)) {
				t.Errorf("/healthz reason = %v, want %q", reason, tt.field)
			}
		})
	}
}
