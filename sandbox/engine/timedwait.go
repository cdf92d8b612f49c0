package engine

import "time"

// timedPark waits until wakeTimed or until ns have passed, whichever comes
// first. The thread counts as sleeping, not blocked, while it waits: a
// timed wait always ends, so it is never part of a deadlock. r.mu is held
// on entry and on return; the caller tells a wake-up from a timeout by its
// own state.
func (t *thread) timedPark(ns int64) error {
	r := t.r
	if r.ended.Load() {
		return errCutoff
	}
	t.state = stSleeping
	r.mu.Unlock()
	var err error
	if s := r.sim; s != nil {
		err = s.sleep(t, ns)
	} else {
		tm := time.NewTimer(time.Duration(ns))
		select {
		case <-t.wake:
		case <-tm.C:
		case <-r.done:
			err = errCutoff
		}
		tm.Stop()
	}
	r.mu.Lock()
	if t.state == stSleeping {
		t.state = stRunning
	}
	if err == nil && r.ended.Load() {
		err = errCutoff
	}
	return err
}

// wakeTimed ends the timedPark of t early; r.mu is held.
func (r *run) wakeTimed(t *thread) {
	if t.state != stSleeping {
		return
	}
	t.state = stRunning
	if s := r.sim; s != nil {
		for i, x := range s.sleepers {
			if x == t {
				s.sleepers = append(s.sleepers[:i:i], s.sleepers[i+1:]...)
				break
			}
		}
		s.insert(t)
		return
	}
	select {
	case t.wake <- struct{}{}:
	default:
	}
}
