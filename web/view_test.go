package web

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// The import map must name every module, those in subfolders too, or a
// browser fetches that module unversioned and may mix old and new code.
func TestScriptModules(t *testing.T) {
	mods := scriptModules()
	for _, want := range []string{"app.js", "timeline/model.js", "timeline/timeline.js", "page/run.js"} {
		if !slices.Contains(mods, want) {
			t.Errorf("scriptModules() = %q, want it to contain %q", mods, want)
		}
	}
	for _, m := range mods {
		if strings.HasSuffix(m, ".test.js") {
			t.Errorf("scriptModules() lists the test %q: tests belong in web/jstest, not in static", m)
		}
	}
	imports := importMap()["imports"].(map[string]string)
	if len(imports) != len(mods) {
		t.Errorf("importMap() has %d entries, want %d", len(imports), len(mods))
	}
	for _, m := range mods {
		if got, want := imports["/static/"+m], asset(m); got != want {
			t.Errorf("importMap()[%q] = %q, want %q", "/static/"+m, got, want)
		}
	}
}

// The Playground link carries the code percent-encoded, a space as %20,
// so that it reads back whole.
func TestPlayground(t *testing.T) {
	tests := []struct{ code, want string }{
		{"fn main() {}", "code=fn%20main%28%29%20%7B%7D"},
		{"a+b & c\n", "code=a%2Bb%20%26%20c%0A"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			got := string(playground(tt.code))
			if !strings.HasPrefix(got, "https://play.rust-lang.org/?version=stable&mode=debug&edition=2021&") || !strings.HasSuffix(got, tt.want) {
				t.Errorf("playground(%q) = %q, want it to end in %q", tt.code, got, tt.want)
			}
			u, err := url.Parse(got)
			if err != nil || u.Query().Get("code") != tt.code {
				t.Errorf("playground(%q) reads back as %q (%v)", tt.code, u.Query().Get("code"), err)
			}
		})
	}
}

// A topic's anchor is a stable id made of its name's letters and digits.
func TestTopicAnchor(t *testing.T) {
	tests := []struct{ name, want string }{
		{"Threads", "topic-threads"},
		{"Livelock and starvation", "topic-livelock-and-starvation"},
		{"1:1 vs M:N!", "topic-1-1-vs-m-n"},
		{"  Spaces  ", "topic-spaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := topicAnchor(tt.name); got != tt.want {
				t.Errorf("topicAnchor(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestMarkdownLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Let alpha take `first`.", "Let alpha take <code>first</code>."},
		{"a <script>x</script> *now*", "a <!-- raw HTML omitted -->x<!-- raw HTML omitted --> <em>now</em>"},
		{"<script>x</script>", "<!-- raw HTML omitted -->"},
		{"one\n\ntwo", "<p>one</p>\n<p>two</p>"},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := MarkdownLine(tt.in).Render(context.Background(), &b); err != nil {
			t.Fatalf("MarkdownLine(%q).Render error = %v", tt.in, err)
		}
		if b.String() != tt.want {
			t.Errorf("MarkdownLine(%q) = %q, want %q", tt.in, b.String(), tt.want)
		}
	}
}

func TestChallengeSentences(t *testing.T) {
	cases := []struct {
		name string
		v    ScenarioView
		try  string // FixTryText
		held string // FixesText
	}{
		{"deadlock challenge", ScenarioView{Goal: "deadlock"}, "Try You schedule there: no schedule leads to a deadlock.", ""},
		{"failing challenge", ScenarioView{Goal: "fail"}, "Try You schedule there: no schedule leads to a failed check.", ""},
		{"fix of a deadlock", ScenarioView{FixesGoal: "deadlock"}, "", "no schedule leads to a deadlock here. Pick the threads and see."},
		{"fix of a failed check", ScenarioView{FixesGoal: "fail"}, "", "no schedule leads to a failed check here. Pick the threads and see."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.v.FixTryText(); got != tc.try {
				t.Errorf("FixTryText(%+v) = %q, want %q", tc.v, got, tc.try)
			}
			if tc.held == "" {
				return
			}
			if got := tc.v.FixesText(); got != tc.held {
				t.Errorf("FixesText(%+v) = %q, want %q", tc.v, got, tc.held)
			}
		})
	}
}
