// Package trace is Interleave's event model: what one thread did at one
// moment, the result of a whole run, and the compact codec that carries
// events from the sandboxed child to the supervisor. It depends on nothing
// else in the project, so every layer can share it.
package trace

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// Kind names what an event records.
type Kind uint8

// The event kinds of docs/protocol.md. Blocking operations come in pairs (a
// request and its completion) so that a timeline can draw the wait between
// them: lock/acquired, join/joined, send/sent, recv/received, sleep/wake,
// work/worked, cvwait/cvwoke, bwait/bpassed, semacquire/semacquired,
// park/unparked, once/oncedone. A rwlock uses lock/acquired/unlock with V
// "read" or "write". Runnable, inside a work span, says that the thread
// was runnable but not running for V nanoseconds until T.
const (
	KindInvalid Kind = iota
	Spawn
	Start
	End
	Panic
	Cutoff
	Join
	Joined
	Lock
	Acquired
	Unlock
	TryLock
	Get
	Set
	Add
	Cas
	Swap
	Send
	Sent
	Recv
	Received
	Close
	Sleep
	Wake
	Work
	Worked
	Print
	Check
	Yield
	CvWait
	CvWoke
	Notify
	BarrierWait
	BarrierPassed
	SemAcquire
	SemAcquired
	SemRelease
	SemTry
	Park
	Unparked
	Unpark
	Once
	OnceDone
	Runnable
	numKinds
)

var kindNames = [numKinds]string{
	KindInvalid: "invalid",
	Spawn:       "spawn",
	Start:       "start",
	End:         "end",
	Panic:       "panic",
	Cutoff:      "cutoff",
	Join:        "join",
	Joined:      "joined",
	Lock:        "lock",
	Acquired:    "acquired",
	Unlock:      "unlock",
	TryLock:     "trylock",
	Get:         "get",
	Set:         "set",
	Add:         "add",
	Cas:         "cas",
	Swap:        "swap",
	Send:        "send",
	Sent:        "sent",
	Recv:        "recv",
	Received:    "received",
	Close:       "close",
	Sleep:       "sleep",
	Wake:        "wake",
	Work:        "work",
	Worked:      "worked",
	Print:       "print",
	Check:       "check",
	Yield:       "yield",

	CvWait:        "cvwait",
	CvWoke:        "cvwoke",
	Notify:        "notify",
	BarrierWait:   "bwait",
	BarrierPassed: "bpassed",
	SemAcquire:    "semacquire",
	SemAcquired:   "semacquired",
	SemRelease:    "semrelease",
	SemTry:        "semtry",
	Park:          "park",
	Unparked:      "unparked",
	Unpark:        "unpark",
	Once:          "once",
	OnceDone:      "oncedone",
	Runnable:      "runnable",
}

// String returns the kind's wire name, as in the JSON "k" field.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind returns the kind with the given wire name.
func ParseKind(s string) (Kind, bool) {
	for k := Kind(1); k < numKinds; k++ {
		if kindNames[k] == s {
			return k, true
		}
	}
	return KindInvalid, false
}

// Kinds lists every valid kind in wire order.
func Kinds() []Kind {
	ks := make([]Kind, 0, numKinds-1)
	for k := Kind(1); k < numKinds; k++ {
		ks = append(ks, k)
	}
	return ks
}

// MarshalText makes kinds readable in JSON and text output.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a kind's wire name.
func (k *Kind) UnmarshalText(b []byte) error {
	v, ok := ParseKind(string(b))
	if !ok {
		return fmt.Errorf("unknown event kind %q", b)
	}
	*k = v
	return nil
}

