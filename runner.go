//go:build !lean

package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"interleave/sandbox"
	"interleave/sandbox/cluster"
)

// natsFlags are the flags that reach and authenticate to NATS, shared by
// serve and runner; each has an INTERLEAVE_NATS_* twin, and the password
// is best given there rather than on a command line.
type natsFlags struct {
	url, user, password, nkey *string
}

func natsFlagsOf(fs *flag.FlagSet) natsFlags {
	return natsFlags{
		url:      fs.String("nats", envOr("INTERLEAVE_NATS", ""), "NATS URL of the runner cluster, e.g. nats://nats:4222 (env INTERLEAVE_NATS)"),
		user:     fs.String("nats-user", envOr("INTERLEAVE_NATS_USER", ""), "NATS user (env INTERLEAVE_NATS_USER)"),
		password: fs.String("nats-password", envOr("INTERLEAVE_NATS_PASSWORD", ""), "NATS password; prefer the environment (env INTERLEAVE_NATS_PASSWORD)"),
		nkey:     fs.String("nats-nkey", envOr("INTERLEAVE_NATS_NKEY", ""), "file holding an nkey seed, instead of a user and password (env INTERLEAVE_NATS_NKEY)"),
	}
}

func (f natsFlags) options() cluster.Options {
	return cluster.Options{URL: *f.url, User: *f.user, Password: *f.password, NkeySeed: *f.nkey}
}

// runnerCmd takes runs from the cluster and runs them in this machine's
// sandbox until it is told to stop.
func runnerCmd(args []string) int {
	fs := flag.NewFlagSet("runner", flag.ContinueOnError)
	nf := natsFlagsOf(fs)
	maxRuns := fs.Int("max-runs", envInt("INTERLEAVE_MAX_RUNS", runtime.NumCPU()), "runs at once (env INTERLEAVE_MAX_RUNS)")
	sb := sandboxFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *nf.url == "" {
		fmt.Fprintln(os.Stderr, "interleave runner: -nats URL is required")
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := sb.config()
	if err != nil {
		fmt.Fprintf(os.Stderr, "interleave runner: %v\n", err)
		return 2
	}
	cfg.Warm = *maxRuns
	cfg.Spawner, cfg.Logger = true, log
	box, err := sandbox.New(cfg)
	if err != nil {
		log.Error("cannot set up the sandbox", "err", err)
		return 1
	}
	defer box.Close()
	layers := box.Layers()
	log.Info("sandbox ready", "level", layers.Level, "layers", layers.Summary(), "limits", limitsReport(box.Limits()))
	for _, m := range layers.Missing {
		log.Warn("SANDBOX LAYER MISSING: " + m)
	}
	w, err := cluster.NewWorker(nf.options(), box, *maxRuns, log)
	if err != nil {
		log.Error("cannot start the runner", "err", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := w.Serve(ctx); err != nil && ctx.Err() == nil {
		log.Error("runner stopped", "err", err)
		return 1
	}
	log.Info("runner stopped cleanly")
	return 0
}
