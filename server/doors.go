package server

import (
	"errors"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sys/unix"

	"interleave/sandbox"
)

// Every door of the server is bounded here: what a request may send, from
// where, how many sockets an address may hold. docs/sandbox.md lists them.

// Body caps of the routes that read a body; any other request may send at
// most smallBody bytes, which no handler reads.
const (
	smallBody = 4 << 10
	// jsonEscape is the worst growth of a string escaped in JSON: one byte
	// becomes a six-byte \u00XX.
	jsonEscape = 6
)

// withDefaults fills a Config's zero values.
func withDefaults(cfg Config) Config {
	if cfg.MaxRuns <= 0 {
		cfg.MaxRuns = runtime.NumCPU()
	}
	cfg.Limits = cfg.Limits.WithDefaults()
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = 64
	}
	if cfg.PickTimeout <= 0 {
		cfg.PickTimeout = sandbox.DefaultPickTimeout
	}
	if cfg.PerClientRuns <= 0 {
		cfg.PerClientRuns = 1
	}
	if cfg.MaxInteractive <= 0 {
		cfg.MaxInteractive = DefaultMaxInteractive
	}
	if cfg.InteractiveMemory <= 0 {
		cfg.InteractiveMemory = DefaultInteractiveMemory
	}
	cfg.InteractiveMemory = min(cfg.InteractiveMemory, cfg.Limits.MemoryBytes)
	if cfg.PerClientQueue <= 0 {
		cfg.PerClientQueue = max(4, 2*cfg.PerClientRuns)
	}
	if cfg.RunsPerMinute == 0 {
		cfg.RunsPerMinute = 60
	}
	if cfg.SharesPerMinute == 0 {
		cfg.SharesPerMinute = 20
	}
	if cfg.ViewsPerMinute == 0 {
		cfg.ViewsPerMinute = 300
	}
	cfg.ReadHeaderTimeout = orDuration(cfg.ReadHeaderTimeout, 10*time.Second)
	cfg.ReadTimeout = orDuration(cfg.ReadTimeout, 60*time.Second)
	cfg.WriteTimeout = orDuration(cfg.WriteTimeout, 120*time.Second)
	cfg.IdleTimeout = orDuration(cfg.IdleTimeout, 60*time.Second)
	if cfg.MaxSockets <= 0 {
		cfg.MaxSockets = socketsFor(fileLimit(), cfg.MaxRuns)
	}
	if cfg.PerClientSockets <= 0 {
		cfg.PerClientSockets = min(256, max(1, cfg.MaxSockets/4))
	}
	return cfg
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// fileLimit is the process's soft descriptor limit (serve raises it to the
// hard one at start), or a conservative guess if it cannot be read.
func fileLimit() uint64 {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == unix.RLIM_INFINITY {
		return 1024
	}
	return lim.Cur
}

// socketsFor is how many WebSockets fit under a descriptor limit: a
// reserve is kept for the listener, the database and the sandbox children
// (a running or waiting child holds about eight descriptors in the
// server), and a quarter of the rest for plain requests such as /healthz.
func socketsFor(limit uint64, maxRuns int) int {
	reserve := uint64(128 + 16*maxRuns)
	if limit <= reserve+64 {
		return 16
	}
	return int((limit - reserve) * 3 / 4)
}

// clientKey is the address that per-client limits count against: the
// client's IPv4 address, or the /64 network of its IPv6 address, since one
// IPv6 subscriber is given a whole /64 and could otherwise take a fresh
// address for every request.
func clientKey(c echo.Context) string {
	return addressKey(c.RealIP())
}

func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Is4() || a.Is4In6() {
		return ip
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// requestHost is the host name a request is addressed to, without its port
// and brackets, in lower case.
func requestHost(hostport string) string {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		h = hostport
	}
	return strings.ToLower(strings.Trim(h, "[]"))
}

// hostAllowed reports whether a request's Host is one the server answers
// to. DNS rebinding aims at a server on a loopback address: a page on the
// attacker's name, made to resolve to 127.0.0.1, reaches it from the
// victim's own browser. So a server listening on loopback answers only to
// the listen host, a localhost name, an origin given with -origins, or an
// IP address (an IP cannot be rebound: the page that sends it was loaded
// from that address). A server listening on every interface or on a
// public address can be reached directly anyway; it answers to whatever
// name its DNS or proxy gives it, and sameOrigin still keeps other sites'
// pages out.
func (s *Server) hostAllowed(r *http.Request) bool {
	if listensOnNetwork(s.cfg.ListenHost) {
		return true
	}
	h := requestHost(r.Host)
	switch {
	case h == "localhost" || strings.HasSuffix(h, ".localhost"):
		return true
	case net.ParseIP(h) != nil:
		return true
	case h != "" && h == strings.ToLower(s.cfg.ListenHost):
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if u, err := url.Parse(o); err == nil && strings.EqualFold(u.Hostname(), h) {
			return true
		}
	}
	return false
}

