package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"interleave/sandbox/trace"
	"interleave/server/store"
)

// Limits of what sharing accepts.
const (
	maxRunBody   = 40 << 20 // bytes of a recorded run's JSON upload
	maxRunEvents = 250_000  // events kept in a recorded run
	maxRunResult = 8 << 20  // bytes of the result in that upload
	// uploadBudget is how many events all uploads being decoded may hold
	// at once (a full run's worth and half another), taken eventChunk at a
	// time.
	uploadBudget = maxRunEvents + maxRunEvents/2
	eventChunk   = 8192
)

// limitLookups counts misses per client so that ids cannot be scanned
// cheaply: a client that asks for too many ids that do not exist waits.
func (s *Server) limitLookups(c echo.Context) error {
	if ok, wait := s.lookupRate.allow(clientKey(c)); !ok {
		s.metrics.rateLimited.WithLabelValues("lookup").Inc()
		return tooMany("requests for links that do not exist", wait)
	}
	return nil
}

// limitViews counts the shared pages and files a client fetches: each one
// reads the database and may decode a recorded run of many events.
func (s *Server) limitViews(c echo.Context) error {
	if ok, wait := s.viewRate.allow(clientKey(c)); !ok {
		s.metrics.rateLimited.WithLabelValues("view").Inc()
		return tooMany("requests for shared pages", wait)
	}
	return nil
}

// miss answers an unknown id, after counting it against the client.
func (s *Server) miss(c echo.Context) error {
	if err := s.limitLookups(c); err != nil {
		return err
	}
	return notFound
}

// mayShare refuses a share when there is no store or the client has
// shared too much lately; kind labels the metric, what the sentence.
func (s *Server) mayShare(c echo.Context, kind, what string) error {
	if s.store == nil {
		return sharingOff
	}
	if ok, wait := s.snippetRate.allow(clientKey(c)); !ok {
		s.metrics.rateLimited.WithLabelValues(kind).Inc()
		return tooMany("shared "+what, wait)
	}
	return nil
}

type snippetRequest struct {
	Source string `json:"source"`
}

// handlePostSnippet stores an edited script: POST /api/snippets
// {"source": "..."} answers {"id": "...", "url": "/p/..."}.
func (s *Server) handlePostSnippet(c echo.Context) error {
	if err := s.mayShare(c, "snippet", "scripts"); err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		if rerr := s.readError(err, "script"); rerr != nil {
			return rerr
		}
		return fmt.Errorf("read snippet: %w", err)
	}
	// The bytes are checked before decoding, which would turn invalid
	// UTF-8 into U+FFFD, a character a script may well hold.
	if !utf8.Valid(body) {
		return refuse(kindInvalid, "The script is not valid UTF-8 text.")
	}
	var req snippetRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return refuse(kindInvalid, "The request must be JSON like {\"source\": \"...\"}: %v.", err)
	}
	switch {
	case strings.TrimSpace(req.Source) == "":
		return refuse(kindInvalid, "The script is empty.")
	}
	if ue := s.scriptTooLarge(req.Source); ue != nil {
		return ue
	}
	id, err := s.store.PutSnippet(c.Request().Context(), req.Source)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"id": id, "url": "/p/" + id})
}

// snippet looks a shared script up, counting misses.
func (s *Server) snippet(c echo.Context, id string) (string, error) {
	if s.store == nil {
		return "", sharingOff
	}
	src, err := s.store.Snippet(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return "", s.miss(c)
	}
	return src, err
}

// handleRawSnippet serves /p/{id}.star.
func (s *Server) handleRawSnippet(c echo.Context, id string) error {
	src, err := s.snippet(c, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `inline; filename="`+id+`.star"`)
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(src))
}

// recordedRun is what "Share this run" uploads and /r/{id}.json returns:
// the result and its events.
type recordedRun struct {
	Result *trace.Result `json:"result"`
	Events []trace.Event `json:"events"`
	Source string        `json:"source,omitempty"`
}

// handlePostRun stores a finished run: POST /api/runs with {"result":
// {...}, "events": [...], "source": "..."} answers {"id", "url"}.
func (s *Server) handlePostRun(c echo.Context) error {
	if err := s.mayShare(c, "run-share", "runs"); err != nil {
		return err
	}
	up := &upload{budget: s.events}
	defer up.release()
	rec, err := s.readRecordedRun(c.Request().Body, up)
	if err != nil {
		return err
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode run: %w", err)
	}
	id, err := s.store.PutRun(c.Request().Context(), store.RunMeta{
		Scenario: rec.Result.Scenario, Mode: string(rec.Result.Mode), Status: string(rec.Result.Status), Events: len(rec.Events),
	}, body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": id, "url": "/r/" + id, "events": len(rec.Events)})
}

// storedRun looks a recorded run up, counting misses.
func (s *Server) storedRun(c echo.Context, id string) (store.RunMeta, []byte, error) {
	if s.store == nil {
		return store.RunMeta{}, nil, sharingOff
	}
	m, body, err := s.store.Run(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return m, nil, s.miss(c)
	}
	return m, body, err
}

// handleRunJSON serves /r/{id}.json: the recorded run.
func (s *Server) handleRunJSON(c echo.Context, id string) error {
	_, body, err := s.storedRun(c, id)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

// handleRunTrace serves /r/{id}.trace.json: the recorded run as Chrome
// Trace Event JSON for Perfetto.
func (s *Server) handleRunTrace(c echo.Context, id string) error {
	_, body, err := s.storedRun(c, id)
	if err != nil {
		return err
	}
	var rec recordedRun
	if err := json.Unmarshal(body, &rec); err != nil {
		return fmt.Errorf("decode stored run %s: %w", id, err)
	}
	return writeTrace(c, &rec, id)
}

// handlePostTrace converts an unsaved run to Chrome Trace Event JSON:
// POST /api/trace with the same body as /api/runs.
func (s *Server) handlePostTrace(c echo.Context) error {
	if ok, wait := s.exportRate.allow(clientKey(c)); !ok {
		s.metrics.rateLimited.WithLabelValues("export").Inc()
		return tooMany("trace exports", wait)
	}
	up := &upload{budget: s.events}
	defer up.release()
	rec, err := s.readRecordedRun(c.Request().Body, up)
	if err != nil {
		return err
	}
	name := rec.Result.Scenario
	if name == "" {
		name = "run"
	}
	return writeTrace(c, rec, name)
}

func writeTrace(c echo.Context, rec *recordedRun, name string) error {
	res := *rec.Result
	res.Events = rec.Events
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	h.Set("Content-Disposition", `attachment; filename="`+safeName(name)+`.trace.json"`)
	c.Response().WriteHeader(http.StatusOK)
	return trace.WriteChrome(c.Response(), &res)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
}