// Event is one thing one scenario thread did. Obj names the cell, mutex,
// channel or thread it touched; V carries a value (see Value). Tid and CPU
// are the OS thread and processor in the real modes and zero in sim mode,
// where HasOS is false.
//
// Ver names exactly which write a cell access saw, on real threads too,
// where the order of events is not the order of the accesses: every write
// to a cell makes the next version (the initial value is version 0), a get
// or a failed cas carries the version it read, and a set, add, swap or
// successful cas the version it wrote (an add, swap or cas read the one
// before). On a channel, sent and received carry the number of the message
// (1, 2, ...), received 0 when it found the channel closed.
//
// The fields are ordered so that an event fills 120 bytes, which keeps a
// recorder slot at two cache lines.
type Event struct {
	Seq   uint64 `json:"seq"`
	T     int64  `json:"t"`
	Th    int    `json:"th"`
	Obj   string `json:"obj,omitempty"`
	V     Value  `json:"v,omitzero"`
	Line  int    `json:"line,omitempty"`
	Tid   int    `json:"tid,omitempty"`
	CPU   int    `json:"cpu,omitempty"`
	Ver   uint64 `json:"ver,omitempty"`
	K     Kind   `json:"k"`
	HasOS bool   `json:"-"`
}

// appendInt is strconv.AppendInt for base 10, inlined for the small
// numbers events are made of: it is most of the cost of encoding one.
func appendInt(b []byte, v int64) []byte {
	if v >= 0 && v < 10 {
		return append(b, byte('0'+v))
	}
	u := uint64(v)
	if v < 0 {
		b = append(b, '-')
		u = -u
	}
	var buf [20]byte
	i := len(buf)
	for u >= 10 {
		i--
		q := u / 10
		buf[i] = byte('0' + u - q*10)
		u = q
	}
	i--
	buf[i] = byte('0' + u)
	return append(b, buf[i:]...)
}

// AppendJSON appends the event as one JSON object. It is the hot path of
// streaming, so it is written by hand rather than through reflection.
func (e *Event) AppendJSON(b []byte) []byte {
	b = append(b, `{"seq":`...)
	b = appendInt(b, int64(e.Seq))
	b = append(b, `,"t":`...)
	b = appendInt(b, e.T)
	b = append(b, `,"th":`...)
	b = appendInt(b, int64(e.Th))
	b = append(b, `,"k":"`...)
	b = append(b, e.K.String()...)
	b = append(b, '"')
	if e.Obj != "" {
		b = append(b, `,"obj":`...)
		b = AppendJSONString(b, e.Obj)
	}
	if !e.V.IsZero() {
		b = append(b, `,"v":`...)
		b = e.V.AppendJSON(b)
	}
	if e.Line > 0 {
		b = append(b, `,"line":`...)
		b = appendInt(b, int64(e.Line))
	}
	if e.Ver > 0 {
		b = append(b, `,"ver":`...)
		b = strconv.AppendUint(b, e.Ver, 10)
	}
	if e.HasOS {
		b = append(b, `,"tid":`...)
		b = appendInt(b, int64(e.Tid))
		b = append(b, `,"cpu":`...)
		b = appendInt(b, int64(e.CPU))
	}
	return append(b, '}')
}

// MarshalJSON encodes the event with AppendJSON.
func (e Event) MarshalJSON() ([]byte, error) { return e.AppendJSON(nil), nil }