// listensOnNetwork says whether host, the host part of -addr, is reached
// from other machines: every interface (0.0.0.0, ::), a public address or
// a name other than localhost. An empty host is not known to be, so the
// loopback rules apply.
func listensOnNetwork(host string) bool {
	h := strings.ToLower(strings.Trim(host, "[]"))
	if h == "" || h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return false
	}
	ip := net.ParseIP(h)
	return ip == nil || !ip.IsLoopback()
}

// refuseHost is the refusal of a request addressed to a foreign host name.
func refuseHost(r *http.Request) error {
	return refuse(kindForbidden, "This server does not answer to the host name %q; open it by its own address, or have it started with that origin in -origins.", requestHost(r.Host))
}

// sameOrigin reports whether a request's Origin, if any, is this server's
// own or one given with -origins. A request without Origin is not from a
// browser page (the CLI, a script) and is let through.
func (s *Server) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// guardPost refuses a POST that a page on another site could have sent: a
// foreign Host (DNS rebinding), a cross-site Sec-Fetch-Site, a foreign
// Origin, or a body that is not JSON. A browser sends cross-site JSON only
// after a CORS preflight, which this server never grants, so requiring
// application/json shuts out the simple forms and text/plain posts.
func (s *Server) guardPost(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !s.hostAllowed(r) {
			return refuseHost(r)
		}
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" || !s.sameOrigin(r) {
			return refuse(kindForbidden, "Requests from pages on other sites are refused; use this server's own page.")
		}
		mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
		if err != nil || mt != echo.MIMEApplicationJSON {
			return refuse(kindMediaType, "The request must be JSON, sent with Content-Type: application/json.")
		}
		return next(c)
	}
}

// messageCap is how many bytes one WebSocket message may have: a run
// message carries a script up to the script size limit, JSON-escaped.
func (s *Server) messageCap() int64 {
	return max(maxMessageSize, int64(s.cfg.Limits.Script)*jsonEscape+4096)
}

// bodyCap is how many bytes a request to path may send.
func (s *Server) bodyCap(path string) int64 {
	switch path {
	case "/api/snippets":
		return int64(s.cfg.Limits.Script)*jsonEscape + 1024
	case "/api/runs", "/api/trace":
		return maxRunBody
	}
	return smallBody
}

// limitBody caps every request's body, refusing at once one that declares
// a larger length; one that sends more than it declared fails while its
// handler reads, and readError names the cap.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		limit := s.bodyCap(r.URL.Path)
		if r.ContentLength > limit {
			return refuse(kindTooLarge, "The request is %d bytes; the limit here is %d bytes.", r.ContentLength, limit)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		return next(c)
	}
}

// readError turns an error met while reading a request body into a
// refusal naming what went wrong, or nil if it is not one of those.
func (s *Server) readError(err error, what string) error {
	var mbe *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &mbe):
		return refuse(kindTooLarge, "The request is larger than the limit of %d bytes for a %s.", mbe.Limit, what)
	case errors.As(err, &ne) && ne.Timeout():
		return refuse(kindSlowBody, "The %s did not arrive within %s.", what, s.cfg.ReadTimeout)
	}
	return nil
}

// takeSocket counts a WebSocket for client, or refuses it when the server
// or the client holds as many as they may. The caller must call the
// returned release when the socket is gone.
func (s *Server) takeSocket(client string) (release func(), err error) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	switch {
	case s.draining:
		return nil, refuse(kindUnavailable, "The server is shutting down; try again in a minute.")
	case s.held >= s.cfg.MaxSockets:
		s.metrics.rateLimited.WithLabelValues("sockets").Inc()
		return nil, refuse(kindUnavailable, "The server holds as many live connections as it accepts (%d); try again in a minute.", s.cfg.MaxSockets)
	case s.socketsBy[client] >= s.cfg.PerClientSockets:
		s.metrics.rateLimited.WithLabelValues("client-sockets").Inc()
		return nil, refuse(kindRateLimited, "Your address holds %d live connections already, the most one address may hold; close a page of this site and try again.", s.socketsBy[client])
	}
	s.socketsBy[client]++
	s.held++
	return func() {
		s.connMu.Lock()
		defer s.connMu.Unlock()
		s.held--
		if s.socketsBy[client]--; s.socketsBy[client] <= 0 {
			delete(s.socketsBy, client)
		}
	}, nil
}
