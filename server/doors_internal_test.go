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
