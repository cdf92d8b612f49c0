// Package web holds Interleave's pages: templ components over view-model
// structs, and the static assets (script, styles) embedded in the binary.
package web

import (
	"io/fs"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

// NavTopic is one topic of the catalogue sidebar.
type NavTopic struct {
	Name  string
	Items []NavItem
}

// NavItem is one scenario in the sidebar or on the catalogue page.
type NavItem struct {
	ID      string
	Title   string
	Summary string
	Current bool
}

// CatalogueView is the front page: every scenario by topic.
type CatalogueView struct {
	Topics   []NavTopic
	Problems []string // broken course files, with file, line and column, for the teacher
}

// ScenarioView is one scenario's page.
type ScenarioView struct {
	Nav     []NavTopic
	ID      string
	Title   string
	Topic   string
	Notes   templ.Component // rendered Markdown
	Source  string
	Rust    string
	Modes   []string
	Mode    string
	Procs   int
	Seed    int64
	Params  []ParamField
	Problem string // a sentence about a bad value in the link, if any
	Data    any    // handed to the page's script as JSON
	// Home is the catalogue page of the script shown ("/s/ID") when it is
	// a catalogue scenario unchanged, so that Share can link there rather
	// than store a copy; empty for shared and edited scripts.
	Home string
	// Embed asks for the compact read-only view of ?embed=1, for an
	// iframe in a course page: title, Run and Stop, timeline and result.
	Embed bool
	// A challenge's goal ("deadlock" or "fail"), hints, the fewest picks
	// known to reach it, and its fix (FixTitle empty when the fix is not
	// in the catalogue); all empty for other scenarios.
	Goal     string
	Hints    []string
	Shortest int
	Fix      string
	FixTitle string
	// On a fix's page, the challenge it fixes and that challenge's goal,
	// which no schedule reaches here; all empty elsewhere.
	Fixes      string
	FixesTitle string
	FixesGoal  string
}

// goalNoun is what a goal asks for, for the sentences below.
func goalNoun(goal string) string {
	switch goal {
	case "deadlock":
		return "a deadlock"
	case "fail":
		return "a failed check"
	}
	return ""
}

// FixTryText follows the solved line's link to the fix: what the person
// will find there.
func (v ScenarioView) FixTryText() string {
	if n := goalNoun(v.Goal); n != "" {
		return "Try You schedule there: no schedule leads to " + n + "."
	}
	return ""
}

// FixesText says on a fix's page that the challenge's goal cannot be
// reached here.
func (v ScenarioView) FixesText() string {
	return "no schedule leads to " + goalNoun(v.FixesGoal) + " here. Pick the threads and see."
}

// GoalText states a challenge's goal for the picks panel.
func (v ScenarioView) GoalText() string {
	switch v.Goal {
	case "deadlock":
		return "Goal: make the threads deadlock, by picking which thread runs at each step."
	case "fail":
		return "Goal: make a check fail, by picking which thread runs at each step."
	}
	return ""
}

// ParamField is one input of the params form.
type ParamField struct {
	Name    string
	Type    string // int, float, bool or string
	Value   string
	Min     string
	Max     string
	Choices []string
	Doc     string
	Bounds  string
}

// ErrorView is a page for a missing page or a failed request.
type ErrorView struct {
	Nav     []NavTopic
	Status  int
	Message string
}

// importMap maps each script module to its versioned URL, so that modules
// imported by app.js are cached as long as app.js itself and replaced
// together after an upgrade.
func importMap() map[string]any {
	imports := map[string]string{}
	for _, name := range scriptModules() {
		imports["/static/"+name] = asset(name)
	}
	return map[string]any{"imports": imports}
}

// scriptModules lists the embedded JavaScript modules, those in
// subfolders (timeline/, page/) by their path under static/.
func scriptModules() []string {
	var out []string
	_ = fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".js") {
			out = append(out, strings.TrimPrefix(path, "static/"))
		}
		return nil
	})
	return out
}

// Settings says in a few words how the page runs its script, for the
// embedded view that has no form: "sim · seed 7 · threads 3, iterations 200".
func (v ScenarioView) Settings() string {
	parts := []string{v.Mode}
	switch v.Mode {
	case "green":
		parts = append(parts, "procs "+strconv.Itoa(v.Procs))
	case "sim":
		parts = append(parts, "seed "+strconv.FormatInt(v.Seed, 10))
	}
	var ps []string
	for _, p := range v.Params {
		ps = append(ps, p.Name+" "+p.Value)
	}
	if len(ps) > 0 {
		parts = append(parts, strings.Join(ps, ", "))
	}
	return strings.Join(parts, " · ")
}

// playground is the Rust Playground's address that opens with this code
// in its editor. The code is percent-encoded in the query, a space as %20
// (not +) as encodeURIComponent writes it, which the Playground decodes.
func playground(code string) templ.SafeURL {
	q := strings.ReplaceAll(url.QueryEscape(code), "+", "%20")
	return templ.SafeURL("https://play.rust-lang.org/?version=stable&mode=debug&edition=2021&code=" + q)
}

// topicAbout says in a few words what each built-in topic teaches, for
// the front page's path through the chapter; a course's own topics go
// without.
var topicAbout = map[string]string{
	"Threads":                 "spawn a thread, join it, and what happens when main does not wait",
	"Race conditions":         "two threads read and write one value, and updates are lost",
	"Fixes":                   "a mutex, an atomic, a spin lock, and the cost of holding a lock too long",
	"Deadlocks":               "threads waiting for each other in a cycle, and the lock order that breaks it",
	"Livelock and starvation": "threads that keep running but get nowhere, or never get their turn",
	"Threading models":        "1:1 against M:N: OS threads, green threads, and how many cores there are",
	"Message passing":         "channels: send, receive, close, back-pressure, fan out and fan in",
	"Challenges":              "you pick which thread runs next until the bug happens, then compare the fix",
}

// topicAnchor is the id of a topic's section on the front page.
func topicAnchor(name string) string {
	var b strings.Builder
	b.WriteString("topic-")
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > len("topic-") && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
