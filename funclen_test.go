package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// maxFuncLines is the longest a Go function may be, from its func line to
// its closing brace: one that does more is split into named steps.
const maxFuncLines = 80

// longTests are test functions still over maxFuncLines, each named by its
// file and name. The list may only shrink: TestFunctionLength fails for a
// function over the limit that is not here, and for one here that is no
// longer over it, so that it leaves the list when it is split.
var longTests = []string{
	"server/a11y_browser_test.go TestKeyboardWalk",
	"server/keys_browser_test.go TestShortcuts",
	"server/share_browser_test.go TestExport",
	"server/share_browser_test.go TestShareEditedScript",
	"server/step_browser_test.go TestStepLostUpdate",
	"server/timeline_browser_test.go TestTimelineDeadlock",
	"server/timeline_browser_test.go TestTimelineLostUpdate",
}

// TestFunctionLength checks every Go function of the repository, test
// files included (a test is read as often as the code it checks), against
// maxFuncLines. Generated files (*_templ.go) are skipped; function
// literals count within the function that holds them.
func TestFunctionLength(t *testing.T) {
	fset := token.NewFileSet()
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata"):
			return filepath.SkipDir
		case d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_templ.go"):
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			name := filepath.ToSlash(path) + " " + fn.Name.Name
			listed := slices.Contains(longTests, name)
			seen[name] = true
			switch {
			case lines > maxFuncLines && !listed:
				t.Errorf("%s:%d: %s is %d lines, want at most %d: split it into named steps (or move a test's table to a package variable)",
					path, fset.Position(fn.Pos()).Line, fn.Name.Name, lines, maxFuncLines)
			case lines <= maxFuncLines && listed:
				t.Errorf("%s is %d lines now: remove it from longTests", name, lines)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk the repository: %v", err)
	}
	for _, name := range longTests {
		if !seen[name] {
			t.Errorf("longTests names %s, which is gone: remove it", name)
		}
	}
}
