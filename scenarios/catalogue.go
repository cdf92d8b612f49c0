package scenarios

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"interleave/limits"
)

// The built-in scenarios, and the index that orders them by topic.
//
//go:embed lib/*.star lib/course.txt
var builtin embed.FS

// IndexFile is the name of the optional index of a scenario folder: the
// order of its topics (lessons) and of the scenarios in each. See
// docs/courses.md and ParseIndex.
const IndexFile = "course.txt"

// OtherTopic is the topic of a scenario that names none.
const OtherTopic = "Other"

// Catalogue is a set of parsed scenarios grouped by topic: the built-in
// ones, a teacher's course folder, or both. Its methods are safe for
// concurrent use: a catalogue with a course folder swaps in a new
// snapshot when Reload (or Watch) finds the folder changed, and readers
// see either the old snapshot or the new one, never a mix.
type Catalogue struct {
	snap atomic.Pointer[snapshot]
	src  *courseSource // nil when the catalogue never changes
}

// snapshot is one immutable state of a catalogue.
type snapshot struct {
	byID     map[string]*Scenario
	topics   []Topic
	problems []*Error
}

// Topic is a named group of scenarios in catalogue order.
type Topic struct {
	Name      string
	Scenarios []*Scenario
}

// Get returns the scenario with the given id.
func (c *Catalogue) Get(id string) (*Scenario, bool) {
	s, ok := c.snap.Load().byID[id]
	return s, ok
}

// Topics returns the scenarios grouped by topic, in catalogue order. The
// slice belongs to the catalogue: do not modify it.
func (c *Catalogue) Topics() []Topic { return c.snap.Load().topics }

// All returns every scenario in catalogue order.
func (c *Catalogue) All() []*Scenario {
	var all []*Scenario
	for _, t := range c.snap.Load().topics {
		all = append(all, t.Scenarios...)
	}
	return all
}

// Problems lists what is wrong in the course folder: scenario files that
// do not parse and mistakes in its index, each with its file, line and
// column. A broken file is left out of the catalogue; the rest is served.
// The built-in catalogue has none.
func (c *Catalogue) Problems() []*Error {
	return slices.Clone(c.snap.Load().problems)
}

// Options says where a catalogue's scenarios come from.
type Options struct {
	// Dir is a teacher's course folder: *.star files and an optional
	// course.txt index. Empty for none.
	Dir string
	// FS, when set, is the course folder as a file system; it is used
	// instead of Dir (tests use testing/fstest).
	FS fs.FS
	// OnlyCourse leaves out the built-in scenarios, except those that
	// the course index lists by id.
	OnlyCourse bool
	// MaxScript caps a course file's size in bytes; 0 means
	// limits.DefaultScript. main passes the -max-script limit, so that
	// every file the catalogue lists can also run.
	MaxScript int
}

