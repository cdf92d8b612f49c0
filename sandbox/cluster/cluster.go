// Package cluster runs scenarios on other machines over NATS: a web
// server's runs wait in a JetStream work queue, runner processes pull them
// when they have a free slot and run each in their own sandbox, and the
// events come back on per-run subjects of core NATS. Client is the server's
// side (a server.Runner); Worker is the runner's.
//
// Subjects, all under the prefix "interleave":
//
//	interleave.runs              the work queue (stream INTERLEAVE_RUNS, consumer "runners")
//	interleave.run.ID.ev         runner to server: start, heartbeats, event batches, the result;
//	                             an exploration's progress and report; an interactive run's
//	                             choices, refused picks and restarts
//	interleave.run.ID.cancel     server to runner: stop the run
//	interleave.run.ID.pick       server to runner: a pick or undo of an interactive run
//	interleave.presence          runner to servers: who is up and how many slots are free
//
// A run is started at most once. A runner that takes a run from the queue
// first asks its server, on the run's subject, whether it may start; the
// server says yes once, and no to any later runner, so a message the queue
// redelivers (its runner died before acknowledging it, or the
// acknowledgement was lost in an outage) is never run twice. The runner
// acknowledges the message only once it has that yes: a run lost before
// it started is redelivered to another runner, a run lost after it started
// ends with status error and its partial timeline rather than being run
// again behind the student's back.
//
// While a run waits, its server tells the client its place in the one
// line all servers share, computed from the stream and the consumer (see
// line.where), and started only once a runner has the yes. A run that
// waits past its deadline (Options.QueueWait) is refused as busy and
// deleted from the stream; its message carries the deadline, so a runner
// that takes it late drops it, and its server, no longer listening, would
// not say yes anyway.
//
// An exploration and an interactive run (You schedule) travel the same
// way and take one runner slot each: the queued message says which
// (work.Explore, work.Interact). An exploration's progress and its
// report come back on the run's subject; an interactive run's choices
// come back there too, and the person's picks go to the runner on the
// run's pick subject, which only the run's runner listens to.
package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"

	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
)

// Names of the stream, its consumer and the subjects.
const (
	Stream          = "INTERLEAVE_RUNS"
	Consumer        = "runners"
	SubjectRuns     = "interleave.runs"
	SubjectPresence = "interleave.presence"
)

// Message kinds on a run's event subject: the first byte of each message.
const (
	kindStart  byte = 'S' // a request: may this runner start the run? reply "ok" or "no"
	kindBeat   byte = 'B' // the runner is alive
	kindEvents byte = 'E' // a batch of events in trace's binary form
	kindResult byte = 'R' // the result as JSON; the last message of a run

	kindProgress byte = 'P' // an exploration's progress as JSON
	kindExplored byte = 'X' // an exploration's report or failure as JSON (explored); its last message

	kindChoice  byte = 'C' // an interactive run's choice as JSON, after every event before it
	kindRefused byte = 'F' // the child refused the last pick: the reason as text
	kindRestart byte = 'T' // an undo restarted the run: the schedule it replays, as text
)

// Heartbeat is how often a runner tells the server its run is alive;
// HeartbeatTimeout how long the server waits for a sign before it calls the
// runner dead. Three missed beats: a runner's last sign is at most one
// beat before it died and the server looks every half beat, so a dead
// runner is noticed 1 to 1.75 s after it died, within the 2 s promised.
const (
	Heartbeat        = 500 * time.Millisecond
	HeartbeatTimeout = 3 * Heartbeat
	presenceEvery    = time.Second
	// stopGrace is the silence a stopped run's runner gets beyond
	// HeartbeatTimeout to send its result.
	stopGrace   = 3 * time.Second
	presenceTTL = 3 * presenceEvery
)

func eventSubject(id string) string  { return "interleave.run." + id + ".ev" }
func cancelSubject(id string) string { return "interleave.run." + id + ".cancel" }
func pickSubject(id string) string   { return "interleave.run." + id + ".pick" }

// work is one queued run.
type work struct {
	ID  string         `json:"id"`
	Req engine.Request `json:"req"`
	// Deadline is when the run's server stops waiting for a runner and
	// tells its client the run failed; a runner that takes the run later
	// drops it without asking.
	Deadline time.Time `json:"deadline,omitzero"`
	// Explore makes the run an exploration with these options.
	Explore *explore.Options `json:"explore,omitempty"`
	// Interact makes the run an interactive one: its choices wait for
	// picks from the pick subject.
	Interact *interact `json:"interact,omitempty"`
}

// interact is what a runner needs to know of an interactive run.
type interact struct {
	// Idle ends the run, status stopped, when a choice waits that long
	// for a pick (the server's -pick-timeout); the sandbox's default
	// when zero.
	Idle time.Duration `json:"idle_ns,omitempty"`
}

// explored is an exploration's last message: its report, or why there
// is none (options out of range, a child that died).
type explored struct {
	Report *explore.Report `json:"report,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// presence is a runner's periodic announcement.
type presence struct {
	Runner string `json:"runner"`
	Slots  int    `json:"slots"`
	Free   int    `json:"free"`
	Gone   bool   `json:"gone,omitempty"`
}

// Options are how to reach and authenticate to NATS. User and Password,
// or NkeySeed (a file holding an nkey seed), are optional.
type Options struct {
	URL      string
	User     string
	Password string
	NkeySeed string
	Name     string // the connection's name in the NATS server's monitoring

	// QueueWait is how long a server lets a run wait in the queue for a
	// runner before it tells the client busy and takes the run back;
	// DefaultQueueWait when zero. Runners ignore it.
	QueueWait time.Duration
}

// DefaultQueueWait is Options.QueueWait's default: far longer than a busy
// cluster keeps a run waiting (a class of runs of the default 10 s limit
// on a few runners), far shorter than a student waits for nothing.
const DefaultQueueWait = 2 * time.Minute

// OptionsFromEnv fills the empty fields of o from INTERLEAVE_NATS,
// INTERLEAVE_NATS_USER, INTERLEAVE_NATS_PASSWORD and INTERLEAVE_NATS_NKEY,
// so that a password need not appear on a command line.
func OptionsFromEnv(o Options) Options {
	set := func(f *string, env string) {
		if *f == "" {
			*f = os.Getenv(env)
		}
	}
	set(&o.URL, "INTERLEAVE_NATS")
	set(&o.User, "INTERLEAVE_NATS_USER")
	set(&o.Password, "INTERLEAVE_NATS_PASSWORD")
	set(&o.NkeySeed, "INTERLEAVE_NATS_NKEY")
	return o
}

// connect opens a connection that reconnects by itself forever and
// starts even when NATS is not up yet.
func connect(o Options, onState func(connected bool)) (*nats.Conn, error) {
	if o.URL == "" {
		return nil, errors.New("connect to nats: no URL")
	}
	opts := []nats.Option{
		nats.Name(o.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(true),
		nats.PingInterval(5 * time.Second),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { onState(false) }),
		nats.ReconnectHandler(func(*nats.Conn) { onState(true) }),
		nats.ConnectHandler(func(*nats.Conn) { onState(true) }),
	}
	if o.User != "" {
		opts = append(opts, nats.UserInfo(o.User, o.Password))
	}
	if o.NkeySeed != "" {
		opt, err := nats.NkeyOptionFromSeed(o.NkeySeed)
		if err != nil {
			return nil, fmt.Errorf("read nkey seed: %w", err)
		}
		opts = append(opts, opt)
	}
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats: %w", err)
	}
	return nc, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only the package's own plain structs are encoded
	}
	return b
}
