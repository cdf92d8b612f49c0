package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"interleave/scenarios"
	"interleave/web"
)

// errNotFound is the kind of error that becomes a 404 page.
var errNotFound = errors.New("not found")

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
		return fmt.Errorf("scenario %q: %w", c.Param("id"), errNotFound)
	}
	q := c.QueryParams()
	v := web.ScenarioView{
		Nav:    s.nav(sc.ID),
		ID:     sc.ID,
		Title:  sc.Title,
		Topic:  sc.Topic,
		Notes:  web.Markdown(sc.Notes),
		Source: sc.Source,
		Rust:   sc.Rust,
		Modes:  sc.Modes,
		Mode:   q.Get("mode"),
		Procs:  2,
	}
	if v.Mode == "" || !contains(sc.Modes, v.Mode) {
		v.Mode = sc.Modes[0]
	}
	if p, err := strconv.Atoi(q.Get("procs")); err == nil && p >= 1 && p <= maxProcs {
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
	v.Data = map[string]any{"id": sc.ID, "source": sc.Source}
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// firstSentence gives a catalogue entry's one-line summary.
func firstSentence(notes string) string {
	para, _, _ := strings.Cut(strings.TrimSpace(notes), "\n\n")
	para = strings.Join(strings.Fields(para), " ")
	if i := strings.Index(para, ". "); i >= 0 {
		para = para[:i+1]
	}
	return para
}

func render(c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return comp.Render(c.Request().Context(), c.Response())
}

// handleError is the one place where errors become responses: a missing
// page is a 404 page, an HTTP error keeps its code, anything else is
// logged and shown as a plain sentence, never as internal detail.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := http.StatusInternalServerError
	msg := "Something went wrong on the server."
	var he *echo.HTTPError
	switch {
	case errors.Is(err, errNotFound):
		status, msg = http.StatusNotFound, "There is nothing here."
	case errors.As(err, &he):
		status = he.Code
		if status == http.StatusNotFound {
			msg = "There is nothing here."
		} else {
			msg = http.StatusText(status)
		}
	case errors.Is(err, errBadRequest):
		status, msg = http.StatusBadRequest, userMessage(err)
	}
	if status >= 500 {
		s.log.Error("request failed", "path", c.Request().URL.Path, "err", err)
	}
	if wantsJSON(c) {
		_ = c.JSON(status, map[string]string{"error": msg})
		return
	}
	_ = render(c, status, web.ErrorPage(web.ErrorView{Nav: s.nav(""), Status: status, Message: msg}))
}

func wantsJSON(c echo.Context) bool {
	r := c.Request()
	return strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/healthz" ||
		strings.Contains(r.Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON)
}
