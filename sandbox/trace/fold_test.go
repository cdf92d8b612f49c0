package trace

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// foldFixture is one file of web/testdata/fold, which the page's model
// is held to as well (web/jstest/fold.test.js).
type foldFixture struct {
	Events   []Event  `json:"events"`
	Spans    []Span   `json:"spans"`
	Arrows   []Arrow  `json:"arrows"`
	Instants []uint64 `json:"instants"`
}

func TestFoldFixtures(t *testing.T) {
	files, err := filepath.Glob("../../web/testdata/fold/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fold fixtures found: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var fx foldFixture
			if err := json.Unmarshal(b, &fx); err != nil {
				t.Fatalf("decode %s: %v", file, err)
			}
			got := Fold(fx.Events)
			if !reflect.DeepEqual(got.Spans, fx.Spans) {
				t.Errorf("Fold(%s) spans differ:\ngot  %s\nwant %s", file, jsonOf(got.Spans), jsonOf(fx.Spans))
			}
			if !reflect.DeepEqual(got.Arrows, fx.Arrows) {
				t.Errorf("Fold(%s) arrows differ:\ngot  %s\nwant %s", file, jsonOf(got.Arrows), jsonOf(fx.Arrows))
			}
			if !reflect.DeepEqual(got.Instants, fx.Instants) {
				t.Errorf("Fold(%s) instants = %v, want %v", file, got.Instants, fx.Instants)
			}
		})
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
