package scenarios

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Index is a folder's course.txt: its topics (lessons), in order, each
// with the ids of its scenarios, in order.
//
// The format is line by line:
//
//	# A comment: from # to the end of the line.
//	[Week 1: Threads]
//	spawn-without-join
//	my-first-thread     # a scenario of the folder: my-first-thread.star
//
//	[Week 2: Races]
//	lost-update
//
// A line [Name] starts a topic; every other non-blank line names one
// scenario by its id (its file name without .star), which may be a file
// of the folder or a built-in scenario. Blank lines and comments are
// ignored. A topic named twice goes on where it started.
type Index struct {
	File   string
	Topics []IndexTopic
}

// IndexTopic is one [Name] section of an index.
type IndexTopic struct {
	Name string
	Line int
	IDs  []IndexRef
}

// IndexRef is one scenario id in an index, with where it was written.
type IndexRef struct {
	ID        string
	Line, Col int
}

// ParseIndex reads an index. It returns what it could read and a problem
// for each line it could not, so that one typo does not hide the rest of
// a course.
func ParseIndex(file, src string) (*Index, []*Error) {
	idx := &Index{File: file}
	var probs []*Error
	bad := func(line, col int, format string, args ...any) {
		probs = append(probs, &Error{File: file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
	}
	topics := map[string]int{}
	cur := -1
	for n, raw := range strings.Split(src, "\n") {
		line := n + 1
		text := raw
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		text = strings.TrimRight(text, " \t\r")
		trimmed := strings.TrimLeft(text, " \t")
		if trimmed == "" {
			continue
		}
		col := 1 + utf8.RuneCountInString(text[:len(text)-len(trimmed)])
		if strings.HasPrefix(trimmed, "[") {
			if !strings.HasSuffix(trimmed, "]") {
				bad(line, col, "a topic is written [Name], with a closing ]")
				continue
			}
			name := strings.TrimSpace(trimmed[1 : len(trimmed)-1])
			if name == "" {
				bad(line, col, "the topic has no name: write [Name]")
				continue
			}
			if i, ok := topics[name]; ok {
				cur = i // a topic named again goes on where it started
				continue
			}
			cur = len(idx.Topics)
			topics[name] = cur
			idx.Topics = append(idx.Topics, IndexTopic{Name: name, Line: line})
			continue
		}
		if strings.ContainsAny(trimmed, " \t") {
			bad(line, col, "%q is not a scenario id: write one id per line (the file name without .star)", trimmed)
			continue
		}
		id := strings.TrimSuffix(trimmed, ".star")
		if !validID(id) {
			bad(line, col, "%q is not a scenario id: ids use letters, digits, - and _", trimmed)
			continue
		}
		if cur < 0 {
			bad(line, col, "scenario %q comes before any topic: start a topic with a line such as [Threads]", id)
			continue
		}
		t := &idx.Topics[cur]
		t.IDs = append(t.IDs, IndexRef{ID: id, Line: line, Col: col})
	}
	return idx, probs
}
