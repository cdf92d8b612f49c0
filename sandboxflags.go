package main

import (
	"flag"
	"fmt"
	"time"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/isolate"
)

// sandboxOpts are the flags that set the sandbox's level and the runs'
// limits, shared by serve, run, explore and runner. They make the one
// limits.Limits that main hands to the server and the sandbox.
type sandboxOpts struct {
	level     *string
	wall      *time.Duration
	explore   *time.Duration
	cpu       *int
	memoryMiB *int
	threads   *int
	output    *int
	events    *int
	script    *int
}

func sandboxFlags(fs *flag.FlagSet) *sandboxOpts {
	d := limits.Default
	return &sandboxOpts{
		level:     fs.String("sandbox", envOr("INTERLEAVE_SANDBOX", "auto"), "isolation: strict (refuse to start without namespaces and seccomp), auto, or off (debugging only) (env INTERLEAVE_SANDBOX)"),
		wall:      fs.Duration("timeout", envDuration("INTERLEAVE_TIMEOUT", d.Wall), "wall-clock limit of a run (env INTERLEAVE_TIMEOUT)"),
		explore:   fs.Duration("explore-timeout", envDuration("INTERLEAVE_EXPLORE_TIMEOUT", d.Explore), fmt.Sprintf("wall-clock limit of an exploration, all its runs together, at most %s; its process gets twice as many seconds of CPU (env INTERLEAVE_EXPLORE_TIMEOUT)", limits.MaxExplore)),
		cpu:       fs.Int("cpu", envInt("INTERLEAVE_CPU", d.CPUSeconds), "CPU seconds per run (env INTERLEAVE_CPU)"),
		memoryMiB: fs.Int("memory", envInt("INTERLEAVE_MEMORY", int(d.MemoryBytes>>20)), "memory per run in MiB (env INTERLEAVE_MEMORY)"),
		threads:   fs.Int("threads", envInt("INTERLEAVE_THREADS", d.Threads), "scenario threads per run in os mode, each an OS thread (env INTERLEAVE_THREADS)"),
		output:    fs.Int("output", envInt("INTERLEAVE_OUTPUT", d.Output), "bytes of print output per run (env INTERLEAVE_OUTPUT)"),
		events:    fs.Int("events", envInt("INTERLEAVE_EVENTS", d.Events), "events recorded per run; later ones are dropped (env INTERLEAVE_EVENTS)"),
		script:    scriptFlag(fs),
	}
}

// scriptFlag is -max-script, which list takes too: a course file over it
// is reported as a problem, since it could not run.
func scriptFlag(fs *flag.FlagSet) *int {
	return fs.Int("max-script", envInt("INTERLEAVE_MAX_SCRIPT", limits.DefaultScript), "script size limit in bytes (env INTERLEAVE_MAX_SCRIPT)")
}

// positive refuses a limit flag that is zero or negative: on the command
// line that is a mistake, not a request for the default.
func positive(name string, v int64) error {
	if v <= 0 {
		return fmt.Errorf("-%s must be positive, not %d", name, v)
	}
	return nil
}

// limits checks the flags and builds the runs' limits from them, once.
func (o *sandboxOpts) limits() (limits.Limits, error) {
	if *o.wall <= 0 {
		return limits.Limits{}, fmt.Errorf("-timeout must be positive, not %s", *o.wall)
	}
	if *o.explore < time.Second || *o.explore > limits.MaxExplore {
		return limits.Limits{}, fmt.Errorf("-explore-timeout must be from 1s to %s, not %s", limits.MaxExplore, *o.explore)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"cpu", int64(*o.cpu)}, {"memory", int64(*o.memoryMiB)}, {"threads", int64(*o.threads)},
		{"output", int64(*o.output)}, {"events", int64(*o.events)}, {"max-script", int64(*o.script)}} {
		if err := positive(f.name, f.v); err != nil {
			return limits.Limits{}, err
		}
	}
	return limits.Limits{
		Script:      *o.script,
		Wall:        *o.wall,
		Explore:     *o.explore,
		CPUSeconds:  *o.cpu,
		MemoryBytes: int64(*o.memoryMiB) << 20,
		Threads:     *o.threads,
		Events:      *o.events,
		Output:      *o.output,
	}.WithDefaults(), nil
}

// config is the sandbox's configuration: the level and the limits.
func (o *sandboxOpts) config() (sandbox.Config, error) {
	level, err := isolate.ParseLevel(*o.level)
	if err != nil {
		return sandbox.Config{}, err
	}
	lim, err := o.limits()
	if err != nil {
		return sandbox.Config{}, err
	}
	return sandbox.Config{Level: level, Limits: lim}, nil
}
