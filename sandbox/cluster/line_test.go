package cluster

import (
	"testing"
	"time"
)

func TestLineWhere(t *testing.T) {
	// Messages 10 to 20 in the stream; 12 and 15 deleted (taken out of
	// order or stopped); runners have had everything up to 13.
	l := &line{first: 10, last: 20, deleted: []uint64{12, 15}, delivered: 13}
	tests := []struct {
		seq  uint64
		want place
		pos  int
	}{
		{9, placeGone, 0},
		{12, placeGone, 0},
		{15, placeGone, 0},
		{11, placeTaken, 0},
		{13, placeTaken, 0},
		{14, placeWaiting, 1},
		{16, placeWaiting, 2}, // 14 before it; 15 is gone
		{20, placeWaiting, 6},
		{21, placeUnknown, 0}, // queued after the line was seen
	}
	for _, tt := range tests {
		if got, pos := l.where(tt.seq); got != tt.want || pos != tt.pos {
			t.Errorf("where(%d) = %v, %d, want %v, %d", tt.seq, got, pos, tt.want, tt.pos)
		}
	}
	var none *line
	if got, _ := none.where(1); got != placeUnknown {
		t.Errorf("where(1) on no line = %v, want unknown", got)
	}
	// Nothing delivered yet and the first messages deleted: the count
	// starts at the stream's first.
	l = &line{first: 5, last: 9, deleted: []uint64{6}, delivered: 0}
	if got, pos := l.where(8); got != placeWaiting || pos != 3 {
		t.Errorf("where(8) = %v, %d, want waiting, 3", got, pos)
	}
}

func TestWaitWords(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"2m", "2 minutes"}, {"1m", "a minute"}, {"90s", "90 s"}, {"1.4s", "1 s"}, {"300ms", "300ms"},
	}
	for _, tt := range tests {
		d, _ := time.ParseDuration(tt.in)
		if got := waitWords(d); got != tt.want {
			t.Errorf("waitWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
