package scenarios

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

// TestBuiltinCatalogue checks what every built-in scenario must carry:
// a stable kebab-case id, a title, notes that say what to look for and
// what to ask, a known topic, typed and bounded params, a Rust listing,
// modes, and a check stating the expectation it teaches.
func TestBuiltinCatalogue(t *testing.T) {
	c, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin() error = %v", err)
	}
	if p := c.Problems(); len(p) != 0 {
		t.Errorf("Builtin().Problems() = %v, want none", p)
	}
	all := c.All()
	if len(all) < 24 {
		t.Errorf("Builtin() has %d scenarios, want at least 24", len(all))
	}
	wantTopics := map[string]int{ // topic -> the least number of scenarios
		"Threads":                          5,
		"Race conditions":                  4,
		"Fixes":                            3,
		"Deadlocks":                        5,
		"Livelock and starvation":          2,
		"Threading models":                 3,
		"Message passing":                  6,
		"Condition variables and monitors": 6,
		"Coordination":                     12,
		"Challenges":                       16,
	}
	var names []string
	for _, tp := range c.Topics() {
		names = append(names, tp.Name)
		if len(tp.Scenarios) < wantTopics[tp.Name] {
			t.Errorf("topic %q has %d scenarios, want at least %d", tp.Name, len(tp.Scenarios), wantTopics[tp.Name])
		}
	}
	if want := []string{"Threads", "Race conditions", "Fixes", "Deadlocks", "Livelock and starvation", "Threading models", "Message passing",
		"Condition variables and monitors", "Coordination", "Challenges"}; !slices.Equal(names, want) {
		t.Errorf("Topics() = %q, want %q", names, want)
	}
	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	for _, s := range all {
		t.Run(s.ID, func(t *testing.T) {
			if !kebab.MatchString(s.ID) {
				t.Errorf("id %q is not kebab-case", s.ID)
			}
			if s.Title == "" || s.Title == s.ID || len(s.Title) > 80 {
				t.Errorf("title = %q, want a first docstring line of at most 80 characters", s.Title)
			}
			for _, want := range []string{"**Look for**", "**Ask the class:**"} {
				if !strings.Contains(s.Notes, want) {
					t.Errorf("notes lack %q", want)
				}
			}
			if _, ok := wantTopics[s.Topic]; !ok {
				t.Errorf("topic = %q, want one of the catalogue's topics", s.Topic)
			}
			if !strings.Contains(s.Rust, "fn main()") || !strings.Contains(s.Rust, "std::") {
				t.Errorf("rust listing = %.40q..., want a whole std Rust program", s.Rust)
			}
			if len(s.Modes) == 0 {
				t.Errorf("modes = %v, want at least one", s.Modes)
			}
			if !strings.Contains(s.Source, "check(") {
				t.Errorf("the script has no check(...) stating what it teaches")
			}
			for _, p := range s.Params {
				if p.Doc == "" {
					t.Errorf("param %q has no doc", p.Name)
				}
				if (p.Type() == "int" || p.Type() == "float") && (p.Min == nil || p.Max == nil) {
					t.Errorf("param %q = %s, want both a min and a max", p.Name, p.Bounds())
				}
			}
		})
	}
	for _, id := range []string{"lost-update", "two-locks"} {
		if _, ok := c.Get(id); !ok {
			t.Errorf("Get(%q) not found: ids are stable, links use them", id)
		}
	}
}

// TestBuiltinIndexListsEverything checks that lib/course.txt places every
// built-in scenario under the topic the scenario itself names.
func TestBuiltinIndexListsEverything(t *testing.T) {
	src, err := builtin.ReadFile("lib/course.txt")
	if err != nil {
		t.Fatal(err)
	}
	idx, probs := ParseIndex(IndexFile, string(src))
	if len(probs) > 0 {
		t.Fatalf("ParseIndex(lib/course.txt) problems = %v", probs)
	}
	c, _ := Builtin()
	listed := map[string]string{}
	for _, tp := range idx.Topics {
		for _, ref := range tp.IDs {
			listed[ref.ID] = tp.Name
		}
	}
	for _, s := range c.All() {
		if topic, ok := listed[s.ID]; !ok || topic != s.Topic {
			t.Errorf("lib/course.txt lists %q under %q, want it under its topic %q", s.ID, topic, s.Topic)
		}
	}
}

