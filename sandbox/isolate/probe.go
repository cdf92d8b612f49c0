package isolate

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// ProbeMain is the probe child: it enters the box its first argument
// describes and reports what it sees on stdout. With "escape PATH PORT"
// it also tries to get out (read PATH, connect to 127.0.0.1:PORT, fork,
// write a file) and reports each attempt; tests use it to prove the
// layers hold. It returns the exit code.
func ProbeMain(args []string) int {
	rep := ProbeReport{}
	defer func() {
		b, _ := json.Marshal(rep)
		os.Stdout.Write(b)
	}()
	if len(args) < 1 {
		rep.Error = "probe: no spec"
		return 0
	}
	spec, err := DecodeSpec(args[0])
	if err != nil {
		rep.Error = err.Error()
		return 0
	}
	if err := JoinCgroups(spec); err != nil {
		rep.Error = err.Error()
		return 0
	}
	rep.Cgroups = threadCgroups() // before Landlock and seccomp forbid reading them
	if err := CloseInherited(3); err != nil {
		rep.Error = err.Error()
		return 0
	}
	if err := Enter(spec); err != nil {
		rep.Error = err.Error()
		return 0
	}
	rep.Pid, rep.UID, rep.Env = os.Getpid(), os.Getuid(), len(os.Environ())
	if !cgoBuild {
		rep.Landlock = spec.Landlock
	}
	if len(args) == 4 && args[1] == "escape" {
		rep.Escapes = escape(args[2], args[3])
	}
	return 0
}

func escape(path, port string) map[string]string {
	res := map[string]string{}
	verdict := func(err error) string {
		if err != nil {
			return "denied: " + err.Error()
		}
		return "succeeded"
	}
	f, err := os.Open(path)
	if err == nil {
		f.Close()
	}
	res["open"] = verdict(err)
	if _, err := strconv.Atoi(port); err == nil {
		res["connect"] = verdict(dialLoopback(port))
	}
	// clone with only SIGCHLD is fork, and exists on every architecture
	// (arm64 has no fork call); seccomp allows clone for threads only.
	pid, _, errno := syscall.RawSyscall(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0)
	if errno == 0 {
		if pid == 0 {
			syscall.RawSyscall(syscall.SYS_EXIT, 0, 0, 0)
		}
		res["fork"] = "succeeded"
	} else {
		res["fork"] = verdict(errno)
	}
	name := fmt.Sprintf("/tmp/interleave-escape-%d", time.Now().UnixNano())
	w, err := os.Create(name)
	if err == nil {
		w.Close()
		os.Remove(name)
	}
	res["write"] = verdict(err)
	return res
}

// dialLoopback connects to 127.0.0.1:port with bare system calls: the net
// package's initialisation would cost every child and CLI process that
// links this package, for a probe only tests run.
func dialLoopback(port string) error {
	n, err := strconv.Atoi(port)
	if err != nil {
		return err
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer syscall.Close(fd)
	if err := syscall.Connect(fd, &syscall.SockaddrInet4{Port: n, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	return nil
}
