package sandbox

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"

	"interleave/sandbox/sandboxtest"
)

// An order too large for the spawner to read whole is refused before it
// is sent, and the spawner goes on starting children.
func TestSpawnerRefusesOversizeOrder(t *testing.T) {
	s := newSpawner(sandboxtest.Binary(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer s.close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	big := exec.Command("/bin/true", strings.Repeat("x", maxOrder))
	if _, err := s.start(big, devnull, io.Discard); err == nil || !strings.Contains(err.Error(), "over the") {
		t.Fatalf("start(an order of %d bytes) error = %v, want it refused for its size", maxOrder, err)
	}
	p, err := s.start(exec.Command("/bin/true"), devnull, io.Discard)
	if err != nil {
		t.Fatalf("start(/bin/true) after the refusal: %v", err)
	}
	if _, err := p.wait(); err != nil {
		t.Errorf("/bin/true through the spawner ended with %v, want exit code 0", err)
	}
}

func TestProcState(t *testing.T) {
	if got := procState(os.Getpid()); got != 'R' && got != 'S' {
		t.Errorf("procState(self) = %q, want R or S", got)
	}
	if got := procState(-1); got != 0 {
		t.Errorf("procState(-1) = %q, want 0", got)
	}
}
