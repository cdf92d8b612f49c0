package engine

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.starlark.net/starlark"

	"interleave/sandbox/trace"
)

// The conventions of docs/language.md that this file checks:
//
//   - A predeclared name is documented by a heading that starts with it:
//     "### spawn(fn, *args, name = None)".
//   - An attribute of an object is documented by a heading that starts
//     with the object's type and the attribute: "### cell.get()",
//     "### thread.name". An iterable object has a heading that starts
//     with "### for v in TYPE".
//   - A code block fenced as ```python is a whole scenario that runs in
//     sim mode with status ok. A block fenced as ```python status=S must
//     end with status S, and its lines "# message: TEXT" each name a
//     substring of the run's message. Blocks in any other language (text,
//     starlark) are fragments and are not run.
const languageDoc = "../../docs/language.md"

// languageObjects are the values scripts get from the predeclared names;
// zero values suffice to ask for their type and attribute names.
// TestLanguageObjectsComplete makes sure a new kind of object joins them.
var languageObjects = []starlark.HasAttrs{&handle{}, &cellObj{}, &mutexObj{}, &chanObj{}}

// TestLanguageObjectsComplete finds every type of this package that has
// attributes (an AttrNames method) and wants it in languageObjects, so
// that its methods are checked against the reference too.
func TestLanguageObjectsComplete(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, obj := range languageObjects {
		listed[reflect.TypeOf(obj).Elem().Name()] = true
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || fd.Name.Name != "AttrNames" {
				continue
			}
			typ := fd.Recv.List[0].Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			if id, ok := typ.(*ast.Ident); ok && !listed[id.Name] {
				t.Errorf("%s: type %s has attributes but is not in languageObjects: add it, and document its methods in docs/language.md", name, id.Name)
			}
		}
	}
}

func readLanguageDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(languageDoc))
	if err != nil {
		t.Fatalf("read the language reference: %v", err)
	}
	return string(b)
}

// headings returns the text of every level-3 heading, without its #s.
func headings(doc string) []string {
	var out []string
	for _, line := range strings.Split(doc, "\n") {
		if h, ok := strings.CutPrefix(line, "### "); ok {
			out = append(out, strings.TrimSpace(h))
		}
	}
	return out
}

// documented reports whether a heading starts with name followed by
// something that is not part of an identifier.
func documented(hs []string, name string) bool {
	for _, h := range hs {
		rest, ok := strings.CutPrefix(h, name)
		if !ok {
			continue
		}
		if rest == "" || !isIdentByte(rest[0]) {
			return true
		}
	}
	return false
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '.' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// languageNames is every name the reference must document: the engine's
// predeclared names, print (Starlark's own, which the engine redirects
// onto the thread's lane), and each object's attributes.
func languageNames() []string {
	names := []string{"print"}
	for name := range new(run).predeclared() {
		names = append(names, name)
	}
	for _, obj := range languageObjects {
		typ := obj.Type()
		for _, a := range obj.AttrNames() {
			names = append(names, typ+"."+a)
		}
		if _, ok := obj.(starlark.Iterable); ok {
			names = append(names, "for v in "+typ)
		}
	}
	sort.Strings(names)
	return names
}

func TestLanguageDocNamesEveryBuiltin(t *testing.T) {
	hs := headings(readLanguageDoc(t))
	for _, name := range languageNames() {
		if !documented(hs, name) {
			t.Errorf("docs/language.md has no heading \"### %s...\": document it", name)
		}
	}
}

// docExample is one fenced python block of the reference.
type docExample struct {
	line     int // of the opening fence
	src      string
	status   trace.Status
	messages []string
}

var fenceRe = regexp.MustCompile("^```python(?:\\s+status=(\\w+))?\\s*$")

// examples extracts the python blocks of a Markdown document.
func examples(t *testing.T, doc string) []docExample {
	t.Helper()
	var out []docExample
	var cur *docExample
	var body []string
	for i, line := range strings.Split(doc, "\n") {
		if cur != nil {
			if strings.TrimSpace(line) == "```" {
				cur.src = strings.Join(body, "\n") + "\n"
				out = append(out, *cur)
				cur, body = nil, nil
				continue
			}
			body = append(body, line)
			if m, ok := strings.CutPrefix(strings.TrimSpace(line), "# message: "); ok {
				cur.messages = append(cur.messages, m)
			}
			continue
		}
		if m := fenceRe.FindStringSubmatch(line); m != nil {
			cur = &docExample{line: i + 1, status: trace.StatusOK}
			if m[1] != "" {
				cur.status = trace.Status(m[1])
			}
		} else if strings.HasPrefix(line, "```python") {
			t.Fatalf("docs/language.md:%d: fence %q: use ```python or ```python status=STATUS", i+1, line)
		}
	}
	if cur != nil {
		t.Fatalf("docs/language.md:%d: the code block is not closed", cur.line)
	}
	return out
}

func TestLanguageDocExamplesRun(t *testing.T) {
	exs := examples(t, readLanguageDoc(t))
	if len(exs) < len(languageNames())/2 {
		t.Fatalf("docs/language.md has %d python examples; want at least one for every other name, %d", len(exs), len(languageNames())/2)
	}
	for _, ex := range exs {
		t.Run(fmt.Sprintf("line%04d", ex.line), func(t *testing.T) {
			res, _ := collect(t, Request{Scenario: "language", Source: ex.src, Mode: trace.ModeSim, Seed: 1})
			if res.Status != ex.status {
				t.Fatalf("Run(docs/language.md:%d) = %v (%s), want %v", ex.line, res.Status, res.Message, ex.status)
			}
			for _, m := range ex.messages {
				if !strings.Contains(res.Message, m) {
					t.Errorf("Run(docs/language.md:%d) message = %q, want it to contain %q", ex.line, res.Message, m)
				}
			}
		})
	}
}
