package server

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// eventStream is an uploaded run of n events, made as it is read, that
// counts the bytes taken from it.
type eventStream struct {
	n, next int
	buf     []byte
	read    int64
	total   int64
}

func newEventStream(n int) *eventStream {
	s := &eventStream{n: n, buf: []byte(`{"result":{"status":"ok"},"events":[`)}
	s.total = int64(len(s.buf)) + 2
	for i := range n {
		s.total += int64(len(s.event(i)))
	}
	return s
}

func (s *eventStream) event(i int) string {
	e := `{"seq":` + strconv.Itoa(i+1) + `,"k":"get"}`
	if i > 0 {
		e = "," + e
	}
	return e
}

func (s *eventStream) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && s.next <= s.n {
		if s.next == s.n {
			s.buf = append(s.buf, "]}"...)
		} else {
			s.buf = append(s.buf, s.event(s.next)...)
		}
		s.next++
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	s.read += int64(n)
	return n, nil
}

// TestUploadStopsAtEventCap: an upload of 2.46 million events (the 60 MB
// of the hostile review) is refused once the cap is passed, having read
// only the part up to it, never the whole body.
func TestUploadStopsAtEventCap(t *testing.T) {
	s := &Server{cfg: withDefaults(Config{})}
	budget := &eventBudget{left: uploadBudget}
	up := &upload{budget: budget}
	src := newEventStream(2_460_000)
	_, err := s.readRecordedRun(src, up)
	var ue *userError
	if !errors.As(err, &ue) || ue.kind != kindTooLarge || !strings.Contains(ue.msg, "more than 250000 events") {
		t.Fatalf("readRecordedRun(2.46 M events) = %v, want a refusal naming the cap of 250000 events", err)
	}
	if src.read > src.total/4 {
		t.Errorf("read %d of %d bytes before refusing, want at most a quarter", src.read, src.total)
	}

	up.release()
	if budget.left != uploadBudget {
		t.Errorf("event budget after release = %d, want all %d back", budget.left, uploadBudget)
	}

	rec, err := s.readRecordedRun(newEventStream(maxRunEvents), up)
	if err != nil || len(rec.Events) != maxRunEvents {
		t.Fatalf("readRecordedRun(%d events) = %v, want them all", maxRunEvents, err)
	}
	// While that one is held, another full upload finds no room.
	_, err = s.readRecordedRun(newEventStream(maxRunEvents), &upload{budget: budget})
	if !errors.As(err, &ue) || ue.kind != kindUnavailable || !strings.Contains(ue.msg, "busy reading other uploaded runs") {
		t.Errorf("an upload past the event budget = %v, want a refusal saying the server is busy", err)
	}
}
