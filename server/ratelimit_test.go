package server

import (
	"testing"
	"time"
)

func TestRateLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	r := newRateLimiter(6, 3) // one token every 10 s, three at once
	r.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := r.allow("a"); !ok {
			t.Fatalf("allow(a) #%d = false, want the burst of 3 allowed", i+1)
		}
	}
	ok, wait := r.allow("a")
	if ok || wait != 10*time.Second {
		t.Errorf("allow(a) after the burst = %v, %v, want false, 10s", ok, wait)
	}
	if ok, _ := r.allow("b"); !ok {
		t.Errorf("allow(b) = false, want each key its own bucket")
	}
	now = now.Add(10 * time.Second)
	if ok, _ := r.allow("a"); !ok {
		t.Errorf("allow(a) 10 s later = false, want a refilled token")
	}
	now = now.Add(time.Hour)
	r.allow("c")
	if _, kept := r.buckets["a"]; kept {
		t.Errorf("an idle, refilled bucket was kept after a sweep")
	}
	var off *rateLimiter
	if ok, _ := off.allow("x"); !ok {
		t.Errorf("a nil limiter refused, want no limit")
	}
}
