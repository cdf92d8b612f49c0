package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed lib/*.star
var builtin embed.FS

// topicOrder is the order of the built-in topics, from first ideas to
// later ones; topics not listed follow in alphabetical order.
var topicOrder = []string{
	"Threads",
	"Race conditions",
	"Fixes",
	"Deadlocks",
	"Livelock and starvation",
	"Threading models",
	"Message passing",
}

// Catalogue is a set of parsed scenarios, ordered by topic.
type Catalogue struct {
	byID   map[string]*Scenario
	topics []Topic
}

// Topic is a named group of scenarios in catalogue order.
type Topic struct {
	Name      string
	Scenarios []*Scenario
}

// Builtin parses the scenarios embedded in the binary. A broken built-in
// scenario is a programming error caught by the tests, so it is returned
// as an error rather than skipped.
func Builtin() (*Catalogue, error) {
	sub, err := fs.Sub(builtin, "lib")
	if err != nil {
		return nil, fmt.Errorf("open built-in scenarios: %w", err)
	}
	return Load(sub)
}

// Load parses every *.star file at the top of fsys.
func Load(fsys fs.FS) (*Catalogue, error) {
	names, err := fs.Glob(fsys, "*.star")
	if err != nil {
		return nil, fmt.Errorf("list scenarios: %w", err)
	}
	c := &Catalogue{byID: map[string]*Scenario{}}
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read scenario %s: %w", name, err)
		}
		s, err := Parse(strings.TrimSuffix(path.Base(name), ".star"), string(src))
		if err != nil {
			return nil, fmt.Errorf("parse scenario: %w", err)
		}
		c.add(s)
	}
	c.sort()
	return c, nil
}

func (c *Catalogue) add(s *Scenario) {
	c.byID[s.ID] = s
	i := slices.IndexFunc(c.topics, func(t Topic) bool { return t.Name == s.Topic })
	if i < 0 {
		c.topics = append(c.topics, Topic{Name: s.Topic})
		i = len(c.topics) - 1
	}
	c.topics[i].Scenarios = append(c.topics[i].Scenarios, s)
}

func (c *Catalogue) sort() {
	rank := func(name string) int {
		if i := slices.Index(topicOrder, name); i >= 0 {
			return i
		}
		return len(topicOrder)
	}
	slices.SortStableFunc(c.topics, func(a, b Topic) int {
		if ra, rb := rank(a.Name), rank(b.Name); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Name, b.Name)
	})
	for _, t := range c.topics {
		slices.SortStableFunc(t.Scenarios, func(a, b *Scenario) int { return strings.Compare(a.ID, b.ID) })
	}
}

// Get returns the scenario with the given id.
func (c *Catalogue) Get(id string) (*Scenario, bool) {
	s, ok := c.byID[id]
	return s, ok
}

// Topics returns the scenarios grouped by topic, in catalogue order.
func (c *Catalogue) Topics() []Topic { return c.topics }

// All returns every scenario in catalogue order.
func (c *Catalogue) All() []*Scenario {
	var all []*Scenario
	for _, t := range c.topics {
		all = append(all, t.Scenarios...)
	}
	return all
}