// UnmarshalJSON decodes an event; tid and cpu mark it as a real-mode event.
func (e *Event) UnmarshalJSON(b []byte) error {
	type plain Event
	var w struct {
		plain
		Tid *int `json:"tid"`
		CPU *int `json:"cpu"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = Event(w.plain)
	if w.Tid != nil {
		e.Tid, e.HasOS = *w.Tid, true
	}
	if w.CPU != nil {
		e.CPU, e.HasOS = *w.CPU, true
	}
	return nil
}

// AppendEventsJSON appends events as a JSON array.
func AppendEventsJSON(b []byte, evs []Event) []byte {
	b = append(b, '[')
	for i := range evs {
		if i > 0 {
			b = append(b, ',')
		}
		b = evs[i].AppendJSON(b)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string, replacing invalid UTF-8.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// ValueKind says which field of a Value is meaningful.
type ValueKind uint8

// Value kinds. A value that is none of these (a list, a dict, a function)
// is carried as its Starlark text in a Str value.
const (
	VNone ValueKind = iota // no value: omitted from JSON
	VNull                  // Starlark None: JSON null
	VBool
	VInt
	VFloat
	VStr
)

// Value is the small, allocation-free value an event carries: a cell's
// number, a message, a printed line.
type Value struct {
	Kind ValueKind
	Int  int64 // VInt, and VBool as 0 or 1
	F    float64
	Str  string
}

// Int returns an integer value.
func Int(i int64) Value { return Value{Kind: VInt, Int: i} }

// Str returns a string value.
func Str(s string) Value { return Value{Kind: VStr, Str: s} }

// MaxText is the longest string an event carries, as a value or an object
// name: a value is shown on a timeline, not stored, and one huge value
// must not break the frame it travels in (see Clip).
const MaxText = 1 << 10

// Clip shortens s to at most n bytes (n must leave room for the marker,
// 40 bytes will do), cut at a character boundary and marked with the
// length it had.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	marker := fmt.Sprintf("… [%d bytes in all]", len(s))
	cut := max(0, n-len(marker))
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + marker
}

// Bool returns a boolean value.
func Bool(v bool) Value {
	if v {
		return Value{Kind: VBool, Int: 1}
	}
	return Value{Kind: VBool}
}

// Float returns a floating-point value.
func Float(f float64) Value { return Value{Kind: VFloat, F: f} }

// Null returns the value of Starlark's None.
func Null() Value { return Value{Kind: VNull} }

// IsZero reports whether the value is absent.
func (v Value) IsZero() bool { return v.Kind == VNone }

// Any returns the value as a plain Go value (nil, bool, int64, float64 or
// string), as encoding/json would decode it into an interface.
func (v Value) Any() any {
	switch v.Kind {
	case VBool:
		return v.Int != 0
	case VInt:
		return v.Int
	case VFloat:
		return v.F
	case VStr:
		return v.Str
	}
	return nil
}

// String renders the value for text output.
func (v Value) String() string {
	switch v.Kind {
	case VNone:
		return ""
	case VNull:
		return "None"
	case VBool:
		if v.Int != 0 {
			return "True"
		}
		return "False"
	case VInt:
		return strconv.FormatInt(v.Int, 10)
	case VFloat:
		return strconv.FormatFloat(v.F, 'g', -1, 64)
	}
	return v.Str
}

// AppendJSON appends the value's JSON form.
func (v Value) AppendJSON(b []byte) []byte {
	switch v.Kind {
	case VNull, VNone:
		return append(b, "null"...)
	case VBool:
		if v.Int != 0 {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case VInt:
		return appendInt(b, v.Int)
	case VFloat:
		if math.IsInf(v.F, 0) || math.IsNaN(v.F) {
			return AppendJSONString(b, v.String())
		}
		return strconv.AppendFloat(b, v.F, 'g', -1, 64)
	}
	return AppendJSONString(b, v.Str)
}

// MarshalJSON encodes the value.
func (v Value) MarshalJSON() ([]byte, error) { return v.AppendJSON(nil), nil }

// UnmarshalJSON decodes a JSON scalar into a value.
func (v *Value) UnmarshalJSON(b []byte) error {
	s := string(b)
	switch {
	case s == "null":
		*v = Null()
	case s == "true":
		*v = Bool(true)
	case s == "false":
		*v = Bool(false)
	case len(s) > 0 && s[0] == '"':
		var u string
		if err := json.Unmarshal(b, &u); err != nil {
			return fmt.Errorf("decode value %s: %w", s, err)
		}
		*v = Str(u)
	default:
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			*v = Int(i)
			return nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("decode value %s: not a scalar", s)
		}
		*v = Float(f)
	}
	return nil
}
