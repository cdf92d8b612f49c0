// Package server is Interleave's web application: the catalogue and
// scenario pages, the WebSocket that streams runs, health and metrics.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"interleave/limits"
	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
	"interleave/scenarios"
	"interleave/server/store"
	"interleave/web"
)

// Runner runs one request in the sandbox, delivering event batches as they
// arrive, and always returns a result. *sandbox.Runner is one. An error
// with a method Unavailable() string means the run could not start (a
// cluster of runners cannot be reached): the client is told busy with
// that sentence instead of the result.
type Runner interface {
	Run(ctx context.Context, req engine.Request, onEvents func([]trace.Event)) (*trace.Result, error)
}

// QueueRunner is a Runner whose runs may wait in a line of its own after
// the server's, such as the shared queue of runners on other machines.
// RunQueued calls queued with the run's position in that line (from 1)
// whenever it changes, and started once before the run's first events,
// both from the calling goroutine.
type QueueRunner interface {
	RunQueued(ctx context.Context, req engine.Request, queued func(position int), started func(), onEvents func([]trace.Event)) (*trace.Result, error)
}

// Config sets up a Server. Zero values mean defaults.
type Config struct {
	MaxRuns        int      // children at once; default the number of CPUs
	MaxQueue       int      // runs waiting for a slot; default 64
	PerClientRuns  int      // runs one client address may have at once; default 1
	RunsPerMinute  int      // per client address; default 60, Unlimited for none
	TrustProxy     bool     // take the client address from X-Forwarded-For
	AllowedOrigins []string // extra WebSocket origins, such as a course site
	Logger         *slog.Logger
	// Health holds extra /healthz fields, such as the sandbox's layers. A
	// field with a method Unhealthy() string that returns a sentence (a
	// cluster without NATS or runners) makes /healthz answer 503 with it.
	Health map[string]any
	// Limits are the runs' limits, the same main gives the runner; the
	// server checks a script's size against them before it queues a run
	// or stores a script. Zero fields mean the defaults.
	Limits limits.Limits
	// Store keeps shared scripts and runs; nil turns sharing off.
	Store *store.Store
	// SharesPerMinute limits shared scripts and runs per client address,
	// and trace exports apart; default 20, Unlimited for none.
	SharesPerMinute int
	// ViewsPerMinute limits the shared script and run pages and files one
	// client address may fetch; default 300, Unlimited for none.
	ViewsPerMinute int
	// PerClientQueue is how many runs one client address may have waiting
	// for a slot; default max(4, 2*PerClientRuns).
	PerClientQueue int

	// ListenHost is the host the server was told to listen on. On loopback
	// (or when empty) only it, the localhost names, IP addresses and the
	// hosts of AllowedOrigins are accepted in Host headers, so that a
	// rebound DNS name is refused; on every interface or a public address
	// any Host is, as a proxy or DNS names it (Origin is still checked).
	ListenHost string

	// Timeouts of the HTTP server. ReadTimeout bounds a whole request, body
	// included; WriteTimeout a plain response (WebSockets keep their own
	// deadlines); IdleTimeout a keep-alive connection between requests.
	ReadHeaderTimeout time.Duration // default 10 s
	ReadTimeout       time.Duration // default 60 s
	WriteTimeout      time.Duration // default 120 s
	IdleTimeout       time.Duration // default 60 s

	// MaxSockets is how many WebSockets the server holds at once, and
	// PerClientSockets how many one client address may hold. Their
	// defaults are derived from the descriptor limit, keeping a reserve for
	// plain requests such as /healthz and for the sandbox children.
	MaxSockets       int
	PerClientSockets int

	// Collectors are extra metrics for /metrics, such as a remote
	// runner's view of its cluster.
	Collectors []prometheus.Collector

	// PickTimeout is how long an interactive run waits for a pick or an
	// undo before it ends, status stopped; default 10 minutes.
	PickTimeout time.Duration
	// MaxInteractive is how many interactive (You schedule) runs the
	// server holds at once; default DefaultMaxInteractive. Each keeps a
	// child in memory while its person thinks, but a CPU slot only while
	// the child computes; one address may hold PerClientRuns of them.
	MaxInteractive int
	// InteractiveMemory is the memory limit, in bytes, of an interactive
	// run's script, at most Limits.MemoryBytes; default
	// DefaultInteractiveMemory.
	InteractiveMemory int64
}

// Unlimited is the value of a per-minute rate in Config that sets no
// limit (0 means the default).
const Unlimited = -1

// Server is the web application. Create it with New, serve its Handler.
type Server struct {
	cfg         Config
	catalogue   *scenarios.Catalogue
	runner      Runner
	log         *slog.Logger
	echo        *echo.Echo
	upgrader    websocket.Upgrader
	admit       *admission
	runRate     *rateLimiter
	snippetRate *rateLimiter
	exportRate  *rateLimiter // trace exports of unsaved runs
	viewRate    *rateLimiter // shared script and run pages and files
	events      *eventBudget // events held by the uploads being decoded
	lookupRate  *rateLimiter // misses: unknown ids asked for
	store       *store.Store
	sockets     atomic.Int64
	metrics     *metrics

	// baseCtx parents every run, so that Close stops them all.
	baseCtx  context.Context
	stopRuns context.CancelFunc
	runs     sync.WaitGroup // run goroutines

	connMu    sync.Mutex
	draining  bool // set by shutdown: no run starts after it
	conns     map[*conn]struct{}
	held      int            // WebSockets taken, upgraded or about to be
	socketsBy map[string]int // WebSockets held per client address
	connWG    sync.WaitGroup // WebSocket handlers

	rests *restStore // recordings of runs whose pages had events shed
}

