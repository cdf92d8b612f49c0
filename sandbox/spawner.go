package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A spawner is a small process that starts a Runner's children for it.
//
// Why: forking copies the forking process's page tables and makes every
// page of its heap copy-on-write until the child has called exec. The Go
// runtime cannot vfork a child that gets a user namespace (it writes the
// child's id maps while the child waits), so a server with a 100 MB heap
// that forks 20 children a second takes a copy-on-write fault on each
// page it writes afterwards: on a VM whose page faults cost 11 µs that
// was 60% of the server's CPU under a class's load. The spawner's heap
// is a few hundred kilobytes. It is the same binary, started once, and
// does nothing but start, signal and reap children as the Runner orders
// over a socket; it dies with the Runner (Pdeathsig), and its children
// die with it.
type spawner struct {
	exe string
	log *slog.Logger

	mu         sync.Mutex
	sock       *os.File    // the Runner's end, nil until started or after the spawner died
	proc       *os.Process // the spawner, while sock is set
	closed     bool        // by close: no spawner starts again
	nextID     uint64
	running    map[uint64]*spawned
	readerDone chan struct{}

	sendMu sync.Mutex
}

// spawned is a child started by the spawner.
type spawned struct {
	s       *spawner
	sock    *os.File // the socket of the spawner that starts it
	id      uint64
	pid     int
	started chan report   // the start report, once
	exited  chan struct{} // closed when reaped, or when the spawner died
	end     report        // set before exited is closed
	stderr  chan struct{} // closed when the child's stderr reached EOF
}

// A spawner that owes an answer (the start of a child, or the end of a
// child it was told to kill) is looked at every spawnerGrace, and killed
// if it is stopped (SIGSTOP, or a terminal's tostop): its children die
// with it, every run waiting on it ends with an error, and the next run
// starts a new one. Without this a stopped spawner would hold every run
// past its wall clock, and the server's slots with them. A spawner that
// is merely slow is left alone: under fifty hostile runs at once one
// owed answers for over a minute in CI (a fork into new namespaces
// waiting in the kernel, most likely), and killing it then ended every
// other run too.
const spawnerGrace = 5 * time.Second

// newSpawner returns a spawner of children of exe; it starts on first use.
func newSpawner(exe string, log *slog.Logger) *spawner {
	if log == nil {
		log = slog.Default()
	}
	return &spawner{exe: exe, log: log, running: map[uint64]*spawned{}}
}

// ensure starts the spawner process if it is not running. s.mu is held.
func (s *spawner) ensure() error {
	if s.sock != nil {
		return nil
	}
	if s.closed {
		return errors.New("start child: the runner is closed")
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("create spawner socket: %w", err)
	}
	// Ours only is non-blocking, for the runtime's poller; the spawner
	// reads its end with plain blocking calls.
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return fmt.Errorf("create spawner socket: %w", err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "spawner"), os.NewFile(uintptr(fds[1]), "spawner-child")
	cmd := exec.Command(s.exe, SpawnerArg)
	// Two Ps: a fork that waits in the kernel (a network namespace can
	// take seconds under load) holds one, and the reapers need another.
	cmd.Env = []string{"GOMAXPROCS=2"}
	cmd.Stderr = os.Stderr // a crash of the spawner is the operator's to read
	cmd.ExtraFiles = []*os.File{theirs}
	// Its own group, so a Ctrl-C at the terminal reaches the server, which
	// ends its runs in order, rather than the spawner with them.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		ours.Close()
		return fmt.Errorf("start spawner: %w", err)
	}
	s.sock, s.proc = ours, cmd.Process
	s.readerDone = make(chan struct{})
	go s.read(ours, cmd, s.readerDone)
	return nil
}

