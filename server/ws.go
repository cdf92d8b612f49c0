package server

import (
	"context"
	"encoding/json"
	"errors"
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

	"interleave/limits"
	"interleave/scenarios"
)

// Timings and sizes of a WebSocket connection, after gorilla's chat
// example: a peer that does not answer a ping within pongWait is gone.
const (
	writeWait      = 10 * time.Second
	pongWait       = 60 * time.Second
	pingPeriod     = pongWait * 9 / 10
	maxMessageSize = 512 << 10 // at least; a larger script limit raises it (messageCap)
	sendQueue      = 256       // messages queued for one client
	sendQueueBytes = 16 << 20  // bytes queued for one client before it is dropped
	shedQueueBytes = 2 << 20   // bytes queued before a run's events are shed
)

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
		return refuse(kindForbidden, "Connections from pages on other sites are refused; use this server's own page.")
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
	c.ws.SetReadLimit(c.s.messageCap())
	_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.log.Info("websocket message over the read limit", "limit", c.s.messageCap())
			}
			return
		}
		m, err := decodeClientMessage(data)
		if err != nil {
			c.refuse(err)
			continue
		}
		switch m.Type {
		case "run", "explore":
			if ok, wait := c.s.runRate.allow(c.client); !ok {
				c.s.metrics.rateLimited.WithLabelValues(m.Type).Inc()
				c.refuse(tooMany("runs", wait))
				continue
			}
			if m.Type == "explore" {
				c.startExplore(m)
			} else {
				c.startRun(m)
			}
		case "stop":
			c.stopRun()
		}
	}
}

// decodeClientMessage reads one message from the page: a run or a stop.
// Its errors are request errors whose text is a sentence for the user.
func decodeClientMessage(data []byte) (ClientMessage, error) {
	var m ClientMessage
	if err := scenarios.UnmarshalJSON(data, &m); err != nil { // params stay exact
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return m, refuse(kindInvalid, "That message is not valid JSON (at byte %d).", syn.Offset)
		case errors.As(err, &typ) && typ.Field != "":
			return m, refuse(kindInvalid, "The message's %s must be %s, not a JSON %s.", quoteShort(typ.Field), jsonKind(typ.Type), typ.Value)
		}
		return m, refuse(kindInvalid, `That message is not a run, explore or stop request: send a JSON object such as {"type": "run", "scenario": "lost-update"}.`)
	}
	if m.Type != "run" && m.Type != "explore" && m.Type != "stop" {
		return m, refuse(kindInvalid, `Unknown message type %s: send "run", "explore" or "stop".`, quoteShort(m.Type))
	}
	m.Limits = limits.Limits{} // the server's to set, never the page's
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

// refuse answers a message or a run the server will not take: a refused
// run with its result, anything else with an error message.
func (c *conn) refuse(err error) {
	ue, ok := refusalOf(err, internalRunMessage)
	if !ok {
		c.log.Error("run refused by a fault", "err", err)
	}
	if ue.result != nil {
		c.sendJSON(EndMessage{Type: "end", Result: ue.result})
		return
	}
	c.sendJSON(ue.errorMessage())
}

// startRun stops the socket's previous run and starts the new one.
func (c *conn) startRun(m ClientMessage) {
	c.stopRun()
	c.dropRest()
	req, err := c.s.prepare(m)
	if err != nil {
		c.refuse(err)
		return
	}
	c.launch(func(ctx context.Context) { c.s.execute(ctx, req, c.client, c.log, c) })
}

// launch runs body as the socket's run, unless the server is shutting
// down: stopRun cancels its context and waits for it.
func (c *conn) launch(body func(ctx context.Context)) {
	if !c.s.beginRun() {
		c.refuse(shuttingDown)
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
		body(ctx)
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
