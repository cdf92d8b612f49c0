package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// SpawnerArg is the hidden first argument that turns the binary into a
// Runner's spawner (see spawner.go). main checks for it before anything
// else runs.
const SpawnerArg = "__interleave_spawner"

// spawnerFD is the spawner's end of its socket: the first ExtraFile.
const spawnerFD = 3

// maxOrder caps one message on the spawner's socket: an order carries a
// path, a few arguments and the child's spec.
const maxOrder = 64 << 10

// order is what a Runner tells its spawner: start a child, or signal one.
// A start order comes with its descriptors attached, in the order stdin,
// stderr, the ExtraFiles, then the cgroup directory when Cgroup is set.
type order struct {
	Op   string   `json:"op"` // "start" or "signal"
	ID   uint64   `json:"id"`
	Path string   `json:"path,omitempty"`
	Args []string `json:"args,omitempty"`
	Env  []string `json:"env,omitempty"`
	// Extra is how many of the attached descriptors are ExtraFiles.
	Extra       int                    `json:"extra,omitempty"`
	Cgroup      bool                   `json:"cgroup,omitempty"`
	Cloneflags  uintptr                `json:"cloneflags,omitempty"`
	UIDMappings []syscall.SysProcIDMap `json:"uid,omitempty"`
	GIDMappings []syscall.SysProcIDMap `json:"gid,omitempty"`
	Credential  *syscall.Credential    `json:"cred,omitempty"`
	// Signal is sent to the child, or to its whole process group too
	// when Group is set.
	Signal syscall.Signal `json:"signal,omitempty"`
	Group  bool           `json:"group,omitempty"`
}

// report is what a spawner tells its Runner about a child: that it
// started (Pid) or could not (Err), and later that it was reaped.
type report struct {
	ID     uint64 `json:"id"`
	Pid    int    `json:"pid,omitempty"`
	Err    string `json:"err,omitempty"`
	Exited bool   `json:"exited,omitempty"`
	Status uint32 `json:"status,omitempty"` // a syscall.WaitStatus
	CPUNs  int64  `json:"cpu,omitempty"`    // user and system time
}

// SpawnerMain is the spawner's entry point. It starts and reaps children
// as its Runner orders, until the Runner closes the socket; it runs no
// script and reads nothing but the Runner's orders. It returns the
// process exit code.
func SpawnerMain() int {
	s := &spawnerProcess{fd: spawnerFD, children: map[uint64]*os.Process{}}
	buf, oob := make([]byte, maxOrder), make([]byte, unix.CmsgSpace(64*4))
	for {
		n, oobn, flags, _, err := unix.Recvmsg(s.fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			// The Runner closed its end or died: so do its children,
			// reaped here rather than left to whoever adopts them (a
			// server that is pid 1 in a container would not reap them).
			s.killAll()
			s.awaitReaped(2 * time.Second)
			return 0
		}
		fds, err := attachedFDs(oob[:oobn])
		if err != nil {
			fmt.Fprintf(os.Stderr, "interleave spawner: %v\n", err)
			s.killAll()
			s.awaitReaped(2 * time.Second)
			return 1
		}
		if flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
			// The Runner refuses orders this large; drop this one only.
			closeFDs(fds)
			fmt.Fprintf(os.Stderr, "interleave spawner: an order over %d bytes or with too many descriptors was dropped\n", maxOrder)
			continue
		}
		var o order
		if err := json.Unmarshal(buf[:n], &o); err != nil {
			closeFDs(fds)
			fmt.Fprintf(os.Stderr, "interleave spawner: decode order: %v\n", err)
			s.killAll()
			return 1
		}
		switch o.Op {
		case "start":
			s.start(o, fds)
		case "signal":
			closeFDs(fds)
			s.signal(o)
		default:
			closeFDs(fds)
		}
	}
}