func TestParseIndex(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		want      string // topics and ids as "Topic: a b; Topic2: c"
		wantProbs []string
	}{
		{"empty", "", "", nil},
		{"comments and blanks", "# a course\n\n  # indented comment\n", "", nil},
		{"two topics", "[Week 1: Threads]\nspawn-without-join\nmine # my own\n\n[Races]\n  lost-update\n", "Week 1: Threads: spawn-without-join mine; Races: lost-update", nil},
		{"file names accepted", "[T]\nmine.star\n", "T: mine", nil},
		{"topic named twice goes on", "[A]\nx\n[B]\ny\n[A]\nz\n", "A: x z; B: y", nil},
		{"id before topic", "lost-update\n[T]\n", "T:", []string{"course.txt:1:1: scenario \"lost-update\" comes before any topic"}},
		{"unclosed topic", "[T\nx\n", "", []string{"course.txt:1:1: a topic is written [Name]", "course.txt:2:1: scenario \"x\" comes before any topic"}},
		{"empty topic", "[ ]\n", "", []string{"course.txt:1:1: the topic has no name"}},
		{"two ids on a line", "[T]\n  a b\n", "T:", []string{"course.txt:2:3: \"a b\" is not a scenario id"}},
		{"bad id", "[T]\nnot/an/id\n", "T:", []string{"course.txt:2:1: \"not/an/id\" is not a scenario id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx, probs := ParseIndex(IndexFile, tt.src)
			var parts []string
			for _, tp := range idx.Topics {
				var ids []string
				for _, r := range tp.IDs {
					ids = append(ids, r.ID)
				}
				parts = append(parts, strings.TrimSpace(tp.Name+": "+strings.Join(ids, " ")))
			}
			if got := strings.Join(parts, "; "); got != tt.want {
				t.Errorf("ParseIndex(%q) = %q, want %q", tt.src, got, tt.want)
			}
			if len(probs) != len(tt.wantProbs) {
				t.Fatalf("ParseIndex(%q) problems = %v, want %d", tt.src, probs, len(tt.wantProbs))
			}
			for i, p := range probs {
				if !strings.HasPrefix(p.Error(), tt.wantProbs[i]) {
					t.Errorf("ParseIndex(%q) problem %d = %q, want it to start with %q", tt.src, i, p.Error(), tt.wantProbs[i])
				}
			}
		})
	}
}

const goodStar = `"""My first thread

Notes for my class.
"""
topic = "Week 1"
params = {"n": param(2, min = 1, max = 4, doc = "threads")}
def main(n):
    check(True, "fine")
`

const brokenStar = `"""Broken

Notes.
"""
topic = "Week 1"
def main(:
    pass
`

// course is a small course folder: a good file, a broken one, an index
// that also reuses a built-in scenario, and an unlisted file.
func course() fstest.MapFS {
	return fstest.MapFS{
		"mine.star":     {Data: []byte(goodStar)},
		"broken.star":   {Data: []byte(brokenStar)},
		"extra.star":    {Data: []byte("topic = \"Extras\"\ndef main():\n    pass\n")},
		"notes.md":      {Data: []byte("not a scenario")},
		"course.txt":    {Data: []byte("# my course\n[Lesson 1]\nmine\nlost-update\nbroken\n\n[Lesson 2]\n  nosuch\n")},
		"sub/x.star":    {Data: []byte("def main(:\n")},
		"Bad Name.star": {Data: []byte("def main():\n    pass\n")},
	}
}

func topicsOf(c *Catalogue) string {
	var parts []string
	for _, tp := range c.Topics() {
		var ids []string
		for _, s := range tp.Scenarios {
			ids = append(ids, s.ID)
		}
		parts = append(parts, tp.Name+": "+strings.Join(ids, " "))
	}
	return strings.Join(parts, "; ")
}

