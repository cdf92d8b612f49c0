package server

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"interleave/sandbox/trace"
)

// A slow page has events shed while its run streams (see execute). The
// server records every event of the run meanwhile, in the binary codec of
// sandbox/trace (26 bytes an event of lost-update against 96 in JSON), and once the run has ended
// with events shed the page downloads the whole recording at once from
// GET /api/runs/live/TOKEN.bin. The recording is the connection's: it is
// dropped by the connection's next run, by its close, or restTTL after
// the end, whichever comes first.
const (
	restTTL     = 2 * time.Minute
	restPerRun  = 48 << 20  // bytes one run's recording may take
	restBudget  = 192 << 20 // bytes all recordings may take together
	restPattern = "/api/runs/live/:name"
	// A recording grows by chunks, never by copying what it holds: the
	// first restChunkMin, each next twice the last, up to restChunkMax.
	restChunkMin = 16 << 10
	restChunkMax = 1 << 20
)

// restStore holds the recordings of ended runs whose pages still have
// events to fetch, and accounts the bytes of those still recording.
type restStore struct {
	mu      sync.Mutex
	used    int64 // bytes taken by recordings, kept or under way
	budget  int64
	byToken map[string]*restRecording
}

func newRestStore(budget int64) *restStore {
	return &restStore{budget: budget, byToken: map[string]*restRecording{}}
}

// restRecording is one run's events in the binary codec.
type restRecording struct {
	store   *restStore
	chunks  [][]byte // the recording, in order; only the last has room
	size    int      // bytes in chunks
	scratch []byte   // one batch encoded, before it is copied in
	taken   int64    // bytes of the chunks' capacity accounted in store.used
	events  int
	over    bool // a bound was hit: the recording was given up
	token   string
	timer   *time.Timer
}

// recorder starts a recording.
func (st *restStore) recorder() *restRecording { return &restRecording{store: st} }

// add appends a batch, giving the whole recording up when it would pass
// its own bound or the store's.
func (r *restRecording) add(batch []trace.Event) {
	if r.over {
		return
	}
	r.scratch = r.scratch[:0]
	for i := range batch {
		r.scratch = batch[i].AppendBinary(r.scratch)
	}
	r.events += len(batch)
	for p := r.scratch; len(p) > 0; {
		last := len(r.chunks) - 1
		if last < 0 || len(r.chunks[last]) == cap(r.chunks[last]) {
			if !r.grow() {
				return
			}
			last++
		}
		c := r.chunks[last]
		n := copy(c[len(c):cap(c)], p)
		r.chunks[last] = c[:len(c)+n]
		r.size += n
		p = p[n:]
	}
}

// grow adds a chunk if the recording's bound and the store's allow it,
// and gives the whole recording up if not.
func (r *restRecording) grow() bool {
	size := restChunkMin
	if n := len(r.chunks); n > 0 {
		size = min(2*cap(r.chunks[n-1]), restChunkMax)
	}
	st := r.store
	st.mu.Lock()
	ok := r.taken+int64(size) <= restPerRun && st.used+int64(size) <= st.budget
	if ok {
		st.used += int64(size)
		r.taken += int64(size)
	}
	st.mu.Unlock()
	if !ok {
		r.release()
		r.over = true
		return false
	}
	r.chunks = append(r.chunks, make([]byte, 0, size))
	return true
}

// release gives the recording's bytes back to the store.
func (r *restRecording) release() {
	r.store.mu.Lock()
	r.store.used -= r.taken
	r.store.mu.Unlock()
	r.taken, r.chunks, r.size, r.scratch = 0, nil, 0, nil
}

// keep files an ended recording under a fresh token for restTTL and
// returns the token.
func (st *restStore) keep(r *restRecording) string {
	token := runID() + runID()
	st.mu.Lock()
	defer st.mu.Unlock()
	r.token = token
	r.scratch = nil // kept, it grows no more
	r.timer = time.AfterFunc(restTTL, func() { st.drop(token) })
	st.byToken[token] = r
	return token
}

// drop forgets a kept recording; an unknown token is no error.
func (st *restStore) drop(token string) {
	if token == "" {
		return
	}
	st.mu.Lock()
	r := st.byToken[token]
	delete(st.byToken, token)
	if r != nil {
		st.used -= r.taken
		r.taken = 0
	}
	st.mu.Unlock()
	if r != nil {
		r.timer.Stop()
	}
}

// get returns a kept recording's chunks, its size and its event count.
func (st *restStore) get(token string) ([][]byte, int, int, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := st.byToken[token]
	if !ok {
		return nil, 0, 0, false
	}
	return r.chunks, r.size, r.events, true
}

// restOffer tells the page, in a run's end message, where the events it
// was not sent can be fetched.
type restOffer struct {
	URL    string `json:"url"`
	Events int    `json:"events"`
	Bytes  int    `json:"bytes"`
}

// restKeeper is an outbox that can hold a recording for its page: a
// WebSocket connection.
type restKeeper interface {
	// keepRest hands over the token of the run's kept recording; the
	// keeper drops it with its next run or when it closes.
	keepRest(token string)
}

// finishRest ends a run's recording: it is kept and offered when events
// were shed and it is whole, and given up otherwise.
func (s *Server) finishRest(rec *restRecording, shed int64, out outbox) *restOffer {
	if rec == nil {
		return nil
	}
	k, ok := out.(restKeeper)
	if shed == 0 || rec.over || !ok {
		rec.release()
		return nil
	}
	token := s.rests.keep(rec)
	k.keepRest(token)
	return &restOffer{URL: "/api/runs/live/" + token + ".bin", Events: rec.events, Bytes: rec.size}
}

// keepRest drops the connection's previous recording and keeps token's.
func (c *conn) keepRest(token string) {
	c.mu.Lock()
	old := c.rest
	c.rest = token
	c.mu.Unlock()
	c.s.rests.drop(old)
}

// dropRest forgets the connection's recording, if any.
func (c *conn) dropRest() { c.keepRest("") }

// handleRest serves a kept recording: the events of a run, each in the
// binary codec of sandbox/trace, back to back.
func (s *Server) handleRest(c echo.Context) error {
	token, ok := strings.CutSuffix(c.Param("name"), ".bin")
	chunks, size, n, found := s.rests.get(token)
	if !ok || !found {
		if err := s.limitLookups(c); err != nil {
			return err
		}
		return refuse(kindNotFound, "This run's events are no longer kept: they are kept for %d minutes after the run, until the next run.", int(restTTL.Minutes()))
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Events", strconv.Itoa(n))
	h.Set(echo.HeaderContentType, "application/octet-stream")
	h.Set(echo.HeaderContentLength, strconv.Itoa(size))
	c.Response().WriteHeader(http.StatusOK)
	for _, b := range chunks {
		if _, err := c.Response().Write(b); err != nil {
			return nil // the page went away; nothing to tell it
		}
	}
	return nil
}