// read takes the spawner's reports until its socket ends, then reaps the
// spawner and tells every child still waiting that it is gone (they die
// with it).
func (s *spawner) read(sock *os.File, cmd *exec.Cmd, done chan struct{}) {
	defer close(done)
	buf := make([]byte, maxOrder)
	for {
		n, err := sock.Read(buf)
		if err != nil || n == 0 {
			break
		}
		var rep report
		if json.Unmarshal(buf[:n], &rep) != nil {
			continue
		}
		s.mu.Lock()
		p := s.running[rep.ID]
		if p != nil && rep.Exited {
			delete(s.running, rep.ID)
		}
		s.mu.Unlock()
		switch {
		case p == nil:
		case rep.Exited:
			p.end = rep
			close(p.exited)
		default:
			p.started <- rep
		}
	}
	s.mu.Lock()
	if s.sock == sock {
		s.sock, s.proc = nil, nil
	}
	orphans := s.running
	s.running = map[uint64]*spawned{}
	closed := s.closed
	s.mu.Unlock()
	sock.Close()
	err := cmd.Wait()
	if !closed {
		s.log.Warn("the spawner process ended; the runs it started end with an error, and the next run starts a new spawner",
			"pid", cmd.Process.Pid, "exit", fmt.Sprint(err), "runs", len(orphans))
	}
	for _, p := range orphans {
		p.end = report{ID: p.id, Exited: true, Err: "the spawner process that started it ended"}
		select {
		case p.started <- p.end:
		default:
		}
		close(p.exited)
	}
}

// start starts cmd as the spawner's child: cmd.Path, Args, Env,
// ExtraFiles and the SysProcAttr fields a box sets. The child's stdin is
// stdin and its stderr is copied into stderr until EOF.
func (s *spawner) start(cmd *exec.Cmd, stdin *os.File, stderr io.Writer) (*spawned, error) {
	er, ew, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create stderr pipe: %w", err)
	}
	defer ew.Close()
	o := order{Op: "start", Path: cmd.Path, Args: cmd.Args, Env: cmd.Env, Extra: len(cmd.ExtraFiles)}
	fds := []int{int(stdin.Fd()), int(ew.Fd())}
	for _, f := range cmd.ExtraFiles {
		fds = append(fds, int(f.Fd()))
	}
	if a := cmd.SysProcAttr; a != nil {
		o.Cloneflags, o.UIDMappings, o.GIDMappings, o.Credential = a.Cloneflags, a.UidMappings, a.GidMappings, a.Credential
		if a.UseCgroupFD {
			o.Cgroup = true
			fds = append(fds, a.CgroupFD)
		}
	}
	p, err := s.send(o, fds)
	if err != nil {
		er.Close()
		return nil, err
	}
	rep := p.awaitStart()
	if rep.Err != "" {
		er.Close()
		if !rep.Exited {
			s.forget(p)
		}
		return nil, errors.New(rep.Err)
	}
	p.pid = rep.Pid
	go func() {
		_, _ = io.Copy(stderr, er)
		er.Close()
		close(p.stderr)
	}()
	return p, nil
}

// send registers a child under a new id and sends its start order.
func (s *spawner) send(o order, fds []int) (*spawned, error) {
	s.mu.Lock()
	if err := s.ensure(); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	s.nextID++
	o.ID = s.nextID
	sock := s.sock
	p := &spawned{s: s, sock: sock, id: o.ID, started: make(chan report, 1), exited: make(chan struct{}), stderr: make(chan struct{})}
	s.running[o.ID] = p
	s.mu.Unlock()
	if err := s.write(sock, o, fds); err != nil {
		s.forget(p)
		return nil, err
	}
	return p, nil
}

