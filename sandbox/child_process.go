package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"interleave/limits"
	"interleave/sandbox/isolate"
)

// child is one started sandbox child, waiting for its request on stdin
// or running it. Its waiter goroutine reaps it and closes exited.
type child struct {
	proc    proc
	stdin   *os.File // the write end of the child's stdin
	events  *os.File // the read end of the event pipe
	stderr  *tailBuffer
	box     *isolate.Run
	exited  chan struct{}
	waitErr error         // set before exited is closed
	cpu     time.Duration // set before exited is closed
	once    sync.Once
}

// proc is a started child process: forked by the Runner itself or by its
// spawner.
type proc interface {
	// signal signals the child, and its process group too when group is
	// set; a child already reaped is not signalled.
	signal(sig syscall.Signal, group bool) error
	// wait blocks until the child is reaped and its stderr read, and
	// returns its CPU time and how it ended (nil for exit code 0).
	wait() (time.Duration, error)
}

// forked is a child the Runner forked itself.
type forked struct{ cmd *exec.Cmd }

func (f forked) signal(sig syscall.Signal, group bool) error {
	if group {
		_ = syscall.Kill(-f.cmd.Process.Pid, sig)
	}
	return f.cmd.Process.Signal(sig)
}

func (f forked) wait() (time.Duration, error) {
	err := f.cmd.Wait()
	ps := f.cmd.ProcessState
	if ps == nil {
		return 0, err
	}
	return ps.UserTime() + ps.SystemTime(), err
}

// spawn starts a child in the box. It enters its sandbox at once and then
// waits on stdin, so it can be started ahead of its request.
func (r *Runner) spawn() (*child, error) {
	spec := r.box.Spec()
	return r.spawnWith(spec, spec.Limits)
}

// spawnWith starts a child told to enter spec.
func (r *Runner) spawnWith(spec isolate.Spec, cgroup limits.Limits) (*child, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create event pipe: %w", err)
	}
	c := &child{events: pr, stderr: &tailBuffer{max: 8 << 10}, exited: make(chan struct{})}
	stdin, stdinW, err := os.Pipe()
	if err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("create stdin pipe: %w", err)
	}
	c.stdin = stdinW
	// Everything the child holds is closed here once it has started (or
	// failed to); the Runner keeps the other ends.
	release := func() { closeFiles(stdin, pw, pr, stdinW) }
	cmd := exec.Command(r.exe, ChildArg) // the spec follows, from Prepare
	// Nothing of the server's environment leaks in. GOMAXPROCS=1 keeps
	// the runtime to four threads until the child is boxed, rather than
	// six: joining the cgroups and Landlock signal every thread, five
	// times (see ChildMain, which drops the variable).
	cmd.Env = []string{"GOMAXPROCS=1"}
	cmd.ExtraFiles = []*os.File{pw}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,            // the whole group is killed at the end
		Pdeathsig: syscall.SIGKILL, // and dies with the server
	}
	id := "run-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.Itoa(int(runSeq.Add(1)))
	if c.box, err = r.box.Prepare(cmd, id, cgroup); err != nil {
		release()
		return nil, fmt.Errorf("prepare sandbox: %w", err)
	}
	run := c.box.Spec() // the box's, with this run's cgroup descriptors
	run.Limits = spec.Limits
	cmd.Args = append(cmd.Args, run.Encode())
	pid, err := r.start(c, cmd, stdin)
	if err != nil {
		c.box.Close()
		release()
		if r.box.StartFailed(err) {
			next := r.box.Spec() // without the namespaces that were not probed
			next.Limits = spec.Limits
			return r.spawnWith(next, cgroup)
		}
		return nil, fmt.Errorf("start child: %w", err)
	}
	closeFiles(stdin, pw) // the child holds the only write end of the events now
	go func() {
		c.cpu, c.waitErr = c.proc.wait()
		close(c.exited)
	}()
	// The child goes into its cgroup before it is given a script: it
	// waits for the request on stdin until then.
	if err := c.box.Started(pid); err != nil {
		c.close()
		return nil, fmt.Errorf("place child in cgroup: %w", err)
	}
	return c, nil
}

func closeFiles(files ...*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// start starts cmd with stdin as the child's stdin, through the spawner
// when the Runner has one, and returns its pid.
func (r *Runner) start(c *child, cmd *exec.Cmd, stdin *os.File) (int, error) {
	if r.spawner != nil {
		p, err := r.spawner.start(cmd, stdin, c.stderr)
		if err != nil {
			return 0, err
		}
		c.proc = p
		return p.pid, nil
	}
	cmd.Stdin = stdin
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	c.proc = forked{cmd}
	return cmd.Process.Pid, nil
}

// send writes the request and closes stdin. A child that died first makes
// the write fail; the frame reader reports why.
func (c *child) send(req []byte) {
	_, _ = c.stdin.Write(req)
	c.stdin.Close()
}

// kill ends the child's whole process group (its pid namespace too, as it
// is that namespace's init), then the child itself in case it left the
// group.
func (c *child) kill() {
	c.once.Do(func() { _ = c.proc.signal(syscall.SIGKILL, true) })
}

// close kills the child, waits until it is reaped and releases its pipes
// and cgroup.
func (c *child) close() {
	c.kill()
	<-c.exited
	c.stdin.Close()
	c.events.Close()
	c.box.Close()
}

// cpuTime is the CPU time the reaped child used, user and system.
func (c *child) cpuTime() time.Duration { return c.cpu }

func (c *child) alive() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// take returns a warm child if one waits, or starts one.
func (r *Runner) take() (*child, error) {
	for {
		select {
		case c := <-r.warm:
			if c.alive() {
				return c, nil
			}
			c.close() // died while waiting: take another
			continue
		default:
		}
		return r.spawn()
	}
}

// fill keeps up to cap(r.warm) children started and waiting, so a run
// costs no process start-up. It stops when r.done is closed.
func (r *Runner) fill() {
	defer close(r.filled)
	for {
		c, err := r.spawn()
		if err != nil {
			select {
			case <-time.After(time.Second):
				continue
			case <-r.done:
				return
			}
		}
		select {
		case r.warm <- c:
		case <-r.done:
			c.close()
			return
		}
		// A send that did not block means a run just took a child. While
		// another child still waits, the next start (exec, runtime, the
		// box, the warm-up: milliseconds of CPU) can wait until that run
		// has its first events rather than take half of two cores from it.
		if len(r.warm) > 0 {
			select {
			case <-time.After(refillDelay):
			case <-r.done:
				return
			}
		}
	}
}

// refillDelay is how long fill waits to start a child while another
// waits: longer than a small run's start, short beside a person's pause.
const refillDelay = 20 * time.Millisecond

// Close stops keeping warm children, kills those waiting and removes the
// copy of the executable made for the children, if any. Runs still in
// progress must have ended.
func (r *Runner) Close() {
	r.closeOnce.Do(func() {
		if r.done != nil {
			close(r.done)
			<-r.filled
			for drained := false; !drained; {
				select {
				case c := <-r.warm:
					c.close()
				default:
					drained = true
				}
			}
		}
		if r.spawner != nil {
			r.spawner.close()
		}
		if r.removeCopy != nil {
			r.removeCopy()
		}
	})
}
