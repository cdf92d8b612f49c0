package server

import (
	"encoding/json"
	"errors"
	"io"
	"sync"

	"interleave/limits"
	"interleave/sandbox/trace"
)

// An uploaded run is decoded as it arrives, one event at a time, and
// refused at the first thing wrong: a huge or hostile upload costs what was
// read of it, never the whole body decoded into memory at once.

// budgetReader stops its reader at a byte budget, failing with err, so
// that one part of a JSON document (the result, the script) cannot make the
// decoder buffer more than that part may hold.
type budgetReader struct {
	r    io.Reader
	read int64
	stop int64 // 0 for no budget
	err  error
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.stop > 0 {
		if b.read >= b.stop {
			return 0, b.err
		}
		if room := b.stop - b.read; int64(len(p)) > room {
			p = p[:room]
		}
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

// limit gives the part about to be decoded n more bytes than are read so
// far (the decoder's buffer may hold a little of it already), or lifts the
// budget when n is 0.
func (b *budgetReader) limit(n int64, err error) {
	b.stop, b.err = 0, nil
	if n > 0 {
		b.stop, b.err = b.read+n, err
	}
}

// ignored takes a JSON value and keeps nothing of it.
type ignored struct{}

func (*ignored) UnmarshalJSON([]byte) error { return nil }

// uploadedResult is a run's result without its events, which come apart.
type uploadedResult struct {
	*trace.Result
	Events ignored `json:"events"`
}

// eventBudget bounds the events that all the uploads being decoded hold
// at once, which is most of the memory they take. An upload takes its share
// chunk by chunk as its events arrive, so a slow client holds only what it
// has sent; one that would pass the budget is refused at once rather than
// made to wait for others that may be slow on purpose.
type eventBudget struct {
	mu   sync.Mutex
	left int
}

// take takes n events from the budget, reporting whether they were there.
func (b *eventBudget) take(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.left {
		return false
	}
	b.left -= n
	return true
}

func (b *eventBudget) give(n int) {
	b.mu.Lock()
	b.left += n
	b.mu.Unlock()
}

// upload is one request's share of the event budget.
type upload struct {
	budget *eventBudget
	held   int
}

// hold makes room for events up to n in all, a chunk at a time.
func (u *upload) hold(n int) error {
	if n <= u.held {
		return nil
	}
	chunk := min(eventChunk, maxRunEvents-u.held)
	if !u.budget.take(chunk) {
		return refuse(kindUnavailable, "The server is busy reading other uploaded runs; try again in a minute.")
	}
	u.held += chunk
	return nil
}

// release gives the request's share back; call it once the events are no
// longer needed.
func (u *upload) release() {
	u.budget.give(u.held)
	u.held = 0
}

// readRecordedRun decodes and checks an uploaded run: a result with a
// known status, at most maxRunEvents events in sequence order, a script
// within the size limit.
func (s *Server) readRecordedRun(r io.Reader, up *upload) (*recordedRun, error) {
	br := &budgetReader{r: r}
	dec := json.NewDecoder(br)
	var rec recordedRun
	err := s.decodeRun(dec, br, &rec, up)
	if err != nil {
		if rerr := s.readError(err, "run"); rerr != nil {
			return nil, rerr
		}
		var ue *userError
		if errors.As(err, &ue) {
			return nil, err
		}
		return nil, refuse(kindInvalid, "The run must be JSON like {\"result\": {...}, \"events\": [...]}: %v.", err)
	}
	if rec.Result == nil {
		return nil, refuse(kindInvalid, "The run has no result.")
	}
	switch rec.Result.Status {
	case trace.StatusOK, trace.StatusFailed, trace.StatusDeadlock, trace.StatusPanic, trace.StatusTimeout,
		trace.StatusLimit, trace.StatusError, trace.StatusStopped:
	default:
		return nil, refuse(kindInvalid, "The run's status %s is not one a run can have.", quoteShort(string(rec.Result.Status)))
	}
	rec.Result.Events = nil
	return &rec, nil
}

// decodeRun walks the upload's top-level object, key by key.
func (s *Server) decodeRun(dec *json.Decoder, br *budgetReader, rec *recordedRun, up *upload) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case "result":
			br.limit(maxRunResult, refuse(kindTooLarge, "The run's result is larger than the limit of %d MiB.", maxRunResult>>20))
			res := uploadedResult{Result: &trace.Result{}}
			if err := dec.Decode(&res); err != nil {
				return err
			}
			rec.Result = res.Result
		case "source":
			br.limit(int64(s.cfg.Limits.Script)*jsonEscape+1024, refuse(kindTooLarge, "%s", limits.ScriptOverLimit(s.cfg.Limits.Script)))
			if err := dec.Decode(&rec.Source); err != nil {
				return err
			}
			if ue := s.scriptTooLarge(rec.Source); ue != nil {
				return ue
			}
		case "events":
			br.limit(0, nil)
			if rec.Events, err = decodeEvents(dec, up); err != nil {
				return err
			}
		default:
			br.limit(0, nil)
			if err := skipValue(dec); err != nil {
				return err
			}
		}
		br.limit(0, nil)
	}
	return expectDelim(dec, '}')
}

// decodeEvents reads the events array one event at a time, refusing past
// maxRunEvents and at the first event out of sequence order, holding its
// share of the event budget as it goes.
func decodeEvents(dec *json.Decoder, up *upload) ([]trace.Event, error) {
	if err := expectDelim(dec, '['); err != nil {
		return nil, err
	}
	var evs []trace.Event
	for dec.More() {
		if len(evs) == maxRunEvents {
			return nil, refuse(kindTooLarge, "The run has more than %d events, the most a shared run may keep; share a shorter run (fewer iterations or threads).", maxRunEvents)
		}
		if err := up.hold(len(evs) + 1); err != nil {
			return nil, err
		}
		var ev trace.Event
		if err := dec.Decode(&ev); err != nil {
			return nil, err
		}
		if ev.K == trace.KindInvalid {
			return nil, refuse(kindInvalid, "The run's event %d has no kind.", len(evs))
		}
		if len(evs) > 0 && ev.Seq <= evs[len(evs)-1].Seq {
			return nil, refuse(kindInvalid, "The run's events are not in sequence order (event %d).", len(evs))
		}
		evs = append(evs, ev)
	}
	return evs, expectDelim(dec, ']')
}

// expectDelim reads one token and checks that it is the delimiter want.
func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return refuse(kindInvalid, "The run must be JSON like {\"result\": {...}, \"events\": [...]}: %s expected at byte %d.", want, dec.InputOffset())
	}
	return nil
}

// skipValue reads past one value, token by token, keeping none of it.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
