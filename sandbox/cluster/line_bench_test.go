package cluster

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
)

// BenchmarkLookAtLine measures one look at the queue by a server with
// runs waiting (stream info with its deleted messages, then consumer
// info), over a line of 200 runs with every third one gone, against a
// plain stream info.
func BenchmarkLookAtLine(b *testing.B) {
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: b.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		b.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(20 * time.Second) {
		b.Fatal("nats server not ready in 20 s")
	}
	defer ns.Shutdown()
	c, err := NewClient(Options{URL: ns.ClientURL()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for !c.ready.Load() {
		time.Sleep(10 * time.Millisecond)
	}
	ctx := context.Background()
	var seqs []uint64
	for range 200 {
		ack, err := c.js.Publish(ctx, SubjectRuns, []byte(`{"id":"x"}`))
		if err != nil {
			b.Fatal(err)
		}
		seqs = append(seqs, ack.Sequence)
	}
	for i := 1; i < len(seqs); i += 3 {
		c.unqueue(seqs[i])
	}
	b.Run("line", func(b *testing.B) {
		for range b.N {
			l, _, err := c.lookAtLine(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if pl, pos := l.where(seqs[198]); pl != placeWaiting || pos != 133 {
				b.Fatalf("where(199) = %v, %d, want waiting, 133", pl, pos)
			}
		}
	})
	// The comparator: the plain stream info every server asks for once
	// a second for its queue depth.
	b.Run("stream-info", func(b *testing.B) {
		for range b.N {
			if _, err := c.stream.Info(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
