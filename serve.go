//go:build !lean

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/cluster"
	"interleave/server"
	"interleave/server/store"
)

// keepRuns deletes shared runs older than the retention period, hourly,
// until ctx ends; serveMain waits for it before the store closes.
func keepRuns(ctx context.Context, log *slog.Logger, st *store.Store, retention time.Duration) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		n, err := st.DeleteRunsBefore(ctx, time.Now().Add(-retention))
		if err != nil && ctx.Err() == nil {
			log.Error("delete old shared runs", "err", err)
		} else if n > 0 {
			log.Info("deleted old shared runs", "count", n, "retention", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// perMinute turns a flag's rate, where 0 means no limit, into the
// server's, where 0 means the default.
func perMinute(n int) int {
	if n <= 0 {
		return server.Unlimited
	}
	return n
}

func serve(args []string) int {
	var scfgStore *store.Store
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", envOr("INTERLEAVE_ADDR", "localhost:8080"), "listen address (env INTERLEAVE_ADDR)")
	maxRuns := fs.Int("max-runs", envInt("INTERLEAVE_MAX_RUNS", runtime.NumCPU()), "runs at once (env INTERLEAVE_MAX_RUNS)")
	grace := fs.Duration("grace", envDuration("INTERLEAVE_GRACE", 10*time.Second), "shutdown grace period (env INTERLEAVE_GRACE)")
	maxQueue := fs.Int("queue", envInt("INTERLEAVE_QUEUE", 64), "runs waiting for a slot before the server answers busy (env INTERLEAVE_QUEUE)")
	perClient := fs.Int("per-client-runs", envInt("INTERLEAVE_PER_CLIENT_RUNS", 1), "runs one client address may have at once; raise it when a class shares one NAT address (env INTERLEAVE_PER_CLIENT_RUNS)")
	runRate := fs.Int("run-rate", envInt("INTERLEAVE_RUN_RATE", 60), "runs per minute per client address, 0 for no limit (env INTERLEAVE_RUN_RATE)")
	trustProxy := fs.Bool("trust-proxy", envOr("INTERLEAVE_TRUST_PROXY", "") == "true", "take client addresses from X-Forwarded-For; only behind a proxy you run (env INTERLEAVE_TRUST_PROXY=true)")
	origins := fs.String("origins", envOr("INTERLEAVE_ORIGINS", ""), "extra allowed origins, comma-separated, e.g. https://course.example.edu; their hosts are also accepted in Host (env INTERLEAVE_ORIGINS)")
	dbPath := fs.String("db", envOr("INTERLEAVE_DB", filepath.Join("data", "interleave.db")), "SQLite file for shared scripts and runs; empty turns sharing off (env INTERLEAVE_DB)")
	retention := fs.Duration("retention", envDuration("INTERLEAVE_RETENTION", 30*24*time.Hour), "how long shared runs are kept; shared scripts are kept for good (env INTERLEAVE_RETENTION)")
	shareRate := fs.Int("share-rate", envInt("INTERLEAVE_SHARE_RATE", 20), "shared scripts and runs per minute per client address, 0 for no limit (env INTERLEAVE_SHARE_RATE)")
	maxSockets := fs.Int("max-sockets", envInt("INTERLEAVE_MAX_SOCKETS", 0), "WebSockets held at once; 0 derives it from the descriptor limit (env INTERLEAVE_MAX_SOCKETS)")
	perClientSockets := fs.Int("per-client-sockets", envInt("INTERLEAVE_PER_CLIENT_SOCKETS", 0), "WebSockets one client address may hold; 0 for a quarter of -max-sockets, at most 256 (env INTERLEAVE_PER_CLIENT_SOCKETS)")
	pickTimeout := fs.Duration("pick-timeout", envDuration("INTERLEAVE_PICK_TIMEOUT", sandbox.DefaultPickTimeout), "how long a You schedule run waits for a pick before it ends (env INTERLEAVE_PICK_TIMEOUT)")
	maxInteractive := fs.Int("max-interactive", envInt("INTERLEAVE_MAX_INTERACTIVE", server.DefaultMaxInteractive), "You schedule runs open at once; each keeps a sleeping child in memory while its student thinks (env INTERLEAVE_MAX_INTERACTIVE)")
	interactiveMiB := fs.Int("interactive-memory", envInt("INTERLEAVE_INTERACTIVE_MEMORY", server.DefaultInteractiveMemory>>20), "memory of a You schedule run's script in MiB, at most -memory (env INTERLEAVE_INTERACTIVE_MEMORY)")
	sb := sandboxFlags(fs)
	nf := natsFlagsOf(fs)
	queueWait := fs.Duration("queue-wait", envDuration("INTERLEAVE_QUEUE_WAIT", cluster.DefaultQueueWait), "with -nats, how long a run may wait for a runner before the student is told busy (env INTERLEAVE_QUEUE_WAIT)")
	cf := catalogueFlagsOf(fs, sb.script)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := sb.config()
	if err != nil {
		fmt.Fprintf(os.Stderr, "interleave: %v\n", err)
		return 2
	}
	*maxRuns = runsAtOnce(fs, *maxRuns, *nf.url)
	if *dbPath != "" {
		st, err := store.Open(*dbPath)
		if err != nil {
			fmt.Fprintf(os.Stderr, "interleave: cannot open the database %s: %s\n", *dbPath, store.Describe(err))
			return 1
		}
		defer st.Close()
		scfgStore = st
	}
	scfg := server.Config{
		MaxRuns:           *maxRuns,
		Limits:            cfg.Limits, // the same the sandbox gets
		MaxQueue:          *maxQueue,
		PerClientRuns:     *perClient,
		RunsPerMinute:     perMinute(*runRate),
		TrustProxy:        *trustProxy,
		Logger:            log,
		Store:             scfgStore,
		SharesPerMinute:   perMinute(*shareRate),
		MaxSockets:        *maxSockets,
		PerClientSockets:  *perClientSockets,
		PickTimeout:       *pickTimeout,
		MaxInteractive:    *maxInteractive,
		InteractiveMemory: int64(*interactiveMiB) << 20,
	}
	for _, o := range strings.Split(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			scfg.AllowedOrigins = append(scfg.AllowedOrigins, o)
		}
	}
	nopts := nf.options()
	nopts.QueueWait = *queueWait
	if err := serveMain(log, *addr, scfg, cfg, *grace, *retention, cf, nopts); err != nil {
		log.Error("interleave stopped", "err", err)
		return 1
	}
	return 0
}

// clusterRuns is serve's -max-runs with -nats unless set.
const clusterRuns = 64

// runsAtOnce is serve's -max-runs. With -nats and no -max-runs given,
// the runners' slots bound the work, and this server only bounds what it
// has in the cluster at once, running or in the shared queue.
func runsAtOnce(fs *flag.FlagSet, maxRuns int, natsURL string) int {
	if natsURL != "" && !flagSet(fs, "max-runs") && os.Getenv("INTERLEAVE_MAX_RUNS") == "" {
		return clusterRuns
	}
	return maxRuns
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func serveMain(log *slog.Logger, addr string, scfg server.Config, sbCfg sandbox.Config, grace, retention time.Duration, cf catalogueFlags, nats cluster.Options) error {
	if n, err := raiseFileLimit(); err != nil {
		log.Warn("cannot raise the descriptor limit", "err", err, "limit", n)
	} else {
		log.Info("descriptor limit", "limit", n)
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		if host == "" { // ":8080" listens on every interface
			host = "0.0.0.0"
		}
		scfg.ListenHost = host
	}
	cat, err := cf.open()
	if err != nil {
		return fmt.Errorf("load scenarios: %w", err)
	}
	if *cf.dir != "" {
		// A broken course file never stops the server: it is logged here,
		// shown on the page and on /healthz, and re-read when it changes.
		log.Info("course folder", "dir", *cf.dir, "only_course", *cf.only, "scenarios", len(cat.All()), "problems", len(cat.Problems()))
		for _, p := range cat.Problems() {
			log.Warn("course problem: " + p.Error())
		}
	}
	runner, closeRunner, err := serveRunner(log, &scfg, sbCfg, nats)
	if err != nil {
		return err
	}
	defer closeRunner()
	srv := server.New(scfg, cat, runner)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go cat.Watch(ctx, time.Second, log) // re-reads the course folder when a file changes
	if scfg.Store != nil {
		var kept sync.WaitGroup
		kept.Go(func() { keepRuns(ctx, log, scfg.Store, retention) })
		// Deferred after stop, so it runs first: the store closes only
		// once keepRuns has returned.
		defer kept.Wait()
		defer stop()
	}
	log.Info("interleave is serving", "url", "http://"+ln.Addr().String(), "scenarios", len(cat.All()), "max_runs", scfg.MaxRuns)
	if err := srv.Serve(ctx, ln, grace); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info("interleave stopped cleanly")
	return nil
}

// serveRunner returns the server's runner: the cluster's client with
// -nats (this process then runs nothing itself), else a local sandbox.
func serveRunner(log *slog.Logger, scfg *server.Config, sbCfg sandbox.Config, nats cluster.Options) (server.Runner, func(), error) {
	if nats.URL != "" {
		c, err := cluster.NewClient(nats, log)
		if err != nil {
			return nil, nil, err
		}
		log.Info("runs go to the cluster", "nats", nats.URL)
		scfg.Health = map[string]any{"cluster": c}
		scfg.Collectors = c.Collectors()
		return c, c.Close, nil
	}
	// Keep a child started and waiting for each run slot, so that a run
	// does not wait for a process to start.
	sbCfg.Warm = scfg.MaxRuns
	// And start them from a spawner, not by forking the server's heap.
	sbCfg.Spawner, sbCfg.Logger = true, log
	runner, err := sandbox.New(sbCfg)
	if err != nil {
		return nil, nil, err
	}
	layers := runner.Layers()
	log.Info("sandbox ready", "level", layers.Level, "layers", layers.Summary())
	for _, m := range layers.Missing {
		log.Warn("SANDBOX LAYER MISSING: " + m)
	}
	scfg.Health = map[string]any{"sandbox": layers, "limits": limitsReport(runner.Limits())}
	return runner, runner.Close, nil
}

// raiseFileLimit raises the soft descriptor limit to the hard one, so that
// the WebSocket caps derived from it are as high as the system allows, and
// returns the limit in force. (Go raises it at start already on Linux; this
// makes it explicit and survives a runtime that does not.)
func raiseFileLimit() (uint64, error) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("read the descriptor limit: %w", err)
	}
	if lim.Cur >= lim.Max {
		return lim.Cur, nil
	}
	cur := lim.Cur
	lim.Cur = lim.Max
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return cur, fmt.Errorf("raise the descriptor limit to %d: %w", lim.Max, err)
	}
	return lim.Cur, nil
}

// limitsReport is the limits as /healthz shows them.
func limitsReport(l limits.Limits) map[string]any {
	return map[string]any{
		"wall_seconds":         l.Wall.Seconds(),
		"explore_wall_seconds": l.Explore.Seconds(),
		"cpu_seconds":          l.CPUSeconds,
		"memory_mib":           l.MemoryBytes >> 20,
		"threads_os":           l.Threads,
		"output_bytes":         l.Output,
		"events":               l.Events,
		"script_bytes":         l.Script,
	}
}
