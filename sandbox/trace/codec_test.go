package trace

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

var sampleEvents = []Event{
	{Seq: 0, T: 0, Th: 0, K: Start},
	{Seq: 1, T: 120, Th: 0, K: Spawn, Obj: "worker-0", V: Int(1), Line: 12},
	{Seq: 2, T: 1500, Th: 1, K: Get, Obj: "counter", V: Int(41), Line: 7, Tid: 4242, CPU: 1, HasOS: true},
	{Seq: 3, T: 1600, Th: 1, K: Set, Obj: "counter", V: Int(-42), Line: 8, Tid: 4242, CPU: 0, HasOS: true, Ver: 1 << 40},
	{Seq: 4, T: 1700, Th: 2, K: Print, V: Str("héllo \"world\"\n<b>"), Line: 3},
	{Seq: 5, T: 1800, Th: 2, K: Cas, Obj: "flag", V: Bool(true), Ver: 3},
	{Seq: 6, T: 1900, Th: 2, K: Received, Obj: "ch", V: Null(), Ver: 1},
	{Seq: 7, T: 2000, Th: 2, K: Set, Obj: "pi", V: Float(3.25)},
	{Seq: 8, T: 1 << 40, Th: 9999, K: Cutoff},
}

func TestBinaryRoundTrip(t *testing.T) {
	var b []byte
	for i := range sampleEvents {
		b = sampleEvents[i].AppendBinary(b)
	}
	var d Decoder
	got, err := d.Decode(nil, b)
	if err != nil {
		t.Fatalf("Decode() error = %v", err)
	}
	if !reflect.DeepEqual(got, sampleEvents) {
		t.Errorf("Decode(AppendBinary(events)) = %+v, want %+v", got, sampleEvents)
	}
}

func TestDecodeCorrupt(t *testing.T) {
	var good []byte
	good = sampleEvents[2].AppendBinary(good)
	tests := []struct {
		name string
		in   []byte
	}{
		{"truncated", good[:len(good)-1]},
		{"bad kind", []byte{0, 0, 0, 200, 0}},
		{"kind zero", []byte{0, 0, 0, 0, 0}},
		{"obj longer than batch", []byte{0, 0, 0, byte(Get), flagObj, 50, 'a'}},
		{"bad value kind", []byte{0, 0, 0, byte(Get), flagV, 99}},
		{"version zero", []byte{0, 0, 0, byte(Get), flagVer, 0}},
		{"version missing", []byte{0, 0, 0, byte(Get), flagVer}},
		{"overlong varint", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			if _, err := d.Decode(nil, tt.in); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Decode(%x) error = %v, want ErrCorrupt", tt.in, err)
			}
		})
	}
}

func TestEventJSON(t *testing.T) {
	for _, e := range sampleEvents {
		b := e.AppendJSON(nil)
		if !json.Valid(b) {
			t.Fatalf("AppendJSON(%+v) = %s, not valid JSON", e, b)
		}
		var back Event
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal(%s) error = %v", b, err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Errorf("Unmarshal(AppendJSON(%+v)) = %+v", e, back)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	tests := []string{"", "plain", "quote\" back\\slash", "ctl\x01\x1f", "tab\tnl\n", "<script>&", "bad\xffutf8", "\u2028sep", "日本語"}
	for _, s := range tests {
		b := AppendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("AppendJSONString(%q) = %s, invalid: %v", s, b, err)
		}
		want := string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD")))
		if got != want {
			t.Errorf("AppendJSONString(%q) decodes to %q, want %q", s, got, want)
		}
	}
}

func TestFrames(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFrame(&buf, FrameEvents, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFrame(&buf, FrameResult, bytes.Repeat([]byte{'x'}, 300)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(&buf)
	typ, p, err := ReadFrame(r, nil, 1000)
	if err != nil || typ != FrameEvents || string(p) != "abc" {
		t.Fatalf("ReadFrame() = %q, %q, %v, want E, abc, nil", typ, p, err)
	}
	if _, _, err := ReadFrame(r, nil, 100); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("ReadFrame(max 100) of 300 bytes error = %v, want ErrFrameTooLarge", err)
	}
	if _, _, err := ReadFrame(bufio.NewReader(bytes.NewReader([]byte{'E', 5, 'a'})), nil, 100); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("ReadFrame(truncated) error = %v, want ErrUnexpectedEOF", err)
	}
}

func TestKindNames(t *testing.T) {
	for _, k := range Kinds() {
		got, ok := ParseKind(k.String())
		if !ok || got != k {
			t.Errorf("ParseKind(%q) = %v, %v, want %v, true", k.String(), got, ok, k)
		}
	}
}

func FuzzDecode(f *testing.F) {
	var b []byte
	for i := range sampleEvents {
		b = sampleEvents[i].AppendBinary(b)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		var d Decoder
		evs, err := d.Decode(nil, in)
		if err != nil {
			return
		}
		var again []byte
		for i := range evs {
			again = evs[i].AppendBinary(again)
			if !json.Valid(evs[i].AppendJSON(nil)) {
				t.Fatalf("decoded event %+v encodes to invalid JSON", evs[i])
			}
		}
	})
}

func BenchmarkAppendBinary(b *testing.B) {
	buf := make([]byte, 0, 1<<16)
	e := sampleEvents[2]
	for b.Loop() {
		buf = e.AppendBinary(buf[:0])
	}
}

func BenchmarkDecode(b *testing.B) {
	var batch []byte
	for range 1000 {
		batch = sampleEvents[2].AppendBinary(batch)
	}
	var d Decoder
	dst := make([]Event, 0, 1000)
	b.SetBytes(int64(len(batch)))
	for b.Loop() {
		dst, _ = d.Decode(dst[:0], batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/event")
}

func BenchmarkAppendJSON(b *testing.B) {
	buf := make([]byte, 0, 1<<16)
	e := sampleEvents[2]
	for b.Loop() {
		buf = e.AppendJSON(buf[:0])
	}
}

func TestAppendInt(t *testing.T) {
	for _, v := range []int64{0, 7, 10, 99, 12345, -1, -10, 1 << 40, math.MaxInt64, math.MinInt64} {
		if got, want := string(appendInt(nil, v)), strconv.FormatInt(v, 10); got != want {
			t.Errorf("appendInt(%d) = %s, want %s", v, got, want)
		}
	}
}

// The recorder keeps events in slots of two cache lines with a ready
// word beside them; a larger event would make every slot straddle three.
func TestEventSize(t *testing.T) {
	if got := unsafe.Sizeof(Event{}); got != 120 {
		t.Errorf("unsafe.Sizeof(Event{}) = %d, want 120", got)
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 40, "short"},
		{strings.Repeat("x", 100), 40, strings.Repeat("x", 18) + "… [100 bytes in all]"},
		{strings.Repeat("é", 50), 41, strings.Repeat("é", 9) + "… [100 bytes in all]"},
		{strings.Repeat("x", 100), 3, "… [100 bytes in all]"},
	}
	for _, tt := range tests {
		got := Clip(tt.s, tt.n)
		if got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
		if tt.n >= 40 && len(got) > tt.n {
			t.Errorf("Clip(%q, %d) is %d bytes, want at most %d", tt.s, tt.n, len(got), tt.n)
		}
	}
}
