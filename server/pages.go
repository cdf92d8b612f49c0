package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"interleave/limits"
	"interleave/scenarios"
	"interleave/web"
)

func (s *Server) nav(current string) []web.NavTopic {
	var topics []web.NavTopic
	for _, t := range s.catalogue.Topics() {
		nt := web.NavTopic{Name: t.Name}
		for _, sc := range t.Scenarios {
			nt.Items = append(nt.Items, web.NavItem{ID: sc.ID, Title: sc.Title, Current: sc.ID == current})
		}
		topics = append(topics, nt)
	}
	return topics
}

func (s *Server) handleCatalogue(c echo.Context) error {
	v := web.CatalogueView{Topics: s.nav("")}
	for _, p := range s.catalogue.Problems() {
		v.Problems = append(v.Problems, p.Error())
	}
	for i, t := range s.catalogue.Topics() {
		for j, sc := range t.Scenarios {
			v.Topics[i].Items[j].Summary = firstSentence(sc.Notes)
		}
	}
	return render(c, http.StatusOK, web.CataloguePage(v))
}

func (s *Server) handleScenario(c echo.Context) error {
	sc, ok := s.catalogue.Get(c.Param("id"))
	if !ok {
		return notFound
	}
	v := s.scenarioView(sc, c.QueryParams())
	v.Data = map[string]any{"id": sc.ID, "source": sc.Source}
	return render(c, http.StatusOK, web.ScenarioPage(v))
}

// scenarioView is the page of a scenario with the settings of a link's
// query (params, mode, procs, seed) applied; a bad value is named on the
// page and replaced by its default.
func (s *Server) scenarioView(sc *scenarios.Scenario, q url.Values) web.ScenarioView {
	v := web.ScenarioView{
		Nav:      s.nav(sc.ID),
		ID:       sc.ID,
		Title:    sc.Title,
		Topic:    sc.Topic,
		Notes:    web.Markdown(sc.Notes),
		Source:   sc.Source,
		Rust:     sc.Rust,
		Modes:    sc.Modes,
		Mode:     q.Get("mode"),
		Procs:    limits.DefaultProcs,
		Seed:     sc.Seed,
		Embed:    q.Get("embed") == "1",
		Goal:     sc.Goal,
		Hints:    sc.Hints,
		Shortest: sc.Shortest,
	}
	if fix, ok := s.catalogue.Get(sc.Fix); ok && sc.Fix != "" {
		v.Fix, v.FixTitle = fix.ID, fix.Title
	}
	if cat, ok := s.catalogue.Get(sc.ID); ok && cat.Source == sc.Source {
		v.Home = "/s/" + sc.ID
		if ch, ok := s.challengeFixedBy(sc.ID); ok {
			v.Fixes, v.FixesTitle, v.FixesGoal = ch.ID, ch.Title, ch.Goal
		}
	}
	if v.Mode == "" || !slices.Contains(sc.Modes, v.Mode) {
		v.Mode = sc.Modes[0]
	}
	if p, err := strconv.Atoi(q.Get("procs")); err == nil && p >= 1 && p <= limits.MaxProcs {
		v.Procs = p
	}
	if seed, err := strconv.ParseInt(q.Get("seed"), 10, 64); err == nil {
		v.Seed = seed
	}
	given := map[string]any{}
	for _, p := range sc.Params {
		if val := q.Get(p.Name); val != "" {
			given[p.Name] = val
		}
	}
	values, err := scenarios.Resolve(sc.Params, given)
	if err != nil {
		v.Problem = sentence(err.Error()) + " The default is used instead."
		values, _ = scenarios.Resolve(sc.Params, nil)
	}
	for _, p := range sc.Params {
		v.Params = append(v.Params, paramField(p, values[p.Name]))
	}
	return v
}

// handleSnippetPath serves /p/{id} (the script in the editor) and
// /p/{id}.star (the script as text).
func (s *Server) handleSnippetPath(c echo.Context) error {
	if err := s.limitViews(c); err != nil {
		return err
	}
	id := c.Param("id")
	if raw, ok := strings.CutSuffix(id, ".star"); ok {
		return s.handleRawSnippet(c, raw)
	}
	src, err := s.snippet(c, id)
	if err != nil {
		return err
	}
	sc, perr := scenarios.Parse("p-"+id, src)
	if perr != nil {
		// A shared script may be broken: show it so it can be fixed.
		sc = &scenarios.Scenario{ID: "p-" + id, Title: "Shared script", Source: src, Modes: scenarios.AllModes}
	}
	v := s.scenarioView(sc, c.QueryParams())
	v.Nav = s.nav("")
	if v.Topic == "" {
		v.Topic = "Shared script"
	}
	data := map[string]any{"id": "", "snippet": id, "source": src}
	if orig := s.editedFrom(sc, c.QueryParam("from")); orig != nil {
		// Not under the original's topic: an edited fix may be a bug now.
		v.Topic = "Edited from “" + orig.Title + "”"
		data["from"] = orig.ID
	}
	if perr != nil {
		v.Problem = perr.Error()
	}
	v.Data = data
	return render(c, http.StatusOK, web.ScenarioPage(v))
}

