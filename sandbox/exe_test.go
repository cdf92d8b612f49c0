package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

func TestExecutableByAll(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("copies are made for root servers only")
	}
	private := t.TempDir()
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(private, "bin")
	if err := os.WriteFile(exe, []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if reachableByAll(exe) {
		t.Fatalf("reachableByAll(%q) = true in a 0700 directory", exe)
	}
	path, cleanup, err := executableByAll(exe)
	if err != nil {
		t.Fatal(err)
	}
	if path == exe || !reachableByAll(path) {
		t.Errorf("executableByAll(%q) = %q, want a copy anyone can execute", exe, path)
	}
	if b, _ := os.ReadFile(path); string(b) != "#!/bin/true\n" {
		t.Errorf("the copy holds %q", b)
	}
	cleanup()
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Errorf("cleanup left %s behind", filepath.Dir(path))
	}
	for _, dir := range []string{private, filepath.Dir(private)} { // t.TempDir makes both 0700
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	same, cleanup, err := executableByAll(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if same != exe {
		t.Errorf("executableByAll(reachable %q) = %q, want it unchanged", exe, same)
	}
}
