package engine

import (
	"regexp"
	"testing"
)

func TestFrozenMatch(t *testing.T) {
	re := regexp.MustCompile(`cannot (.+?) frozen (list|hash table)`)
	for _, msg := range []string{
		"cannot append to frozen list",
		"cannot insert into frozen hash table",
		"cannot clear frozen hash table",
		"cannot  frozen list",
		"cannot x frozen list and cannot y frozen hash table",
		"cannot append to list: it was moved",
		"cannot\nappend frozen list",
		"cannot a\nb frozen list, cannot c frozen list",
		"something cannot pop from frozen list",
		"cannot frozen list",
		"",
	} {
		t.Run(msg, func(t *testing.T) {
			verb, typ, ok := frozenMatch(msg)
			sm := re.FindStringSubmatch(msg)
			if ok != (sm != nil) || (ok && (verb != sm[1] || typ != sm[2])) {
				t.Errorf("frozenMatch(%q) = %q, %q, %v, want %q", msg, verb, typ, ok, sm)
			}
		})
	}
}
