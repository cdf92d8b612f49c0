package trace

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// The child talks to its supervisor in frames: one type byte, a uvarint
// payload length, the payload. Event batches use a compact binary form so
// that the pipe is not the bottleneck; the final result is JSON, as it is
// small and sent once.
const (
	FrameHello  byte = 'H' // payload: the child's start time in Unix ns
	FrameEvents byte = 'E' // payload: a batch of binary-encoded events
	FrameResult byte = 'R' // payload: the Result as JSON, without events

	// An exploration (many runs in one child) sends progress a few times a
	// second and its report once, both as JSON.
	FrameProgress byte = 'P'
	FrameExplored byte = 'X'
)

// ErrFrameTooLarge means a frame announced more bytes than the reader allows.
var ErrFrameTooLarge = errors.New("frame too large")

// WriteFrame writes one frame.
func WriteFrame(w io.Writer, typ byte, payload []byte) error {
	var hdr [1 + binary.MaxVarintLen64]byte
	hdr[0] = typ
	n := binary.PutUvarint(hdr[1:], uint64(len(payload)))
	if _, err := w.Write(hdr[:1+n]); err != nil {
		return fmt.Errorf("write frame header: %w", err)
	}
	if _, err := w.Write(payload); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}

// ReadFrame reads one frame of at most max payload bytes into buf (grown
// as needed) and returns its type and payload, which aliases buf.
func ReadFrame(r *bufio.Reader, buf []byte, max int) (byte, []byte, error) {
	typ, err := r.ReadByte()
	if err != nil {
		return 0, buf, err
	}
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, buf, fmt.Errorf("read frame length: %w", unexpected(err))
	}
	if n > uint64(max) {
		return 0, buf, fmt.Errorf("read frame of %d bytes: %w", n, ErrFrameTooLarge)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, buf, fmt.Errorf("read frame: %w", unexpected(err))
	}
	return typ, buf, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

const (
	flagObj byte = 1 << iota
	flagV
	flagLine
	flagOS
	flagVer
)

// AppendBinary appends the event's binary form.
func (e *Event) AppendBinary(b []byte) []byte {
	b = binary.AppendUvarint(b, e.Seq)
	b = binary.AppendVarint(b, e.T)
	b = binary.AppendUvarint(b, uint64(e.Th))
	var flags byte
	if e.Obj != "" {
		flags |= flagObj
	}
	if e.V.Kind != VNone {
		flags |= flagV
	}
	if e.Line > 0 {
		flags |= flagLine
	}
	if e.HasOS {
		flags |= flagOS
	}
	if e.Ver > 0 {
		flags |= flagVer
	}
	b = append(b, byte(e.K), flags)
	if flags&flagObj != 0 {
		b = binary.AppendUvarint(b, uint64(len(e.Obj)))
		b = append(b, e.Obj...)
	}
	if flags&flagV != 0 {
		b = append(b, byte(e.V.Kind))
		switch e.V.Kind {
		case VBool, VInt:
			b = binary.AppendVarint(b, e.V.Int)
		case VFloat:
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.V.F))
		case VStr:
			b = binary.AppendUvarint(b, uint64(len(e.V.Str)))
			b = append(b, e.V.Str...)
		}
	}
	if flags&flagLine != 0 {
		b = binary.AppendUvarint(b, uint64(e.Line))
	}
	if flags&flagOS != 0 {
		b = binary.AppendUvarint(b, uint64(e.Tid))
		b = binary.AppendVarint(b, int64(e.CPU))
	}
	if flags&flagVer != 0 {
		b = binary.AppendUvarint(b, e.Ver)
	}
	return b
}

// Decoder turns binary event batches back into events. It interns object
// names, which repeat in almost every event, so decoding rarely allocates.
// A Decoder is not safe for concurrent use.
type Decoder struct {
	names map[string]string
}