// Open builds a catalogue of the built-in scenarios and the course folder
// of opts. Broken course files do not make it fail: they are reported by
// Problems. It fails only if the folder is not a readable directory.
func Open(opts Options) (*Catalogue, error) {
	base, err := builtinSet()
	if err != nil {
		return nil, err
	}
	if opts.Dir == "" && opts.FS == nil {
		if opts.OnlyCourse {
			return nil, errors.New("open scenarios: only the course was asked for, but no course folder was given")
		}
		return Builtin()
	}
	fsys := opts.FS
	name := "course folder"
	if fsys == nil {
		st, err := os.Stat(opts.Dir)
		if err != nil {
			return nil, fmt.Errorf("open course folder: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("open course folder: %s is not a directory", opts.Dir)
		}
		fsys = os.DirFS(opts.Dir)
		name = opts.Dir
	}
	maxSrc := limits.Limits{Script: opts.MaxScript}.WithDefaults().Script
	c := &Catalogue{src: &courseSource{fsys: fsys, name: name, base: base, only: opts.OnlyCourse, maxSrc: maxSrc}}
	if _, err := fs.ReadDir(fsys, "."); err != nil {
		return nil, fmt.Errorf("open course folder: %w", err)
	}
	c.Reload()
	return c, nil
}

// Reload re-reads the course folder if any of its files changed (by name,
// size, modification time or contents) and reports whether the catalogue
// changed.
// Without a course folder it does nothing.
func (c *Catalogue) Reload() bool {
	if c.src == nil {
		return false
	}
	snap, changed := c.src.load()
	if changed {
		c.snap.Store(snap)
	}
	return changed
}

// Watch polls the course folder every interval (a second is a good
// value) until ctx is done, reloading it when a file changes, and logs
// each reload with the problems found. It returns at once for a
// catalogue without a course folder.
func (c *Catalogue) Watch(ctx context.Context, every time.Duration, log *slog.Logger) {
	if c.src == nil {
		return
	}
	if every <= 0 {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !c.Reload() || log == nil {
			continue
		}
		probs := c.Problems()
		log.Info("course folder reloaded", "folder", c.src.name, "scenarios", len(c.All()), "problems", len(probs))
		for _, p := range probs {
			log.Warn("course problem: " + p.Error())
		}
	}
}

// Builtin returns the scenarios embedded in the binary. A broken built-in
// scenario is a programming error caught by the tests, so it is returned
// as an error rather than skipped.
func Builtin() (*Catalogue, error) {
	set, err := builtinSet()
	if err != nil {
		return nil, err
	}
	c := &Catalogue{}
	c.snap.Store(arrange(nil, set, false))
	return c, nil
}

var builtinOnce = sync.OnceValues(func() (*fileSet, error) {
	sub, err := fs.Sub(builtin, "lib")
	if err != nil {
		return nil, fmt.Errorf("open built-in scenarios: %w", err)
	}
	set := readSet(sub, limits.DefaultScript)
	if snap := arrange(nil, set, false); len(snap.problems) > 0 {
		return nil, fmt.Errorf("built-in scenarios: %w", joinProblems(snap.problems))
	}
	return set, nil
})

func builtinSet() (*fileSet, error) { return builtinOnce() }

// Load parses every *.star file at the top of fsys and its course.txt
// index, if any. Unlike a course folder opened with Open, any problem
// makes it fail.
func Load(fsys fs.FS) (*Catalogue, error) {
	snap := arrange(nil, readSet(fsys, limits.DefaultScript), false)
	if len(snap.problems) > 0 {
		return nil, fmt.Errorf("parse scenario: %w", joinProblems(snap.problems))
	}
	c := &Catalogue{}
	c.snap.Store(snap)
	return c, nil
}

func joinProblems(ps []*Error) error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// courseSource is a course folder and what was last read from it.
type courseSource struct {
	fsys fs.FS
	name string   // for logs
	base *fileSet // the built-in scenarios
	only bool
	// maxSrc caps a file's size in bytes.
	maxSrc int

	mu   sync.Mutex // serializes loads
	sig  string     // the folder's signature at the last load
	last *fileSet   // the last folder read, kept when the folder vanishes
}

// load reads the folder if its signature changed since the last load.
func (s *courseSource) load() (*snapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sig, err := signature(s.fsys, s.maxSrc)
	if err != nil {
		// The folder is gone or unreadable: keep what was read before
		// and say why nothing new is read.
		sig = "error: " + err.Error()
		if sig == s.sig {
			return nil, false
		}
		s.sig = sig
		set := &fileSet{}
		if s.last != nil {
			set = s.last.clone()
		}
		set.problems = append(set.problems, &Error{File: s.name, Msg: "cannot read the course folder: " + err.Error()})
		return arrange(set, s.base, s.only), true
	}
	if sig == s.sig {
		return nil, false
	}
	s.sig = sig
	set := readSet(s.fsys, s.maxSrc)
	for _, sc := range set.scenarios {
		sc.Course = true
	}
	s.last = set
	return arrange(set, s.base, s.only), true
}

// signature sums up the files that make up a scenario folder: their
// names, sizes, modification times and a hash of their contents (so that
// an edit is seen even where timestamps are coarse).
func signature(fsys fs.FS, maxSrc int) (string, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range entries {
		if !isScenarioFile(e) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			fmt.Fprintf(&b, "%s:?;", e.Name())
			continue
		}
		fmt.Fprintf(&b, "%s:%d:%d", e.Name(), info.Size(), info.ModTime().UnixNano())
		if info.Size() <= int64(maxSrc) {
			if data, err := fs.ReadFile(fsys, e.Name()); err == nil {
				h := fnv.New64a()
				h.Write(data)
				fmt.Fprintf(&b, ":%x", h.Sum64())
			}
		}
		b.WriteByte(';')
	}
	return b.String(), nil
}

// readLimited reads a file of at most limit bytes. The error is a
// sentence for a teacher.
func readLimited(fsys fs.FS, name string, limit int) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("cannot read the file: %w", err)
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("cannot read the file: %w", err)
	case len(src) > limit:
		if info, err := f.Stat(); err == nil {
			return nil, errors.New(limits.ScriptTooLarge(int(info.Size()), limit))
		}
		return nil, errors.New(limits.ScriptOverLimit(limit))
	}
	return src, nil
}

