package limits_test

import (
	"testing"
	"time"

	"interleave/limits"
)

// with returns the defaults with f applied.
func with(f func(*limits.Limits)) limits.Limits {
	l := limits.Default
	f(&l)
	return l
}

func TestWithDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   limits.Limits
		want limits.Limits
	}{
		{"zero", limits.Limits{}, limits.Default},
		{"threads only: memory, CPU and wall still limited", limits.Limits{Threads: 8},
			with(func(l *limits.Limits) { l.Threads = 8 })},
		{"memory only", limits.Limits{MemoryBytes: 64 << 20},
			with(func(l *limits.Limits) { l.MemoryBytes = 64 << 20 })},
		{"script only", limits.Limits{Script: 100000},
			with(func(l *limits.Limits) { l.Script = 100000 })},
		{"negatives are defaults, never none", limits.Limits{Wall: -1, CPUSeconds: -1, MemoryBytes: -1, Events: -5},
			limits.Default},
		{"all set", limits.Limits{Script: 1, Wall: time.Second, Explore: 9 * time.Second, CPUSeconds: 2, MemoryBytes: 3, Threads: 4, GreenThreads: 5, Events: 6, Steps: 7, Output: 8},
			limits.Limits{Script: 1, Wall: time.Second, Explore: 9 * time.Second, CPUSeconds: 2, MemoryBytes: 3, Threads: 4, GreenThreads: 5, Events: 6, Steps: 7, Output: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.WithDefaults(); got != tt.want {
				t.Errorf("%+v.WithDefaults() = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDefaultIsNamedConstants(t *testing.T) {
	want := limits.Limits{Script: limits.DefaultScript, Wall: limits.DefaultWall, Explore: limits.DefaultExplore, CPUSeconds: limits.DefaultCPUSeconds,
		MemoryBytes: limits.DefaultMemoryBytes, Threads: limits.DefaultThreads, GreenThreads: limits.DefaultGreenThreads,
		Events: limits.DefaultEvents, Steps: limits.DefaultSteps, Output: limits.DefaultOutput}
	if limits.Default != want {
		t.Errorf("Default = %+v, want %+v", limits.Default, want)
	}
}

func TestWithin(t *testing.T) {
	server := limits.Limits{Script: 100000, Wall: 20 * time.Second, Threads: 8, Events: 1000}
	tests := []struct {
		name    string
		req     limits.Limits
		most    limits.Limits
		wantGot func(*limits.Limits)
	}{
		{"an empty request takes the server's", limits.Limits{}, server, func(l *limits.Limits) {
			l.Script, l.Wall, l.Threads, l.Events = 100000, 20*time.Second, 8, 1000
		}},
		{"a tighter request keeps its own", limits.Limits{Events: 10, Steps: 50000, Wall: time.Second}, server, func(l *limits.Limits) {
			l.Script, l.Wall, l.Threads, l.Events, l.Steps = 100000, time.Second, 8, 10, 50000
		}},
		{"a looser request is capped", limits.Limits{Script: 1 << 30, Events: 1 << 30, MemoryBytes: 1 << 40}, server, func(l *limits.Limits) {
			l.Script, l.Wall, l.Threads, l.Events = 100000, 20*time.Second, 8, 1000
		}},
		{"an empty cap is the defaults", limits.Limits{Threads: 1000}, limits.Limits{}, func(*limits.Limits) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := with(tt.wantGot)
			if got := tt.req.Within(tt.most); got != want {
				t.Errorf("%+v.Within(%+v) = %+v, want %+v", tt.req, tt.most, got, want)
			}
		})
	}
}

func TestScenarioThreads(t *testing.T) {
	l := limits.Limits{Threads: 3, GreenThreads: 7}
	for _, tt := range []struct {
		osMode bool
		want   int
	}{{true, 3}, {false, 7}} {
		if got := l.ScenarioThreads(tt.osMode); got != tt.want {
			t.Errorf("ScenarioThreads(%v) = %d, want %d", tt.osMode, got, tt.want)
		}
	}
}

func TestStackBytes(t *testing.T) {
	for _, tt := range []struct {
		mem  int64
		want int
	}{{0, 64 << 20}, {64 << 20, 16 << 20}, {1 << 30, 64 << 20}} {
		if got := (limits.Limits{MemoryBytes: tt.mem}).StackBytes(); got != tt.want {
			t.Errorf("Limits{MemoryBytes: %d}.StackBytes() = %d, want %d", tt.mem, got, tt.want)
		}
	}
}

func TestScriptTooLarge(t *testing.T) {
	for _, tt := range []struct {
		name, got, want string
	}{
		{"ScriptTooLarge(100001, 100000)", limits.ScriptTooLarge(100001, 100000), "The script is 100001 bytes; the script size limit is 100000 bytes."},
		{"ScriptOverLimit(100000)", limits.ScriptOverLimit(100000), "The script is more than 100000 bytes; the script size limit is 100000 bytes."},
		{"ScriptSizeError{100001, 100000}", (&limits.ScriptSizeError{Size: 100001, Limit: 100000}).Error(), limits.ScriptTooLarge(100001, 100000)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
			}
		})
	}
}