// spawnerProcess is the spawner's state: the children it started and has
// not reaped yet, by the Runner's id.
type spawnerProcess struct {
	fd       int
	sendMu   sync.Mutex
	mu       sync.Mutex
	children map[uint64]*os.Process
	reaping  sync.WaitGroup // one for each child not reaped yet
}

// start starts the child o describes with the descriptors fds, which it
// closes, and reports its pid or why it could not start. A goroutine
// reaps it and reports how it ended.
func (s *spawnerProcess) start(o order, fds []int) {
	files := make([]*os.File, len(fds))
	for i, fd := range fds {
		files[i] = os.NewFile(uintptr(fd), "attached")
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	want := 2 + o.Extra
	if o.Cgroup {
		want++
	}
	if len(files) != want {
		s.send(report{ID: o.ID, Err: fmt.Sprintf("spawner: %d descriptors attached, want %d", len(files), want)})
		return
	}
	cmd := &exec.Cmd{Path: o.Path, Args: o.Args, Env: o.Env, Stdin: files[0], Stderr: files[1], ExtraFiles: files[2 : 2+o.Extra]}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:     true,
		Pdeathsig:   syscall.SIGKILL,
		Cloneflags:  o.Cloneflags,
		UidMappings: o.UIDMappings,
		GidMappings: o.GIDMappings,
		Credential:  o.Credential,
	}
	if o.Cgroup {
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = int(files[len(files)-1].Fd())
	}
	s.mu.Lock()
	err := cmd.Start()
	if err == nil {
		s.children[o.ID] = cmd.Process
	}
	s.mu.Unlock()
	if err != nil {
		s.send(report{ID: o.ID, Err: err.Error()})
		return
	}
	s.send(report{ID: o.ID, Pid: cmd.Process.Pid})
	s.reaping.Add(1)
	go s.reap(o.ID, cmd)
}

// reap waits for the child id and reports how it ended.
func (s *spawnerProcess) reap(id uint64, cmd *exec.Cmd) {
	// Wait for the end without reaping first: until it is reaped the
	// child's pid, and its process group's id, cannot be another
	// process's, so a signal order taken meanwhile reaches no stranger.
	// Only once it is out of the map is it reaped.
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, cmd.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			break
		}
	}
	s.mu.Lock()
	delete(s.children, id)
	s.mu.Unlock()
	_ = cmd.Wait()
	s.reaping.Done()
	rep := report{ID: id, Exited: true}
	if ps := cmd.ProcessState; ps != nil {
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
			rep.Status = uint32(ws)
		}
		rep.CPUNs = (ps.UserTime() + ps.SystemTime()).Nanoseconds()
	}
	s.send(rep)
}

// signal signals a child not yet reaped; a reaped one's pid may be
// another process's by now.
func (s *spawnerProcess) signal(o order) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.children[o.ID]
	if p == nil {
		return
	}
	if o.Group {
		_ = syscall.Kill(-p.Pid, o.Signal)
	}
	_ = p.Signal(o.Signal)
}

// killAll kills every child still running, with its process group.
func (s *spawnerProcess) killAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.children {
		_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
		_ = p.Kill()
	}
}

// awaitReaped waits until every child has been reaped, or for d at
// most: a child stuck in the kernel is not worth more.
func (s *spawnerProcess) awaitReaped(d time.Duration) {
	done := make(chan struct{})
	go func() {
		s.reaping.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// send writes one report; the Runner reads them in order.
func (s *spawnerProcess) send(rep report) {
	b, err := json.Marshal(rep)
	if err != nil {
		return
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	for {
		if err := unix.Sendmsg(s.fd, b, nil, nil, 0); err != unix.EINTR {
			return
		}
	}
}

// attachedFDs returns the descriptors passed with a message.
func attachedFDs(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse control message: %w", err)
	}
	var fds []int
	for _, m := range msgs {
		got, err := unix.ParseUnixRights(&m)
		if err != nil {
			closeFDs(fds)
			return nil, fmt.Errorf("parse passed descriptors: %w", err)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		_ = unix.Close(fd)
	}
}