func isScenarioFile(e fs.DirEntry) bool {
	return !e.IsDir() && (strings.HasSuffix(e.Name(), ".star") || e.Name() == IndexFile)
}

// fileSet is what one folder holds: parsed scenarios (by file name
// order), its index if any, and the problems found reading them.
type fileSet struct {
	scenarios []*Scenario
	index     *Index
	problems  []*Error
}

func (f *fileSet) clone() *fileSet {
	c := *f
	c.scenarios = slices.Clone(f.scenarios)
	c.problems = slices.Clone(f.problems)
	return &c
}

// validID reports whether id may name a scenario file: its id appears
// in links (/s/{id}). It is `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`, written
// out because that regexp's compiled program cost every process,
// sandbox children included, 864 allocations at start-up.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// readSet reads and parses every *.star file at the top of fsys, and its
// index. It never fails: what cannot be read or parsed becomes a problem,
// as does a file over maxSrc bytes (Parse itself has no size cap).
func readSet(fsys fs.FS, maxSrc int) *fileSet {
	set := &fileSet{}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		set.problems = append(set.problems, &Error{File: ".", Msg: "cannot list the scenarios: " + err.Error()})
		return set
	}
	for _, e := range entries {
		if !isScenarioFile(e) || e.Name() == IndexFile {
			continue
		}
		name := e.Name()
		id := strings.TrimSuffix(name, ".star")
		if !validID(id) {
			set.problems = append(set.problems, &Error{File: name, Msg: "the file name cannot be a scenario id: use letters, digits, - and _ (at most 64), then .star"})
			continue
		}
		src, err := readLimited(fsys, name, maxSrc)
		if err != nil {
			set.problems = append(set.problems, &Error{File: name, Msg: err.Error()})
			continue
		}
		s, err := Parse(id, string(src))
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				se = &Error{File: name, Msg: err.Error()}
			}
			set.problems = append(set.problems, se)
			continue
		}
		if s.Topic == "" {
			s.Topic = OtherTopic
		}
		set.scenarios = append(set.scenarios, s)
	}
	if src, err := fs.ReadFile(fsys, IndexFile); err == nil {
		idx, probs := ParseIndex(IndexFile, string(src))
		set.index = idx
		set.problems = append(set.problems, probs...)
	} else if !errors.Is(err, fs.ErrNotExist) {
		set.problems = append(set.problems, &Error{File: IndexFile, Msg: "cannot read the file: " + err.Error()})
	}
	return set
}