// ErrCorrupt means an event batch is malformed: a child wrote garbage.
var ErrCorrupt = errors.New("corrupt event batch")

// Decode appends the events of one batch to dst.
func (d *Decoder) Decode(dst []Event, b []byte) ([]Event, error) {
	if d.names == nil {
		d.names = make(map[string]string)
	}
	for len(b) > 0 {
		var e Event
		var ok bool
		if e, b, ok = d.event(b); !ok {
			return dst, ErrCorrupt
		}
		dst = append(dst, e)
	}
	return dst, nil
}

// event decodes the event at the head of b and returns the rest.
func (d *Decoder) event(b []byte) (e Event, rest []byte, ok bool) {
	if e.Seq, b, ok = uvarint(b); !ok {
		return e, nil, false
	}
	if e.T, b, ok = varint(b); !ok {
		return e, nil, false
	}
	var th uint64
	if th, b, ok = uvarint(b); !ok || th > math.MaxInt32 {
		return e, nil, false
	}
	e.Th = int(th)
	if len(b) < 2 {
		return e, nil, false
	}
	fl := b[1]
	e.K, b = Kind(b[0]), b[2:]
	if e.K == KindInvalid || e.K >= numKinds {
		return e, nil, false
	}
	if fl&flagObj != 0 {
		var s []byte
		if s, b, ok = bytesField(b); !ok {
			return e, nil, false
		}
		e.Obj = d.intern(s)
	}
	if fl&flagV != 0 {
		if e.V, b, ok = decodeValue(b); !ok {
			return e, nil, false
		}
	}
	if fl&flagLine != 0 {
		var line uint64
		if line, b, ok = uvarint(b); !ok || line > math.MaxInt32 {
			return e, nil, false
		}
		e.Line = int(line)
	}
	if fl&flagOS != 0 {
		var tid uint64
		var cpu int64
		if tid, b, ok = uvarint(b); !ok || tid > math.MaxInt32 {
			return e, nil, false
		}
		if cpu, b, ok = varint(b); !ok || cpu > math.MaxInt32 || cpu < -1 {
			return e, nil, false
		}
		e.Tid, e.CPU, e.HasOS = int(tid), int(cpu), true
	}
	if fl&flagVer != 0 {
		if e.Ver, b, ok = uvarint(b); !ok || e.Ver == 0 {
			return e, nil, false
		}
	}
	return e, b, true
}

// decodeValue decodes the value at the head of b and returns the rest.
func decodeValue(b []byte) (v Value, rest []byte, ok bool) {
	if len(b) < 1 {
		return v, nil, false
	}
	v.Kind, b = ValueKind(b[0]), b[1:]
	switch v.Kind {
	case VNull:
	case VBool, VInt:
		if v.Int, b, ok = varint(b); !ok {
			return v, nil, false
		}
	case VFloat:
		if len(b) < 8 {
			return v, nil, false
		}
		v.F, b = math.Float64frombits(binary.LittleEndian.Uint64(b)), b[8:]
	case VStr:
		var s []byte
		if s, b, ok = bytesField(b); !ok {
			return v, nil, false
		}
		v.Str = string(s)
	default:
		return v, nil, false
	}
	return v, b, true
}

func (d *Decoder) intern(s []byte) string {
	if v, ok := d.names[string(s)]; ok {
		return v
	}
	v := string(s)
	if len(d.names) < 4096 {
		d.names[v] = v
	}
	return v
}

func uvarint(b []byte) (uint64, []byte, bool) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, b, false
	}
	return v, b[n:], true
}

func varint(b []byte) (int64, []byte, bool) {
	v, n := binary.Varint(b)
	if n <= 0 {
		return 0, b, false
	}
	return v, b[n:], true
}

func bytesField(b []byte) ([]byte, []byte, bool) {
	n, rest, ok := uvarint(b)
	if !ok || n > uint64(len(rest)) {
		return nil, b, false
	}
	return rest[:n], rest[n:], true
}
