package server

import "testing"

// TestAddressKey: an IPv6 client counts as its /64, the network one
// subscriber is given, so it cannot dodge the per-address limits.
func TestAddressKey(t *testing.T) {
	tests := []struct{ ip, want string }{
		{"10.0.0.1", "10.0.0.1"},
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"},
		{"::ffff:10.0.0.1", "::ffff:10.0.0.1"},
		{"not an address", "not an address"},
	}
	for _, tt := range tests {
		if got := addressKey(tt.ip); got != tt.want {
			t.Errorf("addressKey(%q) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}

// TestSocketDefaults: the WebSocket caps leave the reserve and a quarter
// of the descriptors free, and one address gets a quarter, at most 256.
func TestSocketDefaults(t *testing.T) {
	tests := []struct {
		limit            uint64
		runs             int
		sockets, perAddr int
	}{
		{20000, 2, 14880, 256},
		{1024, 4, 624, 156},
		{200, 2, 16, 4},
	}
	for _, tt := range tests {
		got := socketsFor(tt.limit, tt.runs)
		cfg := withDefaults(Config{MaxRuns: tt.runs, MaxSockets: got})
		if got != tt.sockets || cfg.PerClientSockets != tt.perAddr {
			t.Errorf("socketsFor(%d, %d) = %d (per address %d), want %d (per address %d)",
				tt.limit, tt.runs, got, cfg.PerClientSockets, tt.sockets, tt.perAddr)
		}
	}
	if cfg := withDefaults(Config{}); cfg.MaxSockets <= 0 || uint64(cfg.MaxSockets) >= fileLimit() {
		t.Errorf("default MaxSockets = %d with a descriptor limit of %d, want below it", cfg.MaxSockets, fileLimit())
	}
}
