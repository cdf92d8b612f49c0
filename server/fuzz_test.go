package server

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"interleave/scenarios"
)

// isSentence reports whether a refusal reads as a sentence for a person:
// valid text, a capital first, a full stop last, and not a wall of text.
func isSentence(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return utf8.ValidString(s) && unicode.IsUpper(r) && strings.HasSuffix(s, ".") && len(s) < 600
}

// FuzzClientMessage feeds the WebSocket's message decoding, and the run
// request a message makes, anything at all: it must never panic, and every
// refusal must be a sentence, never internal detail.
func FuzzClientMessage(f *testing.F) {
	for _, seed := range []string{
		`{"type":"run","scenario":"lost-update","params":{"threads":3,"iterations":200},"mode":"os"}`,
		`{"type":"run","scenario":"two-locks","mode":"sim","seed":3}`,
		`{"type":"run","scenario":"lost-update","mode":"green","procs":4}`,
		`{"type":"run","source":"def main():\n    pass\n"}`,
		`{"type":"run","source":"def main(:\n"}`,
		`{"type":"stop"}`,
		`{"type":`,
		`[1,2]`,
		`null`,
		`"run"`,
		`{"type":"dance"}`,
		`{"type":"` + strings.Repeat("x", 5000) + `"}`,
		`{"type":"run","procs":"four"}`,
		`{"type":"run","seed":1e300}`,
		`{"type":"run","seed":-9223372036854775809}`,
		`{"type":"run","procs":-1,"mode":"green","scenario":"lost-update"}`,
		`{"type":"run","mode":"turbo","scenario":"lost-update"}`,
		`{"type":"run","scenario":"lost-update","params":{"threads":1e308}}`,
		`{"type":"run","scenario":"lost-update","params":{"threads":"3"}}`,
		`{"type":"run","scenario":"lost-update","params":{"threads":9007199254740993}}`,
		`{"type":"run","scenario":"lost-update","params":[1]}`,
		`{"type":"run","scenario":"nope"}`,
		`{"type":"run","source":"\xff\xfe"}`,
		"{\"type\":\"\xff\"}",
		`{"type":"run","schedule":"` + strings.Repeat("0", 3000) + `","scenario":"two-locks","mode":"sim"}`,
		strings.Repeat("[", 20000),
		`{"type":"run","type":"stop"}`,
		`{"type":"run","source":"` + strings.Repeat("#", 70000) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	cat, err := scenarios.Builtin()
	if err != nil {
		f.Fatal(err)
	}
	s := New(Config{}, cat, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeClientMessage(data)
		if err != nil {
			if ue, ok := refusalOf(err, ""); !ok || ue.kind != kindInvalid || !isSentence(ue.msg) {
				t.Fatalf("decodeClientMessage(%q) refused with %q, want a sentence", data, ue.msg)
			}
			return
		}
		if m.Type != "run" {
			return
		}
		_, err = s.prepare(m)
		if err == nil {
			return
		}
		ue, ok := refusalOf(err, "")
		switch {
		case !ok:
			t.Fatalf("prepare(%q) = %v, want a refusal", data, err)
		case ue.result != nil:
			if msg := ue.result.Message; msg == "" || !utf8.ValidString(msg) || ue.result.Status == "" {
				t.Fatalf("prepare(%q) refused with result %+v, want a status and a message", data, ue.result)
			}
		case ue.kind != kindInvalid && ue.kind != kindNotFound || !isSentence(ue.msg):
			t.Fatalf("prepare(%q) = %v, want a request error or not found, with a sentence", data, err)
		}
	})
}
