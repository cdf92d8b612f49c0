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
	"runtime"
	"strconv"
	"syscall"
	"time"

	"interleave/sandbox"
	"interleave/scenarios"
	"interleave/server"
)

// envOr returns the environment variable's value, or def when unset: every
// serve flag has an INTERLEAVE_* twin for containers.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", envOr("INTERLEAVE_ADDR", "localhost:8080"), "listen address (env INTERLEAVE_ADDR)")
	maxRuns := fs.Int("max-runs", envInt("INTERLEAVE_MAX_RUNS", runtime.NumCPU()), "runs at once (env INTERLEAVE_MAX_RUNS)")
	timeout := fs.Duration("timeout", envDuration("INTERLEAVE_TIMEOUT", sandbox.DefaultTimeout), "wall-clock limit of a run (env INTERLEAVE_TIMEOUT)")
	grace := fs.Duration("grace", envDuration("INTERLEAVE_GRACE", 10*time.Second), "shutdown grace period (env INTERLEAVE_GRACE)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := serveMain(log, *addr, *maxRuns, *timeout, *grace); err != nil {
		log.Error("interleave stopped", "err", err)
		return 1
	}
	return 0
}

func serveMain(log *slog.Logger, addr string, maxRuns int, timeout, grace time.Duration) error {
	cat, err := scenarios.Builtin()
	if err != nil {
		return fmt.Errorf("load scenarios: %w", err)
	}
	runner, err := sandbox.New(sandbox.Config{Timeout: timeout})
	if err != nil {
		return fmt.Errorf("set up sandbox: %w", err)
	}
	srv := server.New(server.Config{MaxRuns: maxRuns, Logger: log}, cat, runner)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("interleave is serving", "url", "http://"+ln.Addr().String(), "scenarios", len(cat.All()), "max_runs", maxRuns)
	if err := srv.Serve(ctx, ln, grace); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info("interleave stopped cleanly")
	return nil
}
