package server

import (
	"sync"
	"time"
)

// rateLimiter is a token bucket per client key: perMinute tokens a minute,
// up to burst at once. Keys idle long enough to have refilled are
// forgotten, so memory stays bounded by the active clients.
type rateLimiter struct {
	mu        sync.Mutex
	perMinute float64
	burst     float64
	buckets   map[string]*bucket
	lastSweep time.Time
	now       func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(perMinute, burst int) *rateLimiter {
	if burst < 1 {
		burst = 1
	}
	return &rateLimiter{perMinute: float64(perMinute), burst: float64(burst), buckets: map[string]*bucket{}, now: time.Now}
}

// allow takes a token for key, reporting whether one was there, and how
// long until the next one if not.
func (r *rateLimiter) allow(key string) (bool, time.Duration) {
	if r == nil || r.perMinute <= 0 {
		return true, 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Sub(r.lastSweep) > time.Minute {
		r.sweep(now)
	}
	b, ok := r.buckets[key]
	if !ok {
		b = &bucket{tokens: r.burst, last: now}
		r.buckets[key] = b
	}
	b.tokens = min(r.burst, b.tokens+now.Sub(b.last).Minutes()*r.perMinute)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / r.perMinute * float64(time.Minute))
	return false, wait
}

func (r *rateLimiter) sweep(now time.Time) {
	full := time.Duration(r.burst / r.perMinute * float64(time.Minute))
	for k, b := range r.buckets {
		if now.Sub(b.last) > full {
			delete(r.buckets, k)
		}
	}
	r.lastSweep = now
}