// write sends one order with its descriptors.
func (s *spawner) write(sock *os.File, o order, fds []int) error {
	b, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encode spawner order: %w", err)
	}
	if len(b) > maxOrder {
		return fmt.Errorf("send spawner order: %d bytes, over the %d the spawner reads", len(b), maxOrder)
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	rc, err := sock.SyscallConn()
	if err != nil {
		return fmt.Errorf("spawner socket: %w", err)
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	var serr error
	err = rc.Write(func(fd uintptr) bool {
		serr = unix.Sendmsg(int(fd), b, oob, nil, 0)
		return serr != unix.EAGAIN
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("send spawner order: %w", err)
	}
	return nil
}

// kill kills the spawner that reads sock, if it still runs, saying why
// in the log. Its reader then ends every run it started.
func (s *spawner) kill(sock *os.File, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sock != sock || s.proc == nil {
		return
	}
	s.log.Warn("killing the spawner process: "+why, "pid", s.proc.Pid)
	// SIGQUIT first: a Go process prints where each goroutine is, on the
	// server's stderr, and exits; what a stuck spawner was doing is worth
	// an operator's reading. A stopped one cannot, so SIGKILL follows.
	proc := s.proc
	_ = proc.Signal(syscall.SIGQUIT)
	time.AfterFunc(time.Second, func() { _ = proc.Kill() })
}

// forget drops a child that never started.
func (s *spawner) forget(p *spawned) {
	s.mu.Lock()
	delete(s.running, p.id)
	s.mu.Unlock()
}

// signal asks the spawner to signal the child, and its process group
// too when group is set. A child already reaped is not signalled.
func (p *spawned) signal(sig syscall.Signal, group bool) error {
	select {
	case <-p.exited:
		return os.ErrProcessDone
	default:
	}
	p.s.mu.Lock()
	sock := p.s.sock
	p.s.mu.Unlock()
	if sock == nil || sock != p.sock {
		return os.ErrProcessDone
	}
	if err := p.s.write(sock, order{Op: "signal", ID: p.id, Signal: sig, Group: group}, nil); err != nil {
		return err
	}
	if sig == syscall.SIGKILL {
		go p.watch(p.exited, "a killed child's end")
	}
	return nil
}

// awaitStart waits for the spawner's report of the child's start.
func (p *spawned) awaitStart() report {
	got := make(chan struct{})
	defer close(got)
	go p.watch(got, "a start")
	return <-p.started
}

// watch looks at the spawner every spawnerGrace until done is closed: it
// owes what, and a stopped spawner is killed.
func (p *spawned) watch(done <-chan struct{}, what string) {
	t := time.NewTicker(spawnerGrace)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			p.s.lookAt(p.sock, what)
		}
	}
}

// lookAt kills the spawner reading sock if it is stopped, saying that it
// owes what.
func (s *spawner) lookAt(sock *os.File, what string) {
	s.mu.Lock()
	proc := s.proc
	current := s.sock == sock
	s.mu.Unlock()
	if !current || proc == nil {
		return
	}
	if st := procState(proc.Pid); st == 'T' || st == 't' {
		s.kill(sock, "it is stopped and owes "+what)
	}
}

// procState returns the state letter of process pid from /proc, or 0 if
// it cannot be read.
func procState(pid int) byte {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The state follows the command name, which is in parentheses and
	// may itself hold spaces or parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// wait blocks until the child is reaped and its stderr read, and returns
// the CPU time it used and how it ended (nil for exit code 0).
func (p *spawned) wait() (time.Duration, error) {
	<-p.exited
	// A process the child left behind may hold stderr open: the child's
	// own output is in by the time it has been reaped, or soon after.
	select {
	case <-p.stderr:
	case <-time.After(time.Second):
	}
	if p.end.Err != "" {
		return 0, errors.New(p.end.Err)
	}
	cpu := time.Duration(p.end.CPUNs)
	ws := syscall.WaitStatus(p.end.Status)
	if ws.Exited() && ws.ExitStatus() == 0 {
		return cpu, nil
	}
	return cpu, &exitError{ws: ws}
}

// close stops the spawner: it kills the children still running and
// exits. The Runner's own children must have ended.
func (s *spawner) close() {
	s.mu.Lock()
	sock, done := s.sock, s.readerDone
	s.closed = true
	s.mu.Unlock()
	if sock == nil {
		if done != nil {
			<-done
		}
		return
	}
	// Shutting the socket down makes the spawner read EOF; closing it
	// here could race with the reader.
	if rc, err := sock.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _ = unix.Shutdown(int(fd), unix.SHUT_WR) })
	}
	<-done
}

// exitError is how a child the spawner reaped ended, other than by
// exiting with code 0: the same questions as an *exec.ExitError answers.
type exitError struct{ ws syscall.WaitStatus }

func (e *exitError) Error() string {
	if e.ws.Signaled() {
		return "signal: " + e.ws.Signal().String()
	}
	return fmt.Sprintf("exit status %d", e.ws.ExitStatus())
}

// Sys returns the wait status, as exec.ExitError's does.
func (e *exitError) Sys() any { return e.ws }

// ExitCode returns the exit code, or -1 when a signal ended the child.
func (e *exitError) ExitCode() int {
	if e.ws.Signaled() {
		return -1
	}
	return e.ws.ExitStatus()
}
