package isolate

import (
	"errors"
	"strings"
	"testing"
)

// TestStartFailed checks that a box whose namespaces were assumed, not
// probed, drops them on the first failed start and only then, and that a
// probed or strict box never does.
func TestStartFailed(t *testing.T) {
	refused := errors.New("fork/exec: operation not permitted")
	for _, tc := range []struct {
		name     string
		box      *Box
		want     bool
		wantNote bool
	}{
		{"unproven", &Box{unproven: true, layers: Layers{Level: Auto, Namespaces: true}}, true, true},
		{"probed", &Box{layers: Layers{Level: Auto, Namespaces: true}}, false, false},
		{"strict", &Box{unproven: true, layers: Layers{Level: Strict, Namespaces: true}}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.box
			if got := b.StartFailed(refused); got != tc.want {
				t.Errorf("StartFailed(%v) = %v, want %v", refused, got, tc.want)
			}
			l := b.Layers()
			if l.Namespaces == tc.want {
				t.Errorf("Layers().Namespaces = %v after StartFailed, want %v", l.Namespaces, !tc.want)
			}
			note := strings.Contains(strings.Join(l.Missing, "\n"), "namespaces are not available")
			if note != tc.wantNote {
				t.Errorf("Layers().Missing = %q, want a namespaces note: %v", l.Missing, tc.wantNote)
			}
			if b.StartFailed(refused) {
				t.Errorf("StartFailed a second time = true, want false")
			}
		})
	}
}
