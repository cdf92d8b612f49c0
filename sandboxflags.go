package main

import (
	"flag"
	"fmt"
	"time"

	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/isolate"
	"interleave/scenarios"
)

// sandboxOpts are the flags that set the sandbox's level and per-run
// limits, shared by serve and run.
type sandboxOpts struct {
	level     *string
	cpu       *int
	memoryMiB *int
	threads   *int
	output    *int
	events    *int
	script    *int
}

func sandboxFlags(fs *flag.FlagSet) *sandboxOpts {
	d := isolate.DefaultLimits
	return &sandboxOpts{
		level:     fs.String("sandbox", envOr("INTERLEAVE_SANDBOX", "auto"), "isolation: strict (refuse to start without namespaces and seccomp), auto, or off (debugging only) (env INTERLEAVE_SANDBOX)"),
		cpu:       fs.Int("cpu", envInt("INTERLEAVE_CPU", d.CPUSeconds), "CPU seconds per run (env INTERLEAVE_CPU)"),
		memoryMiB: fs.Int("memory", envInt("INTERLEAVE_MEMORY", int(d.MemoryBytes>>20)), "memory per run in MiB (env INTERLEAVE_MEMORY)"),
		threads:   fs.Int("threads", envInt("INTERLEAVE_THREADS", engine.DefaultThreadsOS), "scenario threads per run in os mode (env INTERLEAVE_THREADS)"),
		output:    fs.Int("output", envInt("INTERLEAVE_OUTPUT", engine.DefaultOutput), "bytes of print output per run (env INTERLEAVE_OUTPUT)"),
		events:    fs.Int("events", envInt("INTERLEAVE_EVENTS", engine.DefaultEvents), "events recorded per run; later ones are dropped (env INTERLEAVE_EVENTS)"),
		script:    fs.Int("max-script", envInt("INTERLEAVE_MAX_SCRIPT", scenarios.MaxSource), "script size limit in bytes (env INTERLEAVE_MAX_SCRIPT)"),
	}
}

func (o *sandboxOpts) config(timeout time.Duration) (sandbox.Config, error) {
	level, err := isolate.ParseLevel(*o.level)
	if err != nil {
		return sandbox.Config{}, err
	}
	for name, v := range map[string]int{"cpu": *o.cpu, "memory": *o.memoryMiB, "threads": *o.threads, "output": *o.output, "events": *o.events, "max-script": *o.script} {
		if v <= 0 {
			return sandbox.Config{}, fmt.Errorf("-%s must be positive, not %d", name, v)
		}
	}
	return sandbox.Config{
		Timeout:   timeout,
		Level:     level,
		MaxScript: *o.script,
		OS:        isolate.Limits{CPUSeconds: *o.cpu, MemoryBytes: int64(*o.memoryMiB) << 20, Threads: *o.threads},
		Limits:    engine.Limits{Threads: *o.threads, Events: *o.events, Output: *o.output},
	}, nil
}

// limitsReport is the limits as /healthz shows them.
func limitsReport(c sandbox.Config) map[string]any {
	return map[string]any{
		"wall_seconds":         c.Timeout.Seconds(),
		"explore_wall_seconds": c.ExploreTimeout.Seconds(),
		"cpu_seconds":          c.OS.CPUSeconds,
		"memory_mib":           c.OS.MemoryBytes >> 20,
		"threads_os":           c.Limits.Threads,
		"output_bytes":         c.Limits.Output,
		"events":               c.Limits.Events,
		"script_bytes":         c.MaxScript,
	}
}
