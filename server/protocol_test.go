package server_test

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"interleave/server"
)

// docBlock is one fenced JSON example of docs/protocol.md.
type docBlock struct {
	message  string
	example  any
	raw      string
	optional []string
	anyType  []string
}

func readProtocolDoc(t *testing.T) []docBlock {
	t.Helper()
	f, err := os.Open("../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		blocks []docBlock
		cur    *docBlock
		body   strings.Builder
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```json "):
			cur = &docBlock{}
			for _, f := range strings.Fields(strings.TrimPrefix(line, "```json ")) {
				k, v, _ := strings.Cut(f, "=")
				switch k {
				case "message":
					cur.message = v
				case "optional":
					cur.optional = strings.Split(v, ",")
				case "any":
					cur.anyType = strings.Split(v, ",")
				}
			}
			body.Reset()
		case cur != nil && line == "```":
			cur.raw = body.String()
			if err := json.Unmarshal([]byte(cur.raw), &cur.example); err != nil {
				t.Fatalf("docs/protocol.md: the %s example is not JSON: %v", cur.message, err)
			}
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(line + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// checkShape reports where real differs from the documented example: a
// field the doc lacks, a required field real lacks, or another JSON type.
func checkShape(path string, doc, real any, b docBlock) []string {
	if slices.Contains(b.anyType, path) {
		return nil
	}
	if jsonType(doc) != jsonType(real) {
		return []string{path + ": documented as " + jsonType(doc) + ", sent as " + jsonType(real)}
	}
	var probs []string
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch d := doc.(type) {
	case map[string]any:
		r := real.(map[string]any)
		for k, rv := range r {
			dv, ok := d[k]
			if !ok {
				probs = append(probs, join(k)+": sent but not documented")
				continue
			}
			probs = append(probs, checkShape(join(k), dv, rv, b)...)
		}
		for k := range d {
			if _, ok := r[k]; !ok && !slices.Contains(b.optional, join(k)) {
				probs = append(probs, join(k)+": documented as always sent, but missing")
			}
		}
	case []any:
		if len(d) == 0 {
			break
		}
		for _, rv := range real.([]any) {
			probs = append(probs, checkShape(path, d[0], rv, b)...)
		}
	}
	return probs
}

func TestProtocolDoc(t *testing.T) {
	blocks := readProtocolDoc(t)
	byMessage := map[string][]docBlock{}
	for _, b := range blocks {
		byMessage[b.message] = append(byMessage[b.message], b)
	}
	for _, want := range []string{"run", "explore", "stop", "queued", "started", "events", "end", "error", "event", "progress", "explored",
		"pick", "undo", "choice", "restart"} {
		if len(byMessage[want]) == 0 {
			t.Fatalf("docs/protocol.md documents no %q message", want)
		}
	}

	ts := startServer(t) // two run slots
	seen := map[string][]any{}
	record := func(m map[string]any) {
		typ, _ := m["type"].(string)
		seen[typ] = append(seen[typ], any(m))
		if typ == "events" {
			seen["event"] = append(seen["event"], m["events"].([]any)...)
		}
	}

	// Every documented run message is accepted and runs to a good end;
	// interactive ones are driven by interactiveDoc.
	for _, b := range byMessage["run"] {
		if b.example.(map[string]any)["interactive"] == true {
			interactiveDoc(t, ts, b, byMessage, record)
			continue
		}
		c := dial(t, ts)
		c.send(b.raw)
		msgs := c.untilEnd()
		for _, m := range msgs {
			record(m)
		}
		end := msgs[len(msgs)-1]
		res, _ := end["result"].(map[string]any)
		if end["type"] != "end" || res == nil || (res["status"] != "ok" && res["status"] != "failed") {
			t.Errorf("documented run %s ended with %v, want ok or failed", b.raw, end)
		}
	}

	queueDoc(t, ts, byMessage["stop"][0], record)
	dl := deadlockDoc(t, ts, record)
	dl.send(`{"type":"run","scenario":"nope"}`)
	record(dl.read())
	exploreDoc(t, ts, byMessage["explore"], record)

	for _, name := range []string{"queued", "started", "events", "end", "error", "event", "progress", "explored", "choice", "restart"} {
		if len(seen[name]) == 0 {
			t.Errorf("the server sent no %q message during the test", name)
			continue
		}
		doc := byMessage[name][0]
		for _, real := range seen[name] {
			for _, p := range checkShape("", doc.example, real, doc) {
				t.Errorf("%s message: %s", name, p)
			}
		}
	}
}

// queueDoc fills both run slots with runs that spin until stopped, so
// that a third client is queued; then it stops them all with the
// documented stop. record sees the queued client's messages.
func queueDoc(t *testing.T, ts *testServer, stop docBlock, record func(map[string]any)) {
	t.Helper()
	spin, _ := json.Marshal("def main():\n    while True:\n        sleep(5)\n")
	var spinners []*wsClient
	for range 2 {
		c := dial(t, ts)
		c.send(`{"type":"run","source":` + string(spin) + `}`)
		for m := c.read(); m["type"] != "started"; m = c.read() {
		}
		spinners = append(spinners, c)
	}
	queued := dial(t, ts)
	queued.send(`{"type":"run","scenario":"lost-update","params":{"threads":1,"iterations":1}}`)
	first := queued.read()
	record(first)
	if first["type"] != "queued" || first["position"] != float64(1) {
		t.Errorf("third client got %v first, want queued at position 1", first)
	}
	for _, c := range spinners {
		c.send(stop.raw)
		msgs := c.untilEnd()
		if res := msgs[len(msgs)-1]["result"].(map[string]any); res["status"] != "stopped" {
			t.Errorf("after the documented stop, status = %v, want stopped", res["status"])
		}
	}
	for _, m := range queued.untilEnd() {
		record(m)
	}
}

// deadlockDoc runs two-locks in sim mode until a seed deadlocks, which
// fills the optional deadlock and schedule; it returns its client.
func deadlockDoc(t *testing.T, ts *testServer, record func(map[string]any)) *wsClient {
	t.Helper()
	dl := dial(t, ts)
	for seed := 0; seed < 50; seed++ {
		dl.send(`{"type":"run","scenario":"two-locks","mode":"sim","seed":` + itoa(seed) + `}`)
		msgs := dl.untilEnd()
		for _, m := range msgs {
			record(m)
		}
		if msgs[len(msgs)-1]["result"].(map[string]any)["status"] == "deadlock" {
			break
		}
	}
	return dl
}

// exploreDoc sends every documented explore message, which must end in
// an explored report, and then a long exploration, which streams
// progress until it is stopped; record sees every message.
func exploreDoc(t *testing.T, ts *testServer, docs []docBlock, record func(map[string]any)) {
	t.Helper()
	c := dial(t, ts)
	for _, b := range docs {
		c.send(b.raw)
		msgs := c.untilExplored()
		for _, m := range msgs {
			record(m)
		}
		if last := msgs[len(msgs)-1]; last["type"] != "explored" || len(last["outcomes"].([]any)) == 0 {
			t.Errorf("documented explore %s ended with %v, want explored with outcomes", b.raw, last)
		}
	}
	c.send(`{"type":"explore","scenario":"lost-update","params":{"threads":3,"iterations":10},"budget":1000000,"preemptions":20}`)
	for m := c.read(); ; m = c.read() {
		record(m)
		if m["type"] == "progress" {
			break
		}
	}
	c.send(`{"type":"stop"}`)
	for _, m := range c.untilExplored() {
		record(m)
	}
}

// interactiveDoc runs the documented interactive run: the documented
// undo (a restart and the choice before), a bad pick (an error), the
// documented pick until it blocks, then the first runnable thread at
// every choice to the end; record sees every message.
func interactiveDoc(t *testing.T, ts *testServer, run docBlock, byMessage map[string][]docBlock, record func(map[string]any)) {
	t.Helper()
	c := dial(t, ts)
	c.send(run.raw)
	first := c.untilChoice(record)
	c.send(byMessage["undo"][0].raw)
	back := c.untilChoice(record)
	if back["n"].(float64) != first["n"].(float64)-1 {
		t.Errorf("after the documented undo, choice n = %v, want %v", back["n"], first["n"].(float64)-1)
	}
	c.send(`{"type":"pick","th":99}`)
	if m := c.read(); m["type"] != "error" || m["code"] != "pick" {
		t.Errorf("a pick of thread 99 got %v, want an error with code pick", m)
	} else {
		record(m)
	}
	c.send(byMessage["pick"][0].raw)
	for m := c.untilChoice(record); m["type"] == "choice"; m = c.untilChoice(record) {
		th := m["runnable"].([]any)[0].(map[string]any)["th"]
		c.send(`{"type":"pick","th":` + itoa(int(th.(float64))) + `}`)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// protocolTypes are the Go types of the documented messages. A new
// message gets its type in server/protocol.go, its example in
// docs/protocol.md and its row here.
var protocolTypes = map[string]any{
	"run":     server.ClientMessage{},
	"stop":    server.ClientMessage{},
	"queued":  server.QueuedMessage{},
	"started": server.StartedMessage{},
	"events":  server.EventsMessage{},
	"end":     server.EndMessage{},
	"error":   server.ErrorMessage{},
	// An explore is a ClientMessage too: run and explore examples
	// together document its fields.
	"explore":  server.ClientMessage{},
	"progress": server.ProgressMessage{},
	"explored": server.ExploredMessage{},
	// Picks and undos of an interactive run are ClientMessages too.
	"pick":    server.ClientMessage{},
	"undo":    server.ClientMessage{},
	"choice":  server.ChoiceMessage{},
	"restart": server.RestartMessage{},
}

// clientIgnored are the fields a client message decodes and the server
// overrides, which the documentation rightly leaves out.
var clientIgnored = []string{"limits"}

// jsonFields lists the JSON names of a struct's fields, those of
// embedded structs included, as encoding/json sees them.
func jsonFields(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if ft := f.Type; f.Anonymous && name == "" && (ft.Kind() == reflect.Struct || ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct) {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			names = append(names, jsonFields(ft)...)
			continue
		}
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// TestProtocolTypes checks docs/protocol.md against the message types:
// every documented field is a field of its message's type, and every
// field of a type is documented in an example of its message.
func TestProtocolTypes(t *testing.T) {
	documented := map[string][]string{}
	byType := map[reflect.Type][]string{} // fields documented for a type, by any of its messages
	for _, b := range readProtocolDoc(t) {
		obj, ok := b.example.(map[string]any)
		if !ok {
			continue
		}
		// "end-rest" is an example of an end message for one of its
		// fields; it is not compared with a real end as a whole.
		msg, _, _ := strings.Cut(b.message, "-")
		for k := range obj {
			if !slices.Contains(documented[msg], k) {
				documented[msg] = append(documented[msg], k)
			}
			if v, ok := protocolTypes[msg]; ok && !slices.Contains(byType[reflect.TypeOf(v)], k) {
				byType[reflect.TypeOf(v)] = append(byType[reflect.TypeOf(v)], k)
			}
		}
	}
	for msg, v := range protocolTypes {
		fields := jsonFields(reflect.TypeOf(v))
		docs, ok := documented[msg]
		if !ok {
			t.Errorf("docs/protocol.md has no example of the %q message", msg)
			continue
		}
		for _, k := range docs {
			if !slices.Contains(fields, k) {
				t.Errorf("%s message: %q is documented but %T has no such field", msg, k, v)
			}
		}
		if msg == "stop" || msg == "undo" {
			continue // a ClientMessage that uses only its type
		}
		for _, k := range fields {
			if !slices.Contains(byType[reflect.TypeOf(v)], k) && !slices.Contains(clientIgnored, k) {
				t.Errorf("%s message: %T has the field %q, which no example documents", msg, v, k)
			}
		}
	}
}