// editedFrom is the catalogue scenario a shared script was edited from:
// the one its link names (Share adds from=ID on a scenario's page), or
// else the one whose title the script still carries. Nil when the script
// is that scenario unchanged, or comes from none.
func (s *Server) editedFrom(sc *scenarios.Scenario, from string) *scenarios.Scenario {
	if orig, ok := s.catalogue.Get(from); ok && orig.Source != sc.Source {
		return orig
	}
	for _, orig := range s.catalogue.All() {
		if orig.Title == sc.Title && orig.Source != sc.Source {
			return orig
		}
	}
	return nil
}

// handleRunPath serves /r/{id} (the recorded run, replayed on the page),
// /r/{id}.json and /r/{id}.trace.json.
func (s *Server) handleRunPath(c echo.Context) error {
	if err := s.limitViews(c); err != nil {
		return err
	}
	id := c.Param("id")
	if raw, ok := strings.CutSuffix(id, ".trace.json"); ok {
		return s.handleRunTrace(c, raw)
	}
	if raw, ok := strings.CutSuffix(id, ".json"); ok {
		return s.handleRunJSON(c, raw)
	}
	m, body, err := s.storedRun(c, id)
	if err != nil {
		return err
	}
	var rec recordedRun
	if err := json.Unmarshal(body, &rec); err != nil {
		return fmt.Errorf("decode stored run %s: %w", id, err)
	}
	src := rec.Source
	sc, ok := s.catalogue.Get(m.Scenario)
	if src == "" && ok {
		src = sc.Source
	}
	if !ok || src != sc.Source {
		if parsed, err := scenarios.Parse(m.Scenario, src); err == nil {
			sc = parsed
		} else {
			sc = &scenarios.Scenario{ID: m.Scenario, Title: m.Scenario, Source: src, Modes: scenarios.AllModes}
		}
	}
	q := url.Values{"mode": {m.Mode}}
	for k, v := range rec.Result.Params {
		q.Set(k, fmt.Sprint(v))
	}
	q.Set("seed", strconv.FormatInt(rec.Result.Seed, 10))
	v := s.scenarioView(sc, q)
	v.Embed = c.QueryParam("embed") == "1"
	v.Title = "Recorded run: " + sc.Title
	v.Data = map[string]any{"id": sc.ID, "source": src, "replay": "/r/" + id + ".json", "run": id}
	return render(c, http.StatusOK, web.ScenarioPage(v))
}

func paramField(p scenarios.Param, value any) web.ParamField {
	f := web.ParamField{Name: p.Name, Type: p.Type(), Doc: p.Doc, Bounds: p.Bounds(), Value: fmt.Sprint(value)}
	if p.Min != nil {
		f.Min = strconv.FormatFloat(*p.Min, 'g', -1, 64)
	}
	if p.Max != nil {
		f.Max = strconv.FormatFloat(*p.Max, 'g', -1, 64)
	}
	for _, ch := range p.Choices {
		f.Choices = append(f.Choices, fmt.Sprint(ch))
	}
	return f
}

// firstSentence gives a catalogue entry's summary: the first sentence of
// its notes, or the first two when the first is short.
func firstSentence(notes string) string {
	para, _, _ := strings.Cut(strings.TrimSpace(notes), "\n\n")
	para = strings.Join(strings.Fields(para), " ")
	// A short first sentence ("Two customers share an account.") says
	// too little on a card: the next one goes with it.
	end := 0
	for n := 0; n < 2; n++ {
		i := strings.Index(para[end:], ". ")
		if i < 0 {
			return para
		}
		end += i + 1
		if end >= minSummary {
			break
		}
		end++ // past the space
	}
	return strings.TrimSpace(para[:end])
}

// minSummary is the length under which a card's summary takes a second
// sentence.
const minSummary = 70

func render(c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return comp.Render(c.Request().Context(), c.Response())
}

// handleError is the one place where errors become responses: a refusal
// with its status and sentence, an HTTP error of echo's with its code,
// anything else logged and shown as a plain sentence, never as internal
// detail.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	ue, _ := refusalOf(err, internalMessage)
	var he *echo.HTTPError
	if errors.As(err, &he) {
		ue = &userError{msg: http.StatusText(he.Code)}
		if he.Code == http.StatusNotFound {
			ue = notFound
		}
	}
	status := ue.status()
	if he != nil {
		status = he.Code
	}
	if status >= 500 {
		s.log.Error("request failed", "path", c.Request().URL.Path, "err", err)
	}
	if wantsJSON(c) {
		_ = c.JSON(status, map[string]string{"error": ue.msg})
		return
	}
	_ = render(c, status, web.ErrorPage(web.ErrorView{Nav: s.nav(""), Status: status, Message: ue.msg}))
}

func wantsJSON(c echo.Context) bool {
	r := c.Request()
	// A refused WebSocket's client is a script or the page's code, not a
	// person looking at a page: it gets the sentence as JSON.
	return strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/healthz" || r.URL.Path == "/ws" ||
		strings.Contains(r.Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON)
}

// challengeFixedBy is the challenge whose fix is scenario id, so that a
// fix's page can say which goal it keeps out of reach.
func (s *Server) challengeFixedBy(id string) (*scenarios.Scenario, bool) {
	for _, sc := range s.catalogue.All() {
		if sc.Fix == id && sc.Goal != "" {
			return sc, true
		}
	}
	return nil, false
}