func TestOpenCourse(t *testing.T) {
	tests := []struct {
		name       string
		only       bool
		wantPrefix string // the course's topics, first
		wantBuilt  bool   // built-in topics follow
	}{
		{"beside the built-ins", false, "Lesson 1: mine lost-update; Extras: extra; Threads: spawn-without-join", true},
		{"only the course", true, "Lesson 1: mine lost-update; Extras: extra", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Open(Options{FS: course(), OnlyCourse: tt.only})
			if err != nil {
				t.Fatalf("Open() error = %v, want the broken file reported, not an error", err)
			}
			got := topicsOf(c)
			if !strings.HasPrefix(got, tt.wantPrefix) {
				t.Errorf("Open() topics = %q, want them to start with %q", got, tt.wantPrefix)
			}
			if tt.only && got != tt.wantPrefix {
				t.Errorf("Open(only course) topics = %q, want exactly %q", got, tt.wantPrefix)
			}
			if _, ok := c.Get("two-locks"); ok != tt.wantBuilt {
				t.Errorf("Get(two-locks) found = %v, want %v", ok, tt.wantBuilt)
			}
			s, ok := c.Get("mine")
			if !ok || s.Title != "My first thread" || !s.Course || s.Topic != "Lesson 1" {
				t.Fatalf("Get(mine) = %+v, %v, want the good course file under Lesson 1", s, ok)
			}
			lu, _ := c.Get("lost-update")
			if lu == nil || lu.Topic != "Lesson 1" || lu.Course {
				t.Errorf("Get(lost-update) = %+v, want the built-in placed in Lesson 1", lu)
			}
			if _, ok := c.Get("broken"); ok {
				t.Errorf("Get(broken) found, want a broken file left out")
			}
			var probs []string
			for _, p := range c.Problems() {
				probs = append(probs, p.Error())
			}
			want := []string{
				"Bad Name.star: the file name cannot be a scenario id",
				"broken.star:6:11: got ", // and no second problem for course.txt listing it
				`course.txt:8:3: no scenario "nosuch"`,
			}
			if len(probs) != len(want) {
				t.Fatalf("Problems() = %q, want %d problems", probs, len(want))
			}
			for i := range want {
				if !strings.HasPrefix(probs[i], want[i]) {
					t.Errorf("Problems()[%d] = %q, want it to start with %q", i, probs[i], want[i])
				}
			}
			var se = c.Problems()[1]
			if se.File != "broken.star" || se.Line != 6 || se.Col != 11 {
				t.Errorf("Problems()[1] = %s:%d:%d, want broken.star:6:11", se.File, se.Line, se.Col)
			}
		})
	}
}

