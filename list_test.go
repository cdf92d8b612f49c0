package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestList(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"mine.star":   "\"\"\"My scenario\"\"\"\ntopic = \"Week 1\"\ndef main():\n    pass\n",
		"broken.star": "def main(:\n",
		"course.txt":  "[Week 1]\nmine\nlost-update\n",
	}
	head := "def main():\n    pass\n#"
	files["big.star"] = head + strings.Repeat("x", 70<<10-len(head)) // 70 KiB
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantOut  []string
		notOut   []string
		wantErr  string
	}{
		{"built-in text", nil, nil, 0, []string{"ID", "TOPIC", "TITLE", "lost-update", "Race conditions", "two-locks"}, nil, ""},
		{"course beside", []string{"-scenarios", dir}, nil, 1, []string{"mine", "Week 1", "My scenario", "two-locks"}, []string{"broken", "big"}, "broken.star:1:11: "},
		{"big file over the default limit", []string{"-scenarios", dir}, nil, 1, nil, []string{"big"}, "big.star: The script is 71680 bytes; the script size limit is 65536 bytes."},
		{"big file under -max-script", []string{"-scenarios", dir, "-max-script", "100000"}, nil, 1, []string{"big"}, nil, "broken.star:1:11"},
		{"-max-script env twin", []string{"-scenarios", dir}, map[string]string{"INTERLEAVE_MAX_SCRIPT": "100000"}, 1, []string{"big"}, nil, "broken.star"},
		{"-max-script zero", []string{"-max-script", "0"}, nil, 2, nil, nil, "-max-script must be positive, not 0"},
		{"only course", []string{"-scenarios", dir, "-only-course"}, nil, 1, []string{"mine", "lost-update"}, []string{"two-locks"}, "broken.star:1:11"},
		{"env twins", nil, map[string]string{"INTERLEAVE_SCENARIOS": dir, "INTERLEAVE_ONLY_COURSE": "true"}, 1, []string{"mine"}, []string{"two-locks"}, "broken.star"},
		{"only without folder", []string{"-only-course"}, nil, 2, nil, nil, "needs a course folder"},
		{"missing folder", []string{"-scenarios", filepath.Join(dir, "nope")}, nil, 2, nil, nil, "open course folder"},
		{"bad format", []string{"-format", "xml"}, nil, 2, nil, nil, `unknown format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var out, errb bytes.Buffer
			code := listCmd(tt.args, &out, &errb)
			if code != tt.wantCode {
				t.Errorf("list %v exit code = %d, want %d; stderr: %s", tt.args, code, tt.wantCode, errb.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("list %v printed %q, want it to contain %q", tt.args, out.String(), w)
				}
			}
			for _, w := range tt.notOut {
				if strings.Contains(out.String(), w) {
					t.Errorf("list %v printed %q, want no %q", tt.args, out.String(), w)
				}
			}
			if !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("list %v stderr = %q, want %q", tt.args, errb.String(), tt.wantErr)
			}
		})
	}
}

func TestListJSONEntries(t *testing.T) {
	var out, errb bytes.Buffer
	if code := listCmd([]string{"-format", "json"}, &out, &errb); code != 0 {
		t.Fatalf("list -format json exit code = %d; stderr: %s", code, errb.String())
	}
	var entries []listEntry
	if err := json.Unmarshal(out.Bytes(), &entries); err != nil {
		t.Fatalf("list -format json printed invalid JSON: %v", err)
	}
	if len(entries) < 24 || entries[0].ID == "" || entries[0].Topic == "" || entries[0].Title == "" || len(entries[0].Modes) == 0 {
		t.Errorf("list -format json = %d entries, first %+v, want every scenario with id, topic, title and modes", len(entries), entries[0])
	}
}
