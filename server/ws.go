package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"interleave/sandbox/trace"
	"interleave/scenarios"
)

// Timings and sizes of a WebSocket connection, after gorilla's chat
// example: a peer that does not answer a ping within pongWait is gone.
const (
	writeWait      = 10 * time.Second
	pongWait       = 60 * time.Second
	pingPeriod     = pongWait * 9 / 10
	maxMessageSize = 512 << 10 // a 64 KiB script, JSON-escaped, with room to spare
	sendQueue      = 256       // messages queued for one client
	sendQueueBytes = 16 << 20  // bytes queued for one client before it is dropped
	shedQueueBytes = 2 << 20   // bytes queued before a run's events are shed
)

// clientMessage is what the page sends: a run request or a stop.
type clientMessage struct {
	Type     string         `json:"type"`
	Scenario string         `json:"scenario"`
	Source   string         `json:"source"`
	Params   map[string]any `json:"params"`
	Mode     string         `json:"mode"`
	Procs    int            `json:"procs"`
	Seed     int64          `json:"seed"`
	Schedule string         `json:"schedule"`
}

// conn is one WebSocket client. The handler goroutine runs the read pump;
// writePump is the only writer; each run has its own goroutine, started by
// the read pump and waited for before the connection is torn down.
type conn struct {
	s      *Server
	ws     *websocket.Conn
	log    *slog.Logger
	client string // the client's address: the key of per-client limits
	send   chan []byte
	queued atomic.Int64 // bytes in send
	closed atomic.Bool
	quit   chan closeReason // asks the writer to close the socket

	mu     sync.Mutex // guards cancel and rest
	cancel context.CancelFunc
	rest   string // token of the last run's kept recording
	runs   sync.WaitGroup
}

// checkOrigin lets a socket in from this server's own pages, the origins
// given with -origins, and clients that are not browsers (the CLI, the
// load tool, a script), which send no Origin.
func (s *Server) checkOrigin(r *http.Request) bool { return s.sameOrigin(r) }

// closeReason is a close frame's code and text.
type closeReason struct {
	code int
	text string
}

func (s *Server) handleWS(c echo.Context) error {
	if !s.hostAllowed(c.Request()) {
		return refuseHost(c.Request())
	}
	if !s.sameOrigin(c.Request()) {
		return refuse(errForbidden, "Connections from pages on other sites are refused; use this server's own page.")
	}
	// Refused before the upgrade, with a status and a sentence, so that no
	// address can take the descriptors that /healthz and the children need.
	release, err := s.takeSocket(clientKey(c))
	if err != nil {
		return err
	}
	defer release()
	ws, err := s.upgrader.Upgrade(c.Response(), c.Request(), nil)
	if err != nil {
		return nil // the upgrader has answered the client already
	}
	cn := &conn{
		s:      s,
		ws:     ws,
		client: clientKey(c),
		log:    s.log.With("remote", c.RealIP()),
		send:   make(chan []byte, sendQueue),
		quit:   make(chan closeReason, 1),
	}
	s.connMu.Lock()
	s.conns[cn] = struct{}{}
	s.connWG.Add(1)
	s.connMu.Unlock()
	s.sockets.Add(1)
	defer func() {
		s.sockets.Add(-1)
		s.connMu.Lock()
		delete(s.conns, cn)
		s.connMu.Unlock()
		s.connWG.Done()
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		cn.writePump()
	}()
	cn.readPump()
	// The socket is gone: stop its run, wait for it, then let the writer
	// finish what is queued and exit.
	cn.stopRun()
	cn.dropRest()
	close(cn.send)
	<-done
	return nil
}

func (c *conn) readPump() {
	c.ws.SetReadLimit(maxMessageSize)
	_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.log.Info("websocket message over the read limit", "limit", maxMessageSize)
			}
			return
		}
		m, err := decodeClientMessage(data)
		if err != nil {
			c.sendError(userMessage(err))
			continue
		}
		switch m.Type {
		case "run":
			if ok, wait := c.s.runRate.allow(c.client); !ok {
				c.s.metrics.rateLimited.WithLabelValues("run").Inc()
				c.sendJSON(map[string]string{"type": "error", "code": "rate",
					"message": fmt.Sprintf("Too many runs from your address: try again in %d s.", int(wait.Seconds())+1)})
				continue
			}
			c.startRun(m)
		case "stop":
			c.stopRun()
		}
	}
}

