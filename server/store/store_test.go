package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%q) error = %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSnippetsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data", "interleave.db")
	s := open(t, path)
	src := "def main():\n    print(\"hi\")\n"
	id, err := s.PutSnippet(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != IDLen || !ValidID(id) {
		t.Errorf("PutSnippet() id = %q, want %d base64url characters", id, IDLen)
	}
	again, err := s.PutSnippet(ctx, src)
	if err != nil || again != id {
		t.Errorf("PutSnippet(same text) = %q, %v, want %q", again, err, id)
	}
	if other, _ := s.PutSnippet(ctx, src+" "); other == id {
		t.Errorf("PutSnippet(other text) = %q, the same id", other)
	}
	s.Close()
	s2 := open(t, path)
	got, err := s2.Snippet(ctx, id)
	if err != nil || got != src {
		t.Errorf("Snippet(%q) after reopening = %q, %v, want the text", id, got, err)
	}
}

func TestNotFound(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "x.db"))
	for _, id := range []string{"AAAAAAAAAAA", "short", "bad/chars!!", "' OR 1=1 --"} {
		if _, err := s.Snippet(context.Background(), id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Snippet(%q) error = %v, want ErrNotFound", id, err)
		}
		if _, _, err := s.Run(context.Background(), id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Run(%q) error = %v, want ErrNotFound", id, err)
		}
	}
}

func TestRuns(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "x.db"))
	body := []byte(`{"result":{"status":"ok"},"events":[` + strings.Repeat(`{"seq":1},`, 1000) + `{"seq":2}]}`)
	id, err := s.PutRun(ctx, RunMeta{Scenario: "lost-update", Mode: "os", Status: "ok", Events: 1001}, body)
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := s.PutRun(ctx, RunMeta{Scenario: "lost-update"}, body)
	if id == id2 {
		t.Errorf("two runs got the same id %q", id)
	}
	m, got, err := s.Run(ctx, id)
	if err != nil || string(got) != string(body) || m.Events != 1001 || m.Status != "ok" {
		t.Errorf("Run(%q) = %+v, %d bytes, %v", id, m, len(got), err)
	}
	n, err := s.DeleteRunsBefore(ctx, time.Now().Add(time.Hour))
	if err != nil || n != 2 {
		t.Errorf("DeleteRunsBefore(later) = %d, %v, want 2", n, err)
	}
	if _, _, err := s.Run(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("Run after retention = %v, want ErrNotFound", err)
	}
}

func TestOpenCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "corrupt.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("this is not sqlite ", 500)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path)
	if err == nil {
		t.Fatal("Open(corrupt file) = nil error")
	}
	if msg := Describe(err); !strings.Contains(msg, "corrupt") {
		t.Errorf("Describe(%v) = %q, want it to say the file is corrupt", err, msg)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s := open(t, path)
	if _, err := s.db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open(newer schema) error = %v, want a refusal", err)
	}
}

// TestOpenUnwritableFolder checks that a folder the user may not write to
// is named, with the user and the fix, not only SQLite's "(14)". Root
// may write anywhere, so as root the test runs itself again as nobody.
func TestOpenUnwritableFolder(t *testing.T) {
	if dir := os.Getenv("STORE_TEST_UNWRITABLE"); dir != "" {
		checkUnwritable(t, dir)
		return
	}
	// Not t.TempDir: its parent is private to this user.
	base, err := os.MkdirTemp("", "store-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	dir := filepath.Join(base, "data")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		checkUnwritable(t, dir)
		return
	}
	// Copy the test binary where nobody can run it, and run this test as nobody.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	self := filepath.Join(base, "store.test")
	if err := os.WriteFile(self, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^TestOpenUnwritableFolder$", "-test.v")
	cmd.Env = append(os.Environ(), "STORE_TEST_UNWRITABLE="+dir, "HOME=/")
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	var pe *os.PathError
	if errors.As(err, &pe) {
		t.Skipf("cannot run the test as uid 65534 here (a noexec temporary folder?): %v", err)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Errorf("the test run as uid 65534: %v\n%s", err, out)
	}
}

func checkUnwritable(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, "interleave.db")
	_, err := Open(path)
	if err == nil {
		t.Fatalf("Open(%q) in a read-only folder error = nil, want one", path)
	}
	msg := Describe(err)
	for _, want := range []string{dir, fmt.Sprintf("uid %d", os.Geteuid()), "write access", "-db"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Describe(Open(%q)) = %q, want it to contain %q", path, msg, want)
		}
	}
}

func TestOpenFolderAsFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir)
	if err == nil {
		t.Fatalf("Open(a folder) error = nil, want one")
	}
	if msg := Describe(err); !strings.Contains(msg, "is a folder") || !strings.Contains(msg, dir) {
		t.Errorf("Describe(Open(%q)) = %q, want it to say the path is a folder", dir, msg)
	}
}