// New builds the application over a catalogue and a runner.
func New(cfg Config, cat *scenarios.Catalogue, runner Runner) *Server {
	cfg = withDefaults(cfg)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		cfg:       cfg,
		catalogue: cat,
		runner:    runner,
		log:       cfg.Logger,
		admit:     newAdmission(cfg.MaxRuns, cfg.PerClientRuns, cfg.MaxQueue, cfg.PerClientQueue, cfg.MaxInteractive),
		conns:     map[*conn]struct{}{},
		store:     cfg.Store,
		// Misses (ids that do not exist) are limited, so ids cannot be scanned.
		lookupRate: newRateLimiter(30, 30),
		socketsBy:  map[string]int{},
		events:     &eventBudget{left: uploadBudget},
		rests:      newRestStore(restBudget),
	}
	if cfg.ViewsPerMinute > 0 {
		s.viewRate = newRateLimiter(cfg.ViewsPerMinute, max(cfg.ViewsPerMinute/3, 5))
	}
	if cfg.RunsPerMinute > 0 {
		s.runRate = newRateLimiter(cfg.RunsPerMinute, max(cfg.RunsPerMinute/4, 5))
	}
	if cfg.SharesPerMinute > 0 {
		s.snippetRate = newRateLimiter(cfg.SharesPerMinute, max(cfg.SharesPerMinute/2, 5))
		s.exportRate = newRateLimiter(cfg.SharesPerMinute, max(cfg.SharesPerMinute/2, 5))
	}
	s.metrics = newMetrics(s)
	s.baseCtx, s.stopRuns = context.WithCancel(context.Background())
	s.upgrader = websocket.Upgrader{
		ReadBufferSize: 4 << 10,
		// Idle sockets hold no write buffer: it is taken from the pool
		// only while a message is being written.
		WriteBufferSize: 16 << 10,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     s.checkOrigin,
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// The client address keys rate limits: taken from the connection
	// unless a trusted proxy in front says otherwise.
	e.IPExtractor = echo.ExtractIPDirect()
	if cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	e.Use(s.limitBody)
	e.GET("/", s.handleCatalogue)
	e.GET("/s/:id", s.handleScenario)
	e.GET("/p/:id", s.handleSnippetPath)
	e.GET("/r/:id", s.handleRunPath)
	api := e.Group("/api", s.guardPost)
	api.POST("/snippets", s.handlePostSnippet)
	api.POST("/runs", s.handlePostRun)
	api.POST("/trace", s.handlePostTrace)
	e.GET(restPattern, s.handleRest)
	e.GET("/ws", s.handleWS)
	e.GET("/healthz", s.handleHealth)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})))
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", web.StaticHandler())))
	s.echo = e
	return s
}

// Handler returns the application's HTTP handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Serve serves on the listener until ctx is done, then shuts down
// gracefully: it stops accepting connections and runs, lets the runs in
// progress finish for up to grace, kills what is left (children
// included), closes every WebSocket with a reason, and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	// WebSockets are not cut by ReadTimeout and WriteTimeout: the upgrade
	// clears the connection's deadlines, and each socket sets its own.
	srv := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.shutdown(0)
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", grace)
	shutCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	// Shutdown closes the listener at once, then waits for plain HTTP
	// requests; WebSockets are hijacked and handled below.
	shutErr := make(chan error, 1)
	go func() { shutErr <- srv.Shutdown(shutCtx) }()
	s.shutdown(grace)
	err := <-shutErr
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

// shutdown refuses new runs, waits up to grace for running ones, stops
// the rest, and closes every socket.
func (s *Server) shutdown(grace time.Duration) {
	s.connMu.Lock()
	s.draining = true
	s.connMu.Unlock()
	s.admit.close()
	done := make(chan struct{})
	go func() {
		s.runs.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(grace):
		s.log.Warn("grace period over: stopping the runs still going")
	}
	s.stopRuns()
	<-done
	s.connMu.Lock()
	for c := range s.conns {
		c.closeWith(websocket.CloseGoingAway, "The server is shutting down.")
	}
	s.connMu.Unlock()
	s.connWG.Wait()
}

// beginRun counts a run about to start, unless the server is shutting
// down; the caller must call s.runs.Done when it ends.
func (s *Server) beginRun() bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.draining {
		return false
	}
	s.runs.Add(1)
	return true
}

// Close stops every run at once, without a grace period.
func (s *Server) Close() { s.shutdown(0) }

func (s *Server) handleHealth(c echo.Context) error {
	running, waiting := s.admit.stats()
	s.connMu.Lock()
	held := s.held // the count the socket caps compare against
	s.connMu.Unlock()
	h := map[string]any{
		"status":     "ok",
		"runs":       running,
		"maxRuns":    s.admit.slots,
		"waiting":    waiting,
		"maxQueue":   s.admit.maxQueue,
		"sockets":    held,
		"maxSockets": s.cfg.MaxSockets,
	}
	live, paused := s.admit.interactiveStats()
	h["interactive"], h["interactiveWaiting"], h["maxInteractive"] = live, paused, s.admit.maxInteractive
	for k, v := range s.cfg.Health {
		h[k] = v
	}
	if probs := s.catalogue.Problems(); len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, p := range probs {
			msgs[i] = p.Error()
		}
		h["course_problems"] = msgs
	}
	h["scenarios"] = len(s.catalogue.All())
	for _, v := range s.cfg.Health {
		if u, ok := v.(interface{ Unhealthy() string }); ok {
			if reason := u.Unhealthy(); reason != "" {
				h["status"], h["reason"] = "unhealthy", reason
				return c.JSON((&userError{kind: kindUnavailable, msg: reason}).status(), h)
			}
		}
	}
	return c.JSON(http.StatusOK, h)
}
