package server_test

import (
	"strings"
	"testing"
)

// The front page explains the modes and the seed, and lays a path
// through the topics, each linked to its section.
func TestFrontPageIntro(t *testing.T) {
	ts := startServer(t)
	code, page := get(t, ts.URL+"/")
	if code != 200 {
		t.Fatalf("GET / = %d", code)
	}
	for _, want := range []string{
		`data-testid="intro"`, "os (1:1)", "green (M:N)", "<dt>sim</dt>", "<dt>seed</dt>",
		`href="#topic-race-conditions"`, `id="topic-race-conditions"`, `href="#topic-message-passing"`,
		"Two customers share an account. ",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("GET / lacks %q", want)
		}
	}
}