func TestOpenCourseWithoutIndex(t *testing.T) {
	fsys := fstest.MapFS{
		"b.star":           {Data: []byte("topic = \"Deadlocks\"\ndef main():\n    pass\n")},
		"a.star":           {Data: []byte("topic = \"Zebras\"\ndef main():\n    pass\n")},
		"untitled.star":    {Data: []byte("def main():\n    pass\n")},
		"lost-update.star": {Data: []byte("\"\"\"My own lost update\"\"\"\ntopic = \"Deadlocks\"\ndef main():\n    pass\n")},
	}
	c, err := Open(Options{FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	got := topicsOf(c)
	if want := "Other: untitled; Zebras: a; Threads: spawn-without-join"; !strings.HasPrefix(got, want) {
		t.Errorf("Open() topics = %q, want them to start with %q: new topics alphabetically, then the built-in ones", got, want)
	}
	if want := "; Deadlocks: two-locks lock-ordering relock dining-philosophers dining-philosophers-fixed recv-from-each-other forgot-close b lost-update;"; !strings.Contains(got, want) {
		t.Errorf("Open() topics = %q, want %q: course files join their built-in topic at its end", got, want)
	}
	if s, _ := c.Get("lost-update"); s.Title != "My own lost update" {
		t.Errorf("Get(lost-update).Title = %q, want the course file to replace the built-in one", s.Title)
	}
	if strings.Count(got, "lost-update") != 1 {
		t.Errorf("Open() topics = %q, want lost-update once", got)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(Options{Dir: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Errorf("Open(missing folder) error = nil, want one")
	}
	file := filepath.Join(t.TempDir(), "f.star")
	os.WriteFile(file, []byte("x"), 0o644)
	if _, err := Open(Options{Dir: file}); err == nil {
		t.Errorf("Open(a file) error = nil, want one")
	}
	if _, err := Open(Options{OnlyCourse: true}); err == nil {
		t.Errorf("Open(only course, no folder) error = nil, want one")
	}
	c, err := Open(Options{})
	if err != nil || len(c.All()) < 24 {
		t.Errorf("Open(no folder) = %d scenarios, %v, want the built-ins", len(c.All()), err)
	}
}

// write writes a file and moves its modification time forward, so that
// a change is seen even on file systems with coarse timestamps.
func write(t *testing.T, path, src string, age time.Duration) {
	t.Helper()
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	mt := time.Now().Add(age)
	if err := os.Chtimes(path, mt, mt); err != nil {
		t.Fatal(err)
	}
}

func TestReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.star")
	write(t, path, goodStar, -time.Hour)
	c, err := Open(Options{Dir: dir, OnlyCourse: true})
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := c.Get("mine"); !ok || s.Title != "My first thread" {
		t.Fatalf("Get(mine) = %v, %v, want the file's scenario", s, ok)
	}
	if c.Reload() {
		t.Errorf("Reload() with nothing changed = true, want false")
	}

	steps := []struct {
		name      string
		change    func()
		wantTitle string // "" = not served
		wantProbs int
	}{
		{"edited", func() {
			write(t, path, strings.Replace(goodStar, "My first thread", "My edited thread", 1), -time.Minute)
		}, "My edited thread", 0},
		{"broken", func() { write(t, path, brokenStar, -time.Second) }, "", 1},
		{"fixed", func() { write(t, path, goodStar, 0) }, "My first thread", 0},
		{"removed", func() { os.Remove(path) }, "", 0},
		{"back", func() { write(t, path, goodStar, time.Second) }, "My first thread", 0},
	}
	for _, st := range steps {
		st.change()
		if !c.Reload() {
			t.Fatalf("after %s: Reload() = false, want the change seen", st.name)
		}
		got := ""
		if s, ok := c.Get("mine"); ok {
			got = s.Title
		}
		if got != st.wantTitle {
			t.Errorf("after %s: Get(mine).Title = %q, want %q", st.name, got, st.wantTitle)
		}
		if n := len(c.Problems()); n != st.wantProbs {
			t.Errorf("after %s: Problems() = %v, want %d", st.name, c.Problems(), st.wantProbs)
		}
	}
}

// TestWatch checks that a running catalogue picks up a changed file by
// itself, and that readers may use it meanwhile (run with -race).
func TestWatch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.star")
	write(t, path, goodStar, -time.Hour)
	c, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.Watch(ctx, 10*time.Millisecond, nil) }()
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c.Get("mine")
				for _, tp := range c.Topics() {
					_ = len(tp.Scenarios)
				}
				_ = c.All()
				_ = c.Problems()
				time.Sleep(time.Millisecond)
			}
		}()
	}
	write(t, path, strings.Replace(goodStar, "My first thread", "Changed", 1), 0)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if s, _ := c.Get("mine"); s != nil && s.Title == "Changed" {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("Watch() did not reload a changed file within 5s")
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	wg.Wait()
}

func TestBuiltinHasNoCourse(t *testing.T) {
	c, _ := Builtin()
	if c.Reload() {
		t.Errorf("Builtin().Reload() = true, want false")
	}
	c.Watch(context.Background(), time.Millisecond, nil) // returns at once
}

// TestReloadSeesSameSizeEdit checks that an edit that keeps the size and
// the modification time (coarse timestamps, a quick editor) is seen.
func TestReloadSeesSameSizeEdit(t *testing.T) {
	mt := time.Now()
	fsys := fstest.MapFS{"mine.star": {Data: []byte(goodStar), ModTime: mt}}
	c, err := Open(Options{FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	fsys["mine.star"] = &fstest.MapFile{Data: []byte(strings.Replace(goodStar, "My first", "My FIRST", 1)), ModTime: mt}
	if !c.Reload() {
		t.Fatalf("Reload() after a same-size edit = false, want true")
	}
	if s, _ := c.Get("mine"); s == nil || s.Title != "My FIRST thread" {
		t.Errorf("Get(mine) = %v, want the edited title", s)
	}
}

func TestValidID(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	for _, id := range []string{"", "a", "lost-update", "_x", "-x", "x_", "A9-b_c", "a b", "a.b", "ü", strings.Repeat("a", 64), strings.Repeat("a", 65), "a/b"} {
		if got, want := validID(id), re.MatchString(id); got != want {
			t.Errorf("validID(%q) = %v, want %v", id, got, want)
		}
	}
}
