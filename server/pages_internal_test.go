package server

import "testing"

// A card's summary is the notes' first sentence, two when the first is short.
func TestFirstSentence(t *testing.T) {
	tests := []struct{ notes, want string }{
		{"", ""},
		{"One line only", "One line only"},
		{"Two customers share an account. Each checks the balance, then withdraws. A third.", "Two customers share an account. Each checks the balance, then withdraws."},
		{"A first sentence that is long enough to say what the scenario is about. A second.", "A first sentence that is long enough to say what the scenario is about."},
		{"Short. Short too. Third.", "Short. Short too."},
		{"Short. Last one.\n\nNext paragraph.", "Short. Last one."},
		{"Wrapped\nover lines. More.", "Wrapped over lines. More."},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := firstSentence(tt.notes); got != tt.want {
				t.Errorf("firstSentence(%q) = %q, want %q", tt.notes, got, tt.want)
			}
		})
	}
}
