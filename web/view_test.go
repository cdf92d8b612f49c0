package web

import (
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
