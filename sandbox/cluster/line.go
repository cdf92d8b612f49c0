package cluster

import (
	"context"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// lineEvery is how often a server with runs waiting in the queue looks at
// the line again: the positions it tells its clients are that fresh.
const lineEvery = 200 * time.Millisecond

// line is the work queue as last seen by this server, shared by all the
// servers of the cluster: the stream's range of sequence numbers, the
// messages gone from inside it, and how far the runners have taken.
// Positions computed from it are true across servers, since every server
// publishes to and every runner takes from the same stream.
type line struct {
	first, last uint64   // the stream's first and last sequence
	deleted     []uint64 // sorted; messages gone from between first and last
	delivered   uint64   // the last stream sequence handed to a runner
}

// A queued message's place in the line.
type place int

const (
	placeUnknown place = iota // the line was seen before the message was queued
	placeWaiting              // no runner has had it yet
	placeTaken                // a runner has it: it is starting, or was given back
	placeGone                 // it is no longer in the queue
)

// where says where the message seq is, and when it waits its position,
// counted from 1: one more than the messages still queued before it
// that no runner has had yet. Runners take the undelivered messages in
// sequence order, one per free slot, so this is the order they start in.
func (l *line) where(seq uint64) (place, int) {
	switch {
	case l == nil || seq > l.last:
		return placeUnknown, 0
	case seq < l.first || l.isDeleted(seq):
		return placeGone, 0
	case seq <= l.delivered:
		return placeTaken, 0
	}
	from := max(l.first, l.delivered+1)
	lo, _ := slices.BinarySearch(l.deleted, from)
	hi, _ := slices.BinarySearch(l.deleted, seq)
	return placeWaiting, int(seq-from) - (hi - lo) + 1
}

func (l *line) isDeleted(seq uint64) bool {
	_, ok := slices.BinarySearch(l.deleted, seq)
	return ok
}

// watchLine refreshes the line while this server has runs waiting in it.
func (c *Client) watchLine() {
	defer c.wg.Done()
	t := time.NewTicker(lineEvery)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		if c.waiting.Load() == 0 || !c.ready.Load() || !c.nc.IsConnected() {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		l, msgs, err := c.lookAtLine(ctx)
		cancel()
		if err != nil {
			c.log.Debug("cannot see the run queue", "err", err)
			continue
		}
		c.line.Store(l)
		c.queue.Store(int64(msgs))
	}
}

// lookAtLine reads the stream before the consumer: a message the stream
// shows may have been taken by the time the consumer is read, which
// where reports as taken, never the other way round.
func (c *Client) lookAtLine(ctx context.Context) (*line, uint64, error) {
	c.mu.Lock()
	st := c.stream
	c.mu.Unlock()
	info, err := st.Info(ctx, jetstream.WithDeletedDetails(true))
	if err != nil {
		return nil, 0, err
	}
	cons, err := st.Consumer(ctx, Consumer)
	if err != nil {
		return nil, 0, err
	}
	s := info.State
	deleted := slices.Clone(s.Deleted)
	slices.Sort(deleted)
	return &line{first: s.FirstSeq, last: s.LastSeq, deleted: deleted, delivered: cons.CachedInfo().Delivered.Stream}, s.Msgs, nil
}
