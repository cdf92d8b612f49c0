package main

import (
	"context"
	"testing"
	"time"

	"interleave/sandbox/sandboxtest"
)

// TestShortLoad is the load tool's run in CI: a few clients for a few
// seconds against a real server, with zero errors.
func TestShortLoad(t *testing.T) {
	cmd, url, err := startServer(sandboxtest.Binary(t), []string{"-max-runs", "2", "-db", ""}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	rep, err := Load(context.Background(), Config{
		URL: url, Clients: 4, Idle: 20, Duration: 3 * time.Second, PID: cmd.Process.Pid,
		Run: `{"type":"run","scenario":"lost-update","mode":"os","params":{"threads":2,"iterations":50}}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", rep)
	if rep.Failed != 0 || rep.Runs == 0 {
		t.Errorf("load: %d runs, %d failed (%v), want some runs and none failed", rep.Runs, rep.Failed, rep.Errors)
	}
	if rep.IdleHeld != 20 {
		t.Errorf("idle sockets held = %d, want 20", rep.IdleHeld)
	}
	if rep.PeakRSSKiB == 0 {
		t.Errorf("peak RSS not measured")
	}
}
