package trace

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// codecFixture is the pair the page's decoder is tested against
// (web/jstest/codec.test.js): events in the binary codec, and the same
// events in the JSON the socket sends.
const codecFixture = "../../web/testdata/codec/events"

// fixtureEvents covers every field and flag of the codec, every value
// kind, every event kind and varints of one to nine bytes.
func fixtureEvents() []Event {
	evs := append([]Event(nil), sampleEvents...)
	evs = append(evs,
		Event{Seq: 9, T: -5, Th: 3, K: Wake, Tid: 7, CPU: -1, HasOS: true},
		Event{Seq: 10, T: 1 << 52, Th: 1 << 20, K: Set, Obj: "big", V: Int(-(1<<53 - 1)), Line: 1 << 30},
		Event{Seq: 11, T: 3, Th: 0, K: Set, Obj: "f", V: Float(math.Inf(-1))},
		Event{Seq: 12, T: 4, Th: 0, K: Set, Obj: "f", V: Float(-0.1)},
		Event{Seq: 13, T: 5, Th: 0, K: Print, V: Str("")},
		Event{Seq: 14, T: 6, Th: 0, K: Print, V: Str("日本 \u2028 ✓ 😀")},
		Event{Seq: 15, T: 7, Th: 0, K: Cas, Obj: "flag", V: Bool(false)},
	)
	for k := Kind(1); k < numKinds; k++ {
		evs = append(evs, Event{Seq: uint64(len(evs)), T: int64(len(evs)) * 1000, Th: int(k) % 3, K: k, Obj: "o" + k.String()})
	}
	return evs
}

// TestCodecFixture writes the fixture when INTERLEAVE_UPDATE_FIXTURES is
// set and otherwise holds the files to what the codec makes today.
func TestCodecFixture(t *testing.T) {
	evs := fixtureEvents()
	var bin []byte
	for i := range evs {
		bin = evs[i].AppendBinary(bin)
	}
	js := append(AppendEventsJSON(nil, evs), '\n')
	if os.Getenv("INTERLEAVE_UPDATE_FIXTURES") != "" {
		if err := os.MkdirAll(filepath.Dir(codecFixture), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range map[string][]byte{codecFixture + ".bin": bin, codecFixture + ".json": js} {
			if err := os.WriteFile(name, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, want := range map[string][]byte{codecFixture + ".bin": bin, codecFixture + ".json": js} {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("read %s: %v (INTERLEAVE_UPDATE_FIXTURES=1 go test -run CodecFixture writes it)", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the codec makes: INTERLEAVE_UPDATE_FIXTURES=1 go test -run CodecFixture rewrites it", name)
		}
	}
}
