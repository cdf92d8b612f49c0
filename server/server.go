// Package server is Interleave's web application: the catalogue and
// scenario pages, the WebSocket that streams runs, health and metrics.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
	"interleave/scenarios"
	"interleave/web"
)

// Runner runs one request in the sandbox, delivering event batches as they
// arrive, and always returns a result. *sandbox.Runner is one.
type Runner interface {
	Run(ctx context.Context, req engine.Request, onEvents func([]trace.Event)) (*trace.Result, error)
}

// Config sets up a Server. Zero values mean defaults.
type Config struct {
	MaxRuns        int      // children at once; default the number of CPUs
	MaxScript      int      // bytes; default scenarios.MaxSource
	AllowedOrigins []string // extra WebSocket origins, such as a course site
	Logger         *slog.Logger
	Health         map[string]any // extra /healthz fields, such as the sandbox's layers
}

// Server is the web application. Create it with New, serve its Handler.
type Server struct {
	cfg       Config
	catalogue *scenarios.Catalogue
	runner    Runner
	log       *slog.Logger
	echo      *echo.Echo
	upgrader  websocket.Upgrader
	slots     chan struct{}
	waiting   atomic.Int64
	sockets   atomic.Int64
	metrics   struct{ runs, events, dropped atomic.Int64 }

	// baseCtx parents every run, so that Close stops them all.
	baseCtx  context.Context
	stopRuns context.CancelFunc
}

// New builds the application over a catalogue and a runner.
func New(cfg Config, cat *scenarios.Catalogue, runner Runner) *Server {
	if cfg.MaxRuns <= 0 {
		cfg.MaxRuns = runtime.NumCPU()
	}
	if cfg.MaxScript <= 0 {
		cfg.MaxScript = scenarios.MaxSource
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		cfg:       cfg,
		catalogue: cat,
		runner:    runner,
		log:       cfg.Logger,
		slots:     make(chan struct{}, cfg.MaxRuns),
	}
	s.baseCtx, s.stopRuns = context.WithCancel(context.Background())
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  4 << 10,
		WriteBufferSize: 16 << 10,
		CheckOrigin:     s.checkOrigin,
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.GET("/", s.handleCatalogue)
	e.GET("/s/:id", s.handleScenario)
	e.GET("/ws", s.handleWS)
	e.GET("/healthz", s.handleHealth)
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", web.StaticHandler())))
	s.echo = e
	return s
}

// Handler returns the application's HTTP handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Serve serves on the listener until ctx is done, then shuts down: it
// stops accepting, stops every run (killing its child) and waits up to
// grace for handlers to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := &http.Server{Handler: s.echo, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.stopRuns()
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	s.stopRuns()
	err := srv.Shutdown(shutCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return err
}

// Close stops every run.
func (s *Server) Close() { s.stopRuns() }

func (s *Server) handleHealth(c echo.Context) error {
	h := map[string]any{
		"status":  "ok",
		"runs":    len(s.slots),
		"maxRuns": cap(s.slots),
		"waiting": s.waiting.Load(),
		"sockets": s.sockets.Load(),
	}
	for k, v := range s.cfg.Health {
		h[k] = v
	}
	return c.JSON(http.StatusOK, h)
}