// arrange orders a course folder's scenarios and the built-in ones (base)
// into topics. With course nil, base is arranged alone by its own index:
// the built-ins, or a folder read by Load.
//
// The order: first the topics of the course index, in its order, each
// with its scenarios in the order listed (an id may name a course file
// or a built-in scenario); then the course files the index does not
// list, by their own topic, in alphabetical order of topic and id; then,
// unless only is set, the built-in scenarios not placed yet, in the
// built-in order. An unlisted course file whose topic is a built-in one
// joins that topic, after its built-in scenarios. A topic name used
// twice is one group, at its first place. A course file with the id of a
// built-in scenario replaces it.
func arrange(course, base *fileSet, only bool) *snapshot {
	snap := &snapshot{byID: map[string]*Scenario{}}
	a := &arranger{course: course, base: base, avail: map[string]*Scenario{},
		b: &topicBuilder{snap: snap, at: map[string]int{}}}
	if base != nil {
		for _, s := range base.scenarios {
			a.avail[s.ID] = s
		}
	}
	if course != nil {
		for _, s := range course.scenarios {
			a.avail[s.ID] = s
		}
		a.problems = slices.Clone(course.problems)
	} else if base != nil {
		a.problems = slices.Clone(base.problems)
	}
	// 1. The course index, or the built-in one when there is no course.
	if course != nil {
		a.placeIndexed(course)
	} else if base != nil {
		a.placeIndexed(base)
	}
	withBuiltins := base != nil && course != nil && !only
	// 2. Course files the index does not list, by their own topics; those
	// of a built-in topic wait for it (step 3).
	later := a.placeUnlisted(withBuiltins)
	// 3. The built-in scenarios not placed yet, in the built-in order,
	// each topic followed by the course files of that topic.
	if withBuiltins {
		a.placeBuiltins(later)
	}
	// Without a course, scenarios the built-in index leaves out still
	// count, after the listed ones.
	if course == nil && base != nil {
		for _, s := range base.scenarios {
			if snap.byID[s.ID] == nil {
				a.b.place(s.Topic, s)
			}
		}
	}
	slices.SortStableFunc(a.problems, func(a, b *Error) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	snap.problems = a.problems
	return snap
}

// arranger is the state of one arrange call.
type arranger struct {
	course, base *fileSet
	avail        map[string]*Scenario // id -> the scenario it names, course first
	problems     []*Error
	b            *topicBuilder
}

// placeIndexed places the scenarios first's index lists, in its order.
func (a *arranger) placeIndexed(first *fileSet) {
	if first.index == nil {
		return
	}
	for _, sec := range first.index.Topics {
		for _, ref := range sec.IDs {
			s, ok := a.avail[ref.ID]
			if !ok && slices.ContainsFunc(a.problems, func(e *Error) bool { return e.File == ref.ID+".star" }) {
				continue // the file is there but broken: its own error says why
			}
			if !ok {
				a.problems = append(a.problems, &Error{File: first.index.File, Line: ref.Line, Col: ref.Col,
					Msg: fmt.Sprintf("no scenario %q: add %s.star to the folder or fix the id", ref.ID, ref.ID)})
				continue
			}
			if _, dup := a.b.snap.byID[ref.ID]; dup {
				a.problems = append(a.problems, &Error{File: first.index.File, Line: ref.Line, Col: ref.Col,
					Msg: fmt.Sprintf("scenario %q is listed twice: it stays at its first place", ref.ID)})
				continue
			}
			if s.Topic != sec.Name {
				cp := *s
				cp.Topic = sec.Name
				s = &cp
			}
			a.b.place(sec.Name, s)
		}
	}
}

// placeUnlisted places the course files the index does not list, in
// alphabetical order of topic and id, and returns, by topic, the ones
// that wait for a built-in topic of the same name.
func (a *arranger) placeUnlisted(withBuiltins bool) map[string][]*Scenario {
	later := map[string][]*Scenario{}
	if a.course == nil {
		return later
	}
	builtinTopic := map[string]bool{}
	if withBuiltins {
		for _, s := range a.base.scenarios {
			builtinTopic[s.Topic] = true
		}
	}
	rest := slices.DeleteFunc(slices.Clone(a.course.scenarios), func(s *Scenario) bool { return a.b.snap.byID[s.ID] != nil })
	slices.SortStableFunc(rest, func(x, y *Scenario) int {
		if c := strings.Compare(x.Topic, y.Topic); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	for _, s := range rest {
		if builtinTopic[s.Topic] {
			later[s.Topic] = append(later[s.Topic], s)
			continue
		}
		a.b.place(s.Topic, s)
	}
	return later
}

// placeBuiltins places the built-in scenarios not placed or replaced
// yet, each topic followed by the course files waiting for it.
func (a *arranger) placeBuiltins(later map[string][]*Scenario) {
	var topics []string
	for _, s := range orderOf(a.base) {
		if !slices.Contains(topics, s.Topic) {
			topics = append(topics, s.Topic)
		}
		if a.b.snap.byID[s.ID] == nil && a.avail[s.ID] == s {
			a.b.place(s.Topic, s)
		}
	}
	for _, name := range topics {
		for _, s := range later[name] {
			a.b.place(name, s)
		}
	}
}

// orderOf lists a folder's scenarios in the order of its index, then the
// ones it does not list by id.
func orderOf(set *fileSet) []*Scenario {
	byID := map[string]*Scenario{}
	for _, s := range set.scenarios {
		byID[s.ID] = s
	}
	var out []*Scenario
	seen := map[string]bool{}
	if set.index != nil {
		for _, sec := range set.index.Topics {
			for _, ref := range sec.IDs {
				if s, ok := byID[ref.ID]; ok && !seen[ref.ID] {
					seen[ref.ID] = true
					out = append(out, s)
				}
			}
		}
	}
	for _, s := range set.scenarios {
		if !seen[s.ID] {
			out = append(out, s)
		}
	}
	return out
}

type topicBuilder struct {
	snap *snapshot
	at   map[string]int // topic name -> index in snap.topics
}

func (b *topicBuilder) place(topic string, s *Scenario) {
	i, ok := b.at[topic]
	if !ok {
		i = len(b.snap.topics)
		b.at[topic] = i
		b.snap.topics = append(b.snap.topics, Topic{Name: topic})
	}
	b.snap.topics[i].Scenarios = append(b.snap.topics[i].Scenarios, s)
	b.snap.byID[s.ID] = s
}
