package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus metrics, on a registry of its own so
// that several servers (tests) never collide.
type metrics struct {
	reg         *prometheus.Registry
	runs        *prometheus.CounterVec
	wait        prometheus.Histogram
	duration    prometheus.Histogram
	childStart  prometheus.Histogram
	events      prometheus.Counter
	dropped     prometheus.Counter
	shed        prometheus.Counter
	busy        prometheus.Counter
	rateLimited *prometheus.CounterVec
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "interleave_runs_total", Help: "Runs finished, by status.",
		}, []string{"status"}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "interleave_run_wait_seconds", Help: "Time runs waited in the queue for a slot.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 14),
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "interleave_run_duration_seconds", Help: "Wall time of runs, from child start to result.",
			Buckets: prometheus.ExponentialBuckets(0.002, 2.5, 12),
		}),
		childStart: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "interleave_child_start_seconds", Help: "Time from starting a run's child to its first event.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "interleave_events_streamed_total", Help: "Events sent to WebSocket clients.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "interleave_websocket_dropped_total", Help: "WebSocket clients dropped for reading too slowly or failing.",
		}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "interleave_events_shed_total", Help: "Events not sent to clients that fell behind.",
		}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "interleave_busy_total", Help: "Runs refused because the queue was full.",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "interleave_rate_limited_total", Help: "Requests refused by a per-client rate limit, by kind.",
		}, []string{"kind"}),
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	m.reg.MustRegister(
		m.runs, m.wait, m.duration, m.childStart, m.events, m.dropped, m.shed, m.busy, m.rateLimited,
		gauge("interleave_runs_running", "Runs holding a CPU slot: computing, not waiting for a pick.", func() float64 { r, _ := s.admit.stats(); return float64(r) }),
		gauge("interleave_interactive_runs", "You schedule runs open, computing or waiting for a pick.", func() float64 { l, _ := s.admit.interactiveStats(); return float64(l) }),
		gauge("interleave_interactive_waiting", "You schedule runs whose child waits for its person's pick.", func() float64 { _, w := s.admit.interactiveStats(); return float64(w) }),
		gauge("interleave_interactive_max", "You schedule runs allowed at once.", func() float64 { return float64(s.admit.maxInteractive) }),
		gauge("interleave_run_queue_length", "Runs waiting for a slot.", func() float64 { _, w := s.admit.stats(); return float64(w) }),
		gauge("interleave_run_slots", "Runs allowed at once.", func() float64 { return float64(s.admit.slots) }),
		gauge("interleave_websockets_open", "Open WebSocket connections.", func() float64 { return float64(s.sockets.Load()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.reg.MustRegister(s.cfg.Collectors...)
	return m
}