// decodeClientMessage reads one message from the page: a run or a stop.
// Its errors are request errors whose text is a sentence for the user.
func decodeClientMessage(data []byte) (clientMessage, error) {
	var m clientMessage
	if err := scenarios.UnmarshalJSON(data, &m); err != nil { // params stay exact
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return m, requestError("That message is not valid JSON (at byte %d).", syn.Offset)
		case errors.As(err, &typ) && typ.Field != "":
			return m, requestError("The message's %s must be %s, not a JSON %s.", quoteShort(typ.Field), jsonKind(typ.Type), typ.Value)
		}
		return m, requestError(`That message is not a run or stop request: send a JSON object such as {"type": "run", "scenario": "lost-update"}.`)
	}
	if m.Type != "run" && m.Type != "stop" {
		return m, requestError(`Unknown message type %s: send "run" or "stop".`, quoteShort(m.Type))
	}
	return m, nil
}

// jsonKind names what JSON a Go type takes, for a sentence.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "something else"
}

// quoteShort quotes a value sent by a client for a message, cut short so
// that a huge value is not echoed back whole.
func quoteShort(s string) string {
	const most = 40
	if utf8.RuneCountInString(s) <= most {
		return strconv.Quote(s)
	}
	r := []rune(s)
	return strconv.Quote(string(r[:most])) + "…"
}

func (c *conn) writePump() {
	ticker := time.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		c.ws.Close()
	}()
	for {
		select {
		case msg, ok := <-c.send:
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if !ok {
				_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
				return
			}
			c.queued.Add(-int64(len(msg)))
			if err := c.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
				c.drop("write failed")
				// Keep draining so that senders never block on a dead peer.
				for range c.send {
				}
				return
			}
		case r := <-c.quit:
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(r.code, r.text))
			c.closed.Store(true)
			for range c.send {
			}
			return
		case <-ticker.C:
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				c.drop("ping failed")
				for range c.send {
				}
				return
			}
		}
	}
}

// enqueue hands a message to the writer without ever blocking: a client
// too slow to take its messages is dropped, which cancels its run.
func (c *conn) enqueue(msg []byte) {
	if c.closed.Load() {
		return
	}
	if c.queued.Load()+int64(len(msg)) > sendQueueBytes {
		c.drop("slow reader")
		return
	}
	select {
	case c.send <- msg:
		c.queued.Add(int64(len(msg)))
	default:
		c.drop("slow reader")
	}
}

// behind reports a backlog large enough that events should be shed.
func (c *conn) behind() bool {
	return c.queued.Load() > shedQueueBytes || len(c.send) > sendQueue/2
}

// closeWith asks the writer to send a close frame with a reason and close
// the socket; the read pump then fails and tears the connection down.
func (c *conn) closeWith(code int, text string) {
	select {
	case c.quit <- closeReason{code, text}:
	default: // a close is on its way already
	}
}

// drop closes the socket; the read pump then fails and tears down.
func (c *conn) drop(why string) {
	if c.closed.CompareAndSwap(false, true) {
		c.log.Info("dropping websocket client", "reason", why)
		c.s.metrics.dropped.Inc()
		c.ws.Close()
	}
}

func (c *conn) sendJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.log.Error("encode websocket message", "err", err)
		return
	}
	c.enqueue(b)
}

func (c *conn) sendError(msg string) {
	c.sendJSON(map[string]string{"type": "error", "message": msg})
}

// startRun stops the socket's previous run and starts the new one.
func (c *conn) startRun(m clientMessage) {
	c.stopRun()
	c.dropRest()
	req, err := c.s.prepare(m)
	if err != nil {
		var res *resultError
		if errors.As(err, &res) {
			c.sendJSON(endMessage{Type: "end", Result: res.result})
			return
		}
		c.sendError(userMessage(err))
		return
	}
	if !c.s.beginRun() {
		c.sendJSON(map[string]string{"type": "error", "code": "shutdown", "message": "The server is shutting down; the run did not start."})
		return
	}
	ctx, cancel := context.WithCancel(c.s.baseCtx)
	c.mu.Lock()
	c.cancel = cancel
	c.mu.Unlock()
	c.runs.Add(1)
	go func() {
		defer c.s.runs.Done()
		defer c.runs.Done()
		defer cancel()
		c.s.execute(ctx, req, c.client, c.log, c)
	}()
}

// stopRun cancels the current run, if any, and waits until it has ended,
// so that no child outlives the request to stop it.
func (c *conn) stopRun() {
	c.mu.Lock()
	cancel := c.cancel
	c.cancel = nil
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	c.runs.Wait()
}

// endMessage carries a run's result, without its events.
type endMessage struct {
	Type   string        `json:"type"`
	Result *trace.Result `json:"result"`
	Rest   *restOffer    `json:"rest,omitempty"` // where the events shed can be fetched
}

// appendEventsMessage encodes a batch as one "events" message.
func appendEventsMessage(b []byte, evs []trace.Event) []byte {
	b = append(b, `{"type":"events","events":`...)
	b = trace.AppendEventsJSON(b, evs)
	return append(b, '}')
}
